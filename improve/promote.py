"""Whether the candidate may replace the current model, and the replacement itself.

The candidate replaces models/current.tar.gz only if its held-out macro-F1 is not lower
than the current model's; otherwise the current model stays and the merged annotation files
are taken out of data/ again (so no later `make train` builds the worse model)."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from improve.evaluate import Report
from improve.merge import Merge

# The same inputs, in the same order, as scripts/train_if_changed.sh hashes
# (tests/unit/test_improve_loop.py runs the script's own lines and compares).
INPUT_FILES = (
    "config.yml",
    "domain.yml",
    "build/spacy_en_tms/meta.json",
    "knowledge/crisis_lexicon.yml",
    "knowledge/medications.yml",
)
INPUT_FOLDERS = ("data", "practice", "rasa_ext/nlu", "rasa_ext/policies")


@dataclass
class Decision:
    accepted: bool
    reason: str


def decide(before: Report, after: Report, tolerance: float = 0.0) -> Decision:
    drop = before.macro_f1 - after.macro_f1
    if drop > tolerance + 1e-12:
        return Decision(
            False,
            f"held-out macro-F1 dropped {before.macro_f1:.4f} -> "
            f"{after.macro_f1:.4f}: the current model stays",
        )
    return Decision(True, f"held-out macro-F1 {before.macro_f1:.4f} -> {after.macro_f1:.4f}")


def inputs_digest(root: Path) -> str:
    """scripts/train_if_changed.sh's digest of the training inputs (its `ls`/`find` + sort)."""
    names = list(INPUT_FILES)
    for folder in INPUT_FOLDERS:
        for path in (root / folder).rglob("*"):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel.endswith((".yml", ".py")):
                names.append(rel)
    digest = hashlib.sha256()
    for name in sorted(names, key=lambda n: n.encode()):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def apply(decision: Decision, candidate: Path, current: Path, merged: Merge, root: Path) -> None:
    if not decision.accepted:
        merged.revert()
        candidate.unlink(missing_ok=True)
        return
    backup = current.with_name(current.stem.replace(".tar", "") + ".previous.tar.gz")
    if current.exists():
        shutil.copy2(current, backup)
    tmp = current.with_name(current.name + ".tmp")
    shutil.copy2(candidate, tmp)
    os.replace(tmp, current)  # atomic on one file system: a running server never sees half
    candidate.unlink(missing_ok=True)
    (current.parent / "current.sha256").write_text(inputs_digest(root) + "\n")
