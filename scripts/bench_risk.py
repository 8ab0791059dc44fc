"""How long judging one message's risk takes: the model, the lexicon, and both as the NLU runs them.

    .venv/bin/python scripts/bench_risk.py [--chars 2000] [--repeat 300]

Trains the risk model on data/risk/ (as `rasa train` does, without the NLU's everyday lines,
which change the vocabulary little), then times messages of the given length built from the
corpus's own lines (so they hold the words the model knows), each one new to the lexicon's
cache. Prints the median and 95th percentile in milliseconds. A benchmark, not a test: the
figures depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from practice.safety.crisis_detector import get_detector  # noqa: E402
from practice.safety.risk_model import RiskModel, RiskThresholds, assess_message, load_corpus  # noqa: E402


def messages(texts, chars: int, n: int, seed: int = 3):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts, length = [], 0
        while length < chars:
            line = rng.choice(texts)
            parts.append(line)
            length += len(line) + 1
        out.append((" ".join(parts))[: chars - 8] + f" #{i:06d}")
    return out


def timed(fn, items):
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()
    texts, labels, _ = load_corpus()
    model = RiskModel.train(texts, labels)
    detector = get_detector()
    thresholds = RiskThresholds()
    batch = messages(texts, args.chars, args.repeat)
    model.score(batch[0])  # warm up
    for name, fn in [
        ("model (normalise + features + classifier)", model.score),
        ("lexicon", detector.detect),
        ("both, decided", lambda t: assess_message(t, model, thresholds)),
    ]:
        p50, p95 = timed(fn, messages(texts, args.chars, args.repeat, seed=hash(name) % 1000))
        print(f"{name:<45} {args.chars} chars: p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
