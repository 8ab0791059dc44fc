"""Proposed answer changes and their review states: pending -> approved | rejected;
approved -> exported. The proposer cannot approve their own change."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa

from console.db import Database, answer_changes

STATES = ("pending", "approved", "rejected", "exported")


class ReviewError(ValueError):
    pass


def _row(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["sources"] = json.loads(item["sources"] or "[]")
    return item


def propose(
    db: Database,
    topic_id: str,
    answer: str,
    detail: str | None,
    sources: list[str],
    base: dict[str, Any],
    note: str,
    actor: str,
) -> int:
    with db.console.begin() as conn:
        result = conn.execute(
            answer_changes.insert().values(
                topic_id=topic_id,
                status="pending",
                answer=answer.strip(),
                detail=(detail or "").strip() or None,
                sources=json.dumps(sources),
                base_answer=str(base.get("answer") or ""),
                base_detail=base.get("detail"),
                note=(note or "").strip()[:1000] or None,
                proposed_by=actor,
                proposed_at=time.time(),
            )
        )
        return int(result.inserted_primary_key[0])


def get(db: Database, change_id: int) -> dict[str, Any] | None:
    with db.console.connect() as conn:
        row = (
            conn.execute(sa.select(answer_changes).where(answer_changes.c.id == change_id)).mappings().first()
        )
    return _row(row) if row else None


def listing(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    with db.console.connect() as conn:
        rows = (
            conn.execute(sa.select(answer_changes).order_by(answer_changes.c.id.desc()).limit(limit))
            .mappings()
            .all()
        )
    return [_row(r) for r in rows]


def decide(db: Database, change_id: int, actor: str, approve: bool) -> dict[str, Any]:
    change = get(db, change_id)
    if change is None:
        raise ReviewError("no such change")
    if change["status"] != "pending":
        raise ReviewError(f"this change is {change['status']}, not pending")
    if change["proposed_by"] == actor:
        raise ReviewError("a change needs another staff member's approval")
    with db.console.begin() as conn:
        conn.execute(
            answer_changes.update()
            .where(answer_changes.c.id == change_id)
            .values(status="approved" if approve else "rejected", decided_by=actor, decided_at=time.time())
        )
    return get(db, change_id) or change


def mark_exported(db: Database, change_id: int, actor: str, patch: str) -> None:
    with db.console.begin() as conn:
        updated = conn.execute(
            answer_changes.update()
            .where(answer_changes.c.id == change_id, answer_changes.c.status == "approved")
            .values(status="exported", exported_by=actor, exported_at=time.time(), patch=patch)
        )
    if updated.rowcount != 1:
        raise ReviewError("only an approved change can be exported")
