"""Cross-validates the risk model on its training corpus and picks its thresholds.

    .venv/bin/python scripts/risk_cv.py [--folds 5] [--C 0.3 1 3]

Only the training corpus (data/risk/) is used: every line is scored by a model that never saw
it (stratified k-fold), the lexicon is run on every line, and the thresholds are chosen on
those out-of-fold results:

- clear: the lowest P(clear) threshold at which the model calls at most --max-benign-clear of
  the benign lines clear; the lowest, because a missed crisis costs far more;
- possible: the lowest P(not none) threshold that keeps benign check-ins and crisis replies
  together at most --max-benign-flag;
- lexicon_veto: the P(none) above which a lexicon alarm becomes a check-in, kept only if it
  removes more benign alarms than it lowers clear-risk lines (never below a check-in).

It prints the per-level figures for the chosen values, per family, for docs/safety.md, and the
values to put in config.yml (RiskClassifier: thresholds).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.crisis_detector import detect  # noqa: E402
from components.risk_model import (  # noqa: E402
    CLEAR, LABELS, NONE, POSSIBLE, RiskModel, RiskScores, RiskThresholds, decide, load_corpus,
)


def out_of_fold(texts: List[str], labels: List[str], folds: int, C: float) -> List[RiskScores]:
    scores: List[RiskScores] = [None] * len(texts)  # type: ignore[list-item]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    for train, test in splitter.split(texts, labels):
        model = RiskModel.train([texts[i] for i in train], [labels[i] for i in train], C=C)
        for i, s in zip(test, model.score_many([texts[i] for i in test])):
            scores[i] = s
    return scores


def levels(scores, lexicon, thresholds: RiskThresholds) -> List[str]:
    return [decide(s, d, thresholds).level for s, d in zip(scores, lexicon)]


def rate(items: Sequence[bool]) -> float:
    return sum(items) / max(1, len(items))


def figures(labels, got) -> Dict[str, float]:
    def share(want_labels, accepted):
        return rate([g in accepted for l, g in zip(labels, got) if l in want_labels])

    return {
        "clear lines -> clear": share({"crisis", "emergency"}, {CLEAR}),
        "clear lines -> clear or check-in": share({"crisis", "emergency"}, {CLEAR, POSSIBLE}),
        "possible lines -> check-in or clear": share({POSSIBLE}, {CLEAR, POSSIBLE}),
        "benign lines -> clear (false alarm)": share({NONE}, {CLEAR}),
        "benign lines -> check-in": share({NONE}, {POSSIBLE}),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    ap.add_argument("--max-benign-clear", type=float, default=0.01)
    ap.add_argument("--max-benign-flag", type=float, default=0.04)
    args = ap.parse_args()

    texts, labels, families = load_corpus()
    print(f"corpus: {len(texts)} lines {dict(Counter(labels))}")
    lexicon = [detect(t) for t in texts]
    y = np.array([LABELS.index(l) for l in labels])

    best_C, best_scores, best_loss = None, None, float("inf")
    for C in args.C:
        scores = out_of_fold(texts, labels, args.folds, C)
        proba = np.array([[getattr(s, l) for l in LABELS] for s in scores])
        loss = log_loss(y, proba, labels=list(range(len(LABELS))))
        print(f"C={C}: out-of-fold log loss {loss:.4f}")
        if loss < best_loss:
            best_C, best_scores, best_loss = C, scores, loss
    scores = best_scores
    benign = [i for i, l in enumerate(labels) if l == NONE]

    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    # The model's own false alarms first; the lexicon's are then weighed by the veto.
    clear_t = next(t for t in grid if rate([scores[i].clear >= t for i in benign]) <= args.max_benign_clear)

    veto_best, veto_gain = 1.01, 0
    for veto in (0.999, 0.995, 0.99, 0.98, 0.95, 0.9):
        removed = sum(1 for i in benign if lexicon[i].is_alarm and scores[i].none >= veto and scores[i].clear < clear_t)
        lowered = sum(1 for i, l in enumerate(labels)
                      if l in ("crisis", "emergency") and lexicon[i].is_alarm
                      and scores[i].none >= veto and scores[i].clear < clear_t)
        print(f"lexicon veto at P(none) >= {veto}: benign alarms removed {removed}, clear lines lowered {lowered}")
        if removed - lowered > veto_gain:
            veto_best, veto_gain = veto, removed - lowered
    possible_t = next(
        t for t in grid
        if rate([decide(scores[i], lexicon[i], RiskThresholds(clear_t, t, veto_best)).level != NONE
                 for i in benign]) <= args.max_benign_flag
    )
    chosen = RiskThresholds(clear=float(clear_t), possible=float(possible_t), lexicon_veto=float(veto_best))
    got = levels(scores, lexicon, chosen)
    print(f"\nchosen (C={best_C}): {chosen}")
    for name, value in figures(labels, got).items():
        print(f"  {name}: {value:.1%}")
    lexicon_only = [CLEAR if d.is_alarm else NONE for d in lexicon]
    print("lexicon alone:")
    for name, value in figures(labels, lexicon_only).items():
        print(f"  {name}: {value:.1%}")

    print("\nper family (share at each level):")
    by_family: Dict[str, Counter] = defaultdict(Counter)
    for fam, g in zip(families, got):
        by_family[fam][g] += 1
    for fam in sorted(by_family):
        counts = by_family[fam]
        n = sum(counts.values())
        cells = "  ".join(f"{lvl} {counts[lvl] / n:5.1%}" for lvl in (NONE, POSSIBLE, CLEAR))
        print(f"  {fam:<48} n={n:<4} {cells}")
    print("\nconfig.yml, RiskClassifier:")
    print(f"    C: {best_C}")
    print(f"    thresholds: {{clear: {chosen.clear}, possible: {chosen.possible}, lexicon_veto: {chosen.lexicon_veto}}}")


if __name__ == "__main__":
    main()
