"""Before/after tables: per-intent F1 and the held-out messages whose prediction changed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from improve.evaluate import Report


@dataclass
class Change:
    text: str
    gold: str
    before: str
    after: str

    @property
    def verdict(self) -> str:
        if self.after == self.gold:
            return "fixed"
        return "broken" if self.before == self.gold else "still wrong"


def changed_predictions(before: Report, after: Report) -> list[Change]:
    """Pairs the two runs' predictions by (text, gold); duplicates pair in order."""
    remaining: dict[tuple[str, str], list[str]] = {}
    for text, gold, predicted in after.predictions:
        remaining.setdefault((text, gold), []).append(predicted)
    changes = []
    for text, gold, predicted in before.predictions:
        options = remaining.get((text, gold))
        if options:
            new = options.pop(0)
            if new != predicted:
                changes.append(Change(text, gold, predicted, new))
    return changes


def intent_table(before: Report, after: Report) -> list[str]:
    lines = [f"{'intent':30} {'F1 before':>9} {'F1 after':>9} {'change':>7} {'n':>4}"]
    names = sorted(
        set(before.intents) | set(after.intents),
        key=lambda n: (
            after.intents.get(n, {}).get("f1-score", 0.0) - before.intents.get(n, {}).get("f1-score", 0.0),
            n,
        ),
    )
    for name in names:
        b = before.intents.get(name, {}).get("f1-score", 0.0)
        a = after.intents.get(name, {}).get("f1-score", 0.0)
        n = int(after.intents.get(name, before.intents.get(name, {})).get("support", 0))
        lines.append(f"{name:30} {b:9.3f} {a:9.3f} {a - b:+7.3f} {n:4d}")
    for label, b, a in (
        ("macro-F1", before.macro_f1, after.macro_f1),
        ("accuracy", before.accuracy, after.accuracy),
    ):
        lines.append(f"{label:30} {b:9.4f} {a:9.4f} {a - b:+7.4f}")
    return lines


def change_lines(changes: list[Change]) -> list[str]:
    counts = Counter(c.verdict for c in changes)
    head = (
        f"held-out messages whose prediction changed: {len(changes)} "
        f"(fixed {counts['fixed']}, broken {counts['broken']}, "
        f"still wrong {counts['still wrong']})"
    )
    lines = [head]
    for c in sorted(changes, key=lambda c: (c.verdict, c.gold, c.text)):
        lines.append(f"  [{c.verdict}] {c.text!r}: {c.before} -> {c.after} (want {c.gold})")
    return lines
