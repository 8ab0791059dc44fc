"""Prints the held-out intent report from `rasa test nlu` and enforces a macro-F1 floor.

python scripts/nlu_report.py results/nlu --min-macro-f1 0.95
"""

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--min-macro-f1", type=float, default=0.0)
    args = parser.parse_args()
    report = json.loads((args.results_dir / "intent_report.json").read_text())
    intents = {
        k: v
        for k, v in report.items()
        if isinstance(v, dict) and "support" in v and k not in ("micro avg", "macro avg", "weighted avg")
    }
    print(f"{'intent':32} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
    for name, row in sorted(intents.items(), key=lambda kv: kv[1]["f1-score"]):
        print(
            f"{name:32} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1-score']:6.3f} {row['support']:4d}"
        )
    macro = report["macro avg"]["f1-score"]
    print(
        f"\nheld-out intent macro-F1: {macro:.4f}  accuracy: {report.get('accuracy', float('nan')):.4f}"
        f"  (floor {args.min_macro_f1})"
    )
    errors = args.results_dir / "intent_errors.json"
    if errors.exists():
        for err in json.loads(errors.read_text())[:25]:
            print(
                f"  miss: {err['text'][:70]!r} -> {err['intent_prediction']['name']} (want {err['intent']})"
            )
    return 0 if macro >= args.min_macro_f1 else 1


if __name__ == "__main__":
    sys.exit(main())
