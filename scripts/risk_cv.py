"""Cross-validates the risk model on its training corpus and picks its thresholds.

    .venv/bin/python scripts/risk_cv.py [--folds 5] [--C 0.3 1 3]

Only the training corpus (data/risk/) is used: every line is scored by a model that never saw
it (stratified k-fold), the lexicon is run on every line, and the thresholds are chosen on
those out-of-fold results:

In this order, recall first (a missed crisis is the worst failure; a false alarm costs less):

1. possible: the highest P(not none) threshold at which --min-flagged of the clear-risk lines
   and --min-possible of the possible lines still get a check-in or the crisis reply (higher
   recall costs check-ins on everyday messages: the trade-off is in docs/safety.md);
2. clear: the lowest P(clear) threshold at which the model alone calls at most
   --max-benign-clear of the benign lines clear;
3. lexicon_check_in: the lowest P(none) at which a lexicon alarm gets a check-in instead of the
   crisis reply while at most --max-doubted of the clear-risk lines lose their crisis reply;
4. the conversation's signal floor (RiskPolicy): see ``conversation_floor``.

It prints the per-level figures for the chosen values, per family, for docs/safety.md, and the
values to put in config.yml (RiskClassifier: thresholds).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

from practice.safety.crisis_detector import CRISIS, detect, get_detector  # noqa: E402
from practice.safety.risk_model import (  # noqa: E402
    CLEAR,
    LABELS,
    NONE,
    POSSIBLE,
    RiskModel,
    RiskScores,
    RiskThresholds,
    build_pipeline,
    decide,
)
from rasa_ext.nlu.risk_classifier import risk_training_lines  # noqa: E402


def out_of_fold(
    texts: list[str], labels: list[str], folds: int, C: float, rest_of: dict[int, str]
) -> tuple[list[RiskScores], dict[int, RiskScores]]:
    """Each line's scores from the model that did not see it; also, for the lines in
    ``rest_of``, that model's scores of the line's other clauses (a mention's rest)."""
    scores: list[RiskScores] = [None] * len(texts)  # type: ignore[list-item]
    rest_scores: dict[int, RiskScores] = {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    for train, test in splitter.split(texts, labels):
        model = RiskModel.train([texts[i] for i in train], [labels[i] for i in train], C=C)
        for i, s in zip(test, model.score_many([texts[i] for i in test]), strict=True):
            scores[i] = s
            if rest_of.get(i):
                rest_scores[i] = model.score(rest_of[i])
    return scores, rest_scores


def levels(scores, lexicon, thresholds: RiskThresholds) -> list[str]:
    return [decide(s, d, thresholds).level for s, d in zip(scores, lexicon, strict=False)]


def rate(items: Sequence[bool]) -> float:
    return sum(items) / max(1, len(items))


def figures(labels, got) -> dict[str, float]:
    def share(want_labels, accepted):
        return rate([g in accepted for label, g in zip(labels, got, strict=False) if label in want_labels])

    return {
        "clear lines -> clear": share({"crisis", "emergency"}, {CLEAR}),
        "clear lines -> clear or check-in": share({"crisis", "emergency"}, {CLEAR, POSSIBLE}),
        "possible lines -> check-in or clear": share({POSSIBLE}, {CLEAR, POSSIBLE}),
        "benign lines -> clear (false alarm)": share({NONE}, {CLEAR}),
        "benign lines -> check-in": share({NONE}, {POSSIBLE}),
    }


def conversation_floor(scores, labels, threshold: float, decay: float, max_pairs: float) -> float:
    """The lowest signal a message must carry for earlier turns to add up to a check-in.

    Simulates two-turn conversations from out-of-fold scores: pairs of benign lines must reach
    a check-in by adding up at most ``max_pairs`` of the time; the figure for pairs of possible
    lines that are each below the threshold is printed beside it.
    """
    rng = np.random.default_rng(7)
    signal = np.array([s.signal for s in scores])
    kinds = np.array(labels)
    benign = signal[kinds == NONE]
    weak_possible = signal[(kinds == POSSIBLE) & (signal < threshold)]
    first, second = rng.choice(benign, 20000), rng.choice(benign, 20000)
    for floor in np.round(np.arange(0.05, threshold, 0.01), 2):
        pairs = (second >= floor) & (second < threshold) & (second + decay * first >= threshold)
        if pairs.mean() <= max_pairs:
            if len(weak_possible) > 1:
                a, b = rng.choice(weak_possible, 5000), rng.choice(weak_possible, 5000)
                caught = ((b >= floor) & (b + decay * a >= threshold)).mean()
                print(
                    f"two turns: floor {floor}: benign pairs -> check-in {pairs.mean():.2%}, "
                    f"pairs of sub-threshold possible lines -> check-in {caught:.1%}"
                )
            return float(floor)
    return float(threshold)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache-dir", help="keep out-of-fold scores here between runs")
    ap.add_argument("--C", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    ap.add_argument("--max-benign-clear", type=float, default=0.02)
    ap.add_argument("--min-flagged", type=float, default=0.98)
    ap.add_argument("--min-possible", type=float, default=0.94)
    ap.add_argument("--max-doubted", type=float, default=0.005)
    ap.add_argument(
        "--max-mention-relaxed",
        type=int,
        default=0,
        help="clear-risk and possible corpus lines a factual mention may take (out of fold)",
    )
    ap.add_argument("--max-benign-pairs", type=float, default=0.01)
    ap.add_argument("--decay", type=float, default=0.6)
    ap.add_argument(
        "--min-mention", type=float, default=0.5, help="lowest P(none) a factual mention may have"
    )
    args = ap.parse_args()

    texts, labels, families = risk_training_lines(load_data(str(ROOT / "data" / "nlu")))
    print(f"corpus: {len(texts)} lines {dict(Counter(labels))}")
    lexicon = [detect(t) for t in texts]
    detector = get_detector()
    framing = {
        i: detector.mention_framing(t, disclosure=not lexicon[i].mention)
        for i, t in enumerate(texts)
        if lexicon[i].is_alarm
    }
    framed = {i: f is not None for i, f in framing.items()}
    rest_of = {i: f[1] for i, f in framing.items() if f is not None and f[1]}
    y = np.array([LABELS.index(label) for label in labels])

    best_C, best_scores, best_rest, best_loss = None, None, {}, float("inf")
    for C in args.C:
        key = hashlib.sha256(repr((texts, labels, build_pipeline())).encode()).hexdigest()[:16]
        cache = Path(args.cache_dir) / f"risk_oof2_{key}_{C}_{args.folds}.pkl" if args.cache_dir else None
        if cache and cache.exists():
            scores, rest_scores = pickle.loads(cache.read_bytes())
        else:
            scores, rest_scores = out_of_fold(texts, labels, args.folds, C, rest_of)
            if cache:
                cache.write_bytes(pickle.dumps((scores, rest_scores)))
        proba = np.array([[getattr(s, label) for label in LABELS] for s in scores])
        loss = log_loss(y, proba, labels=list(range(len(LABELS))))
        print(f"C={C}: out-of-fold log loss {loss:.4f}")
        if loss < best_loss:
            best_C, best_scores, best_rest, best_loss = C, scores, rest_scores, loss
    scores, rest_scores = best_scores, best_rest
    # The near-miss lines of the corpus are the hard benign test; everyday messages are scored apart.
    benign = [
        i
        for i, (label, f) in enumerate(zip(labels, families, strict=False))
        if label == NONE and ".nlu_" not in f
    ]
    everyday = [i for i, f in enumerate(families) if ".nlu_" in f]
    clear_lines = [i for i, label in enumerate(labels) if label in ("crisis", "emergency")]
    possible_lines = [i for i, label in enumerate(labels) if label == POSSIBLE]
    grid = [round(float(t), 2) for t in np.arange(0.05, 0.99, 0.01)]

    def share(rows, thresholds, levels_wanted) -> float:
        return rate([decide(scores[i], lexicon[i], thresholds).level in levels_wanted for i in rows])

    # 1. Recall first: the highest "possible" threshold at which clear-risk and possible lines
    #    still reach a check-in or the crisis reply (--min-flagged of each).
    possible_t = max(
        t
        for t in grid
        if rate([scores[i].signal >= t or lexicon[i].is_alarm for i in clear_lines]) >= args.min_flagged
        and rate([scores[i].signal >= t for i in possible_lines]) >= args.min_possible
    )
    # 2. The model's own crisis replies: the lowest P(clear) threshold at which it calls at
    #    most --max-benign-clear of the benign lines clear.
    clear_t = next(t for t in grid if rate([scores[i].clear >= t for i in benign]) <= args.max_benign_clear)
    # 3. A lexicon alarm the model doubts gets a check-in instead of the crisis reply, down to
    #    the P(none) where --max-doubted of the clear-risk lines would lose their crisis reply.
    #    The model never silences the lexicon (see RiskThresholds).
    check_in = 1.01
    for t in sorted(grid, reverse=True):
        lost = rate(
            [
                lexicon[i].kind == CRISIS and scores[i].clear < clear_t and scores[i].none >= t
                for i in clear_lines
            ]
        )
        if lost > args.max_doubted:
            break
        check_in = t

    # 4. A lexicon alarm on a topic word alone that the model does not call clear, in a message
    #    that frames it as a topic, is a factual mention (an answer with the 988 line), down to
    #    the P(none) at which
    #    --max-mention-relaxed of the clear-risk and possible lines would be taken for one
    #    (each line's rest read by the model of its own fold, as assess_message does).
    def as_mention(i: int, t: float) -> bool:
        rest = rest_scores.get(i)
        return (
            bool(framed.get(i))
            and scores[i].clear < clear_t
            and scores[i].none >= (t if lexicon[i].mention else max(t, check_in))
            and (rest is None or rest.signal < possible_t)
        )

    mention = 1.01
    # Framed mentions may go below 1 - possible (where the model alone would ask a check-in):
    # the framing says the model's doubt rests on the topic word; the search stops where
    # risk lines start to be taken.
    for t in sorted((g for g in grid if g >= args.min_mention), reverse=True):
        if sum(as_mention(i, t) for i in clear_lines + possible_lines) > args.max_mention_relaxed:
            break
        mention = t
    chosen = RiskThresholds(clear=clear_t, possible=possible_t, lexicon_check_in=check_in, mention=mention)
    print(
        f"factual mentions: {sum(as_mention(i, mention) for i in benign)} of {len(benign)} benign corpus lines "
        f"answered with the 988 line; {sum(as_mention(i, mention) for i in clear_lines + possible_lines)} risk lines"
    )
    for i in clear_lines + possible_lines:
        if as_mention(i, 0.5):
            print(f"  a risk line taken for a mention at P(none) {scores[i].none:.2f}: {texts[i][:100]!r}")
    got = [
        NONE if as_mention(i, mention) else level for i, level in enumerate(levels(scores, lexicon, chosen))
    ]
    print(f"\nchosen (C={best_C}): {chosen}")
    near_miss_labels = [
        "everyday" if ".nlu_" in f else label for label, f in zip(labels, families, strict=False)
    ]
    for name, value in figures(near_miss_labels, got).items():
        print(f"  {name}: {value:.1%}")
    lexicon_only = [CLEAR if d.is_alarm else NONE for d in lexicon]
    everyday_levels = Counter(got[i] for i in everyday)
    print(
        f"  everyday messages (NLU data, n={len(everyday)}): "
        + ", ".join(f"{k} {v / len(everyday):.1%}" for k, v in sorted(everyday_levels.items()))
    )
    print("lexicon alone:")
    for name, value in figures(near_miss_labels, lexicon_only).items():
        print(f"  {name}: {value:.1%}")

    print("\nper family (share at each level):")
    by_family: dict[str, Counter] = defaultdict(Counter)
    for fam, g in zip(families, got, strict=False):
        by_family[fam][g] += 1
    for fam in sorted(f for f in by_family if ".nlu_" not in f):
        counts = by_family[fam]
        n = sum(counts.values())
        cells = "  ".join(f"{lvl} {counts[lvl] / n:5.1%}" for lvl in (NONE, POSSIBLE, CLEAR))
        print(f"  {fam:<48} n={n:<4} {cells}")
    floor = conversation_floor(scores, near_miss_labels, chosen.possible, args.decay, args.max_benign_pairs)
    print("\nconfig.yml, RiskClassifier:")
    print(f"    C: {best_C}")
    print(
        f"    thresholds: {{clear: {chosen.clear}, possible: {chosen.possible}, "
        f"lexicon_check_in: {chosen.lexicon_check_in}, mention: {chosen.mention}}}"
    )
    print("config.yml, RiskPolicy:")
    print(f"    decay: {args.decay}\n    signal_floor: {floor}\n    check_in_threshold: {chosen.possible}")


if __name__ == "__main__":
    main()
