"""Deleting a conversation on a visitor's request, and the retention purge. Both audit-logged.

Deleting removes every event of the sender from Rasa's `events` table, the bookings made in
that conversation (name and contact; an upcoming appointment is thereby cancelled), and the
console's own data about it (summary row, review mark, annotations: they hold the visitor's
words). A person can also ask by contact or booking reference (`delete_bookings`). The purge
removes events older than the retention period and bookings whose appointment is older than
it. Messages about a booking (the outbox, practice/notifications/) go with the booking; the purge also
removes finished messages (sent, dead, cancelled) written before the cutoff. Call-back
requests go with their conversation, with a deletion by contact, and with the purge. Training data
already exported is outside the database and is not touched.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional

import sqlalchemy as sa

from console import audit, bookings
from console.blueprints.callbacks.pages import callback_store
from console.blueprints.notifications.pages import outbox_store
from console.conversations import refresh_index
from console.db import Database, annotations_table, conversations, events, reviews

_BATCH = 500


def delete_conversation(
    db: Database, sender_id: str, actor: str, reason: str = "visitor request"
) -> Dict[str, Any]:
    n_events = 0
    if db.events_table_exists():
        with db.tracker.begin() as conn:
            n_events = conn.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount
    with db.console.begin() as conn:
        n_notes = conn.execute(
            annotations_table.delete().where(annotations_table.c.sender_id == sender_id)
        ).rowcount
        conn.execute(reviews.delete().where(reviews.c.sender_id == sender_id))
        conn.execute(conversations.delete().where(conversations.c.sender_id == sender_id))
    n_bookings = bookings.eraser().for_conversation(sender_id)
    n_messages = outbox_store().delete_for_conversation(sender_id)
    n_requests = callback_store().delete_for_conversation(sender_id)
    result = {
        "events": n_events,
        "annotations": n_notes,
        "bookings": n_bookings,
        "messages": n_messages,
        "callback_requests": n_requests,
    }
    audit.record(db, actor, "delete_conversation", sender_id, reason=reason[:200], **result)
    return result


def delete_bookings(
    db: Database,
    actor: str,
    contact: Optional[str] = None,
    reference: Optional[str] = None,
    reason: str = "person's request",
) -> int:
    """Deletes a person's bookings, by the contact they booked with or by a reference. The
    audit log names the reference, never the contact."""
    if bool(contact) == bool(reference):
        raise ValueError("give a contact or a booking reference")
    eraser = bookings.eraser()
    n = eraser.for_contact(contact) if contact else eraser.for_reference(reference or "")
    if contact:  # the person's call-back requests too (same normalised contact)
        from practice.booking.fields import parse_contact

        parsed = parse_contact(contact)
        if parsed is not None:
            callback_store().delete_for_contact(parsed.value)
    audit.record(
        db,
        actor,
        "delete_bookings",
        reference.strip().upper() if reference else "by contact",
        reason=reason[:200],
        bookings=n,
    )
    return n


def purge(db: Database, days: int, actor: str, now: Optional[float] = None) -> Dict[str, Any]:
    """Deletes every event older than `days` days, and what the console kept about them."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or time.time()) - days * 86400
    n_events = n_notes = 0
    if db.events_table_exists():
        with db.tracker.connect() as conn:
            old_ids = [
                r[0]
                for r in conn.execute(
                    sa.select(events.c.id).where(events.c.timestamp < cutoff, events.c.type_name == "user")
                )
            ]
        with db.console.begin() as conn:
            for start in range(0, len(old_ids), _BATCH):
                n_notes += conn.execute(
                    annotations_table.delete().where(
                        annotations_table.c.event_id.in_(old_ids[start : start + _BATCH])
                    )
                ).rowcount
        with db.tracker.begin() as conn:
            n_events = conn.execute(events.delete().where(events.c.timestamp < cutoff)).rowcount
    refresh_index(db)
    with db.console.begin() as conn:
        # Review marks of conversations that no longer exist.
        conn.execute(reviews.delete().where(reviews.c.sender_id.notin_(sa.select(conversations.c.sender_id))))
    n_bookings = bookings.eraser().purge(datetime.fromtimestamp(cutoff, timezone.utc))
    n_messages = outbox_store().purge(datetime.fromtimestamp(cutoff, timezone.utc))
    n_requests = callback_store().purge(datetime.fromtimestamp(cutoff, timezone.utc))
    result = {
        "days": days,
        "cutoff": round(cutoff),
        "events": n_events,
        "annotations": n_notes,
        "bookings": n_bookings,
        "messages": n_messages,
        "callback_requests": n_requests,
    }
    audit.record(db, actor, "retention_purge", None, **result)
    return result
