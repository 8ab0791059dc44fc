"""Annotations of visitor messages and their export as Rasa NLU training data."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import sqlalchemy as sa
import yaml

from console import masking
from console.db import Database, annotations_table, exports

NEEDS_NEW_ANSWER = "__needs_new_answer__"
# Intents Rasa adds itself or that no example should be trained into.
_NOT_TRAINABLE = {"nlu_fallback"}
# Neutral stand-ins for contact details in training examples (no real person's data in data/).
EXAMPLE_EMAIL = "name@example.com"
EXAMPLE_PHONE = "555-555-0100"
EXAMPLE_NAME = "Alex Doe"


def domain_intents(domain_file: Path) -> List[str]:
    with open(domain_file, encoding="utf-8") as handle:
        domain = yaml.safe_load(handle) or {}
    names = []
    for item in domain.get("intents") or []:
        name = next(iter(item)) if isinstance(item, dict) else str(item)
        if name not in _NOT_TRAINABLE:
            names.append(name)
    return names


def training_text(text: str, personal_values: Sequence[str] = ()) -> str:
    """The message as a training example: one line, no contact details, no Rasa markup."""
    for value in sorted({v for v in personal_values if v and len(v.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(value.strip()), EXAMPLE_NAME, text, flags=re.IGNORECASE)
    text = masking.EMAIL.sub(EXAMPLE_EMAIL, text)
    text = masking.PHONE.sub(
        lambda m: m.group(0) if masking._KEEP.match(m.group(0).strip()) else EXAMPLE_PHONE, text
    )
    # [text](entity) and {..} are Rasa's entity markup: visitor text must not create entities.
    text = text.translate(str.maketrans("[]{}", "()()"))
    return " ".join(text.split())[:500]


def annotate(
    db: Database,
    sender_id: str,
    event_id: int,
    text: str,
    predicted_intent: Optional[str],
    intent: str,
    note: str,
    actor: str,
    personal_values: Sequence[str] = (),
) -> int:
    needs_new = intent == NEEDS_NEW_ANSWER
    with db.console.begin() as conn:
        result = conn.execute(
            annotations_table.insert().values(
                sender_id=sender_id,
                event_id=event_id,
                message_text=training_text(text, personal_values),
                predicted_intent=predicted_intent,
                intent=None if needs_new else intent,
                needs_new_answer=needs_new,
                note=(note or "").strip()[:2000] or None,
                created_by=actor,
                created_at=time.time(),
            )
        )
        return int(result.inserted_primary_key[0])


def pending(db: Database) -> List[Dict[str, Any]]:
    with db.console.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(annotations_table)
                .where(annotations_table.c.export_id.is_(None))
                .order_by(annotations_table.c.id)
            ).mappings()
        ]


def recent(db: Database, limit: int = 100) -> List[Dict[str, Any]]:
    with db.console.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(annotations_table).order_by(annotations_table.c.id.desc()).limit(limit)
            ).mappings()
        ]


def list_exports(db: Database) -> List[Dict[str, Any]]:
    with db.console.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(
                    exports.c.id,
                    exports.c.created_by,
                    exports.c.created_at,
                    exports.c.filename,
                    exports.c.n_examples,
                ).order_by(exports.c.id.desc())
            ).mappings()
        ]


def get_export(db: Database, export_id: int) -> Optional[Dict[str, Any]]:
    with db.console.connect() as conn:
        row = conn.execute(sa.select(exports).where(exports.c.id == export_id)).mappings().first()
    return dict(row) if row else None


def _key(text: str) -> str:
    return " ".join(text.lower().split())


_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def existing_examples(data_dir: Path) -> Dict[str, Set[str]]:
    """normalised example text -> intents it is labelled with in the project's data/."""
    found: Dict[str, Set[str]] = {}
    for path in sorted(Path(data_dir).rglob("*.yml")):
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for block in content.get("nlu") or [] if isinstance(content, dict) else []:
            if not isinstance(block, dict) or "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.setdefault(_key(_ENTITY.sub(r"\1", line[2:])), set()).add(block["intent"])
    return found


def _yaml_comment(text: str) -> str:
    return " ".join(str(text).split())


def build_export(
    items: List[Dict[str, Any]],
    known_intents: List[str],
    existing: Dict[str, Set[str]],
    actor: str,
    now: Optional[float] = None,
) -> Tuple[str, int]:
    """(YAML text, number of examples) for these annotations."""
    now = now or time.time()
    by_text: Dict[str, Dict[str, Any]] = {}
    for item in items:  # oldest first: a later annotation of the same text wins
        if item["needs_new_answer"] or not item["intent"] or not item["message_text"].strip():
            continue
        by_text[_key(item["message_text"])] = item
    examples: Dict[str, List[str]] = {}
    skipped: List[str] = []
    conflicts: List[str] = []
    for key, item in by_text.items():
        intent = item["intent"]
        if intent not in known_intents:
            skipped.append(f"annotation {item['id']}: intent {intent!r} is not in domain.yml")
            continue
        labelled = existing.get(key, set())
        if intent in labelled:
            skipped.append(f"annotation {item['id']}: already an example of {intent}")
            continue
        if labelled:
            conflicts.append(
                f"annotation {item['id']}: {item['message_text']!r} is an example of "
                f"{', '.join(sorted(labelled))} in data/, annotated {intent}"
            )
            continue
        examples.setdefault(intent, []).append(" ".join(item["message_text"].split()))
    new_answers = [i for i in items if i["needs_new_answer"]]
    stamp = dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# NLU training examples from staff annotations (staff console), {stamp}, by {actor}.",
        "# Contact details were replaced by example values. To merge: save this file in",
        "# data/nlu/ (or move the examples into the file of their topic family), then run",
        "# `rasa data validate` and retrain.",
    ]
    for label, notes in (("Left out", skipped), ("Conflicts to resolve by hand", conflicts)):
        if notes:
            lines.append(f"# {label}:")
            lines += [f"#   - {_yaml_comment(n)}" for n in notes]
    if new_answers:
        lines.append("# Messages that need a new answer (no intent to train yet):")
        for item in new_answers:
            note = f" (note: {_yaml_comment(item['note'])})" if item.get("note") else ""
            lines.append(f"#   - {_yaml_comment(item['message_text'])!r}{note}")
    lines += ['version: "3.1"', "nlu:" if examples else "nlu: []"]
    count = 0
    for intent in sorted(examples):
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        for text in examples[intent]:
            lines.append(f"      - {text}")
            count += 1
    return "\n".join(lines) + "\n", count


def export_pending(db: Database, actor: str, known_intents: List[str]) -> Optional[Dict[str, Any]]:
    """Exports every annotation not yet exported; None when there is nothing to export."""
    items = pending(db)
    if not items:
        return None
    now = time.time()
    content, count = build_export(items, known_intents, existing_examples(db.settings.data_dir), actor, now)
    filename = (
        "nlu_annotations_"
        + dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime("%Y%m%d_%H%M%S")
        + ".yml"
    )
    with db.console.begin() as conn:
        export_id = conn.execute(
            exports.insert().values(
                created_by=actor, created_at=now, filename=filename, n_examples=count, content=content
            )
        ).inserted_primary_key[0]
        conn.execute(
            annotations_table.update()
            .where(annotations_table.c.id.in_([i["id"] for i in items]))
            .values(export_id=export_id)
        )
    return {
        "id": int(export_id),
        "filename": filename,
        "content": content,
        "n_examples": count,
        "n_annotations": len(items),
    }
