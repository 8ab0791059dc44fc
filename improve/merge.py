"""Exported annotations (console exports: Rasa NLU YAML) into data/nlu/annotations/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ANNOTATIONS_DIR = Path("data") / "nlu" / "annotations"


@dataclass
class Merge:
    added: list[Path] = field(default_factory=list)  # files written into data/
    skipped: list[str] = field(default_factory=list)  # already merged
    examples: int = 0

    def revert(self) -> None:
        for path in self.added:
            path.unlink(missing_ok=True)


def count_examples(content: str) -> int:
    data = yaml.safe_load(content) or {}
    total = 0
    for block in data.get("nlu") or []:
        examples = block.get("examples") if isinstance(block, dict) else None
        if isinstance(examples, str):
            total += sum(1 for line in examples.splitlines() if line.strip().startswith("- "))
    return total


def check_export(content: str) -> None:
    """Refuses anything that is not an NLU file of intent examples (no stories, no rules)."""
    data = yaml.safe_load(content)
    if not isinstance(data, dict) or set(data) - {"version", "nlu"}:
        raise ValueError("not an NLU annotations export (only 'version' and 'nlu' allowed)")
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or not block.get("intent") or set(block) - {"intent", "examples"}:
            raise ValueError(f"unexpected NLU block: {block!r}")


def safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).name)
    return stem if stem.endswith(".yml") else stem + ".yml"


def merge(exports: dict[str, str], root: Path) -> Merge:
    """Writes each export (filename -> content) to data/nlu/annotations/ unless already there."""
    target = root / ANNOTATIONS_DIR
    result = Merge()
    for name, content in sorted(exports.items()):
        check_export(content)
        path = target / safe_name(name)
        if path.exists():
            result.skipped.append(path.name)
            continue
        target.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        result.added.append(path)
        result.examples += count_examples(content)
    return result


def console_exports() -> dict[str, str]:
    """Every export stored by the console (its database from the usual settings)."""
    from console import annotations as notes
    from console.db import Database
    from console.settings import Settings

    db = Database(Settings.from_env())
    found = {}
    for item in notes.list_exports(db):
        full = notes.get_export(db, item["id"])
        if full:
            found[full["filename"]] = full["content"]
    return found
