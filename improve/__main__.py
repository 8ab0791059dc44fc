"""`python -m improve` (`make improve`): merge exported annotations, retrain, compare on the
held-out set, and replace the model only if held-out macro-F1 did not drop.

    python -m improve                       # every export stored by the console
    python -m improve --export FILE.yml ... # exports saved as files
Exit status: 0 replaced (or nothing to do), 2 refused (current model kept), 1 error.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from improve import compare, evaluate, merge, promote

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m improve")
    parser.add_argument(
        "--export",
        nargs="*",
        type=Path,
        default=None,
        help="annotation export files (default: the console's exports)",
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument(
        "--tolerance", type=float, default=0.0, help="allowed macro-F1 drop (default 0: any drop refuses)"
    )
    args = parser.parse_args(argv)

    exports = (
        {p.name: p.read_text(encoding="utf-8") for p in args.export}
        if args.export is not None
        else merge.console_exports()
    )
    merged = merge.merge(exports, ROOT)
    for name in merged.skipped:
        print(f"already merged: {name}")
    if not merged.added:
        print("no new annotations to merge: nothing to do")
        return 0
    print(f"merged {len(merged.added)} export(s), {merged.examples} examples, into {merge.ANNOTATIONS_DIR}/")
    work = Path(tempfile.mkdtemp(prefix="improve-"))
    try:
        print("held-out evaluation of the current model ...", flush=True)
        before = evaluate.evaluate(args.model, args.heldout, work / "before")
        print("training the candidate ...", flush=True)
        subprocess.run(
            [
                str(ROOT / ".venv/bin/rasa"),
                "train",
                "--fixed-model-name",
                "candidate",
                "--out",
                str(work),
                "--num-threads",
                "2",
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        candidate = work / "candidate.tar.gz"
        print("held-out evaluation of the candidate ...", flush=True)
        after = evaluate.evaluate(candidate, args.heldout, work / "after")
    except (subprocess.CalledProcessError, OSError) as error:
        merged.revert()
        print(f"failed ({error}); merged files taken out again", file=sys.stderr)
        return 1
    print("\n".join(compare.intent_table(before, after)))
    print("\n".join(compare.change_lines(compare.changed_predictions(before, after))))
    decision = promote.decide(before, after, args.tolerance)
    promote.apply(decision, candidate, args.model, merged, ROOT)
    if decision.accepted:
        print(f"\nREPLACED {args.model.name}: {decision.reason}")
        return 0
    print(f"\nREFUSED: {decision.reason}; the merged files were taken out of data/ again")
    return 2


if __name__ == "__main__":
    sys.exit(main())
