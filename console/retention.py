"""Deleting a conversation on a visitor's request, and the retention purge. Both audit-logged.

Deleting removes every event of the sender from Rasa's `events` table, and the console's
own data about it (summary row, review mark, annotations: they hold the visitor's words).
Training data already exported is outside the database and is not touched.
"""
from __future__ import annotations

import time
from typing import Any, Dict

import sqlalchemy as sa

from console import audit
from console.conversations import refresh_index
from console.db import Database, annotations, conversations, events, reviews

_BATCH = 500


def delete_conversation(db: Database, sender_id: str, actor: str,
                        reason: str = "visitor request") -> Dict[str, Any]:
    n_events = 0
    if db.events_table_exists():
        with db.tracker.begin() as conn:
            n_events = conn.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount
    with db.console.begin() as conn:
        n_notes = conn.execute(annotations.delete().where(
            annotations.c.sender_id == sender_id)).rowcount
        conn.execute(reviews.delete().where(reviews.c.sender_id == sender_id))
        conn.execute(conversations.delete().where(conversations.c.sender_id == sender_id))
    result = {"events": n_events, "annotations": n_notes}
    audit.record(db, actor, "delete_conversation", sender_id, reason=reason[:200], **result)
    return result


def purge(db: Database, days: int, actor: str, now: float = None) -> Dict[str, Any]:
    """Deletes every event older than `days` days, and what the console kept about them."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or time.time()) - days * 86400
    n_events = n_notes = 0
    if db.events_table_exists():
        with db.tracker.connect() as conn:
            old_ids = [r[0] for r in conn.execute(sa.select(events.c.id).where(
                events.c.timestamp < cutoff, events.c.type_name == "user"))]
        with db.console.begin() as conn:
            for start in range(0, len(old_ids), _BATCH):
                n_notes += conn.execute(annotations.delete().where(
                    annotations.c.event_id.in_(old_ids[start:start + _BATCH]))).rowcount
        with db.tracker.begin() as conn:
            n_events = conn.execute(events.delete().where(events.c.timestamp < cutoff)).rowcount
    refresh_index(db)
    with db.console.begin() as conn:
        # Review marks of conversations that no longer exist.
        conn.execute(reviews.delete().where(reviews.c.sender_id.notin_(
            sa.select(conversations.c.sender_id))))
    result = {"days": days, "cutoff": round(cutoff), "events": n_events, "annotations": n_notes}
    audit.record(db, actor, "retention_purge", None, **result)
    return result
