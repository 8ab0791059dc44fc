"""The visitor messages the assistant could not answer well, read from the tracker events:

- fallback: the message got the fallback reply (or the NLU's nlu_fallback intent);
- low_confidence: the classifier's top intent was below LOW_CONFIDENCE;
- negative_feedback: the visitor gave the reply to it a thumbs-down;
- check_in_denied: it drew a risk check-in that the visitor then said no to (the question
  was an ordinary one the assistant misread).

Messages already annotated in the console are left out: someone has dealt with them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from console import masking
from console.conversations import _personal_values
from console.db import Database, annotations_table, events
from console.events import (
    FALLBACK_INTENTS,
    FEEDBACK_SLOT,
    custom_of,
    feedback_value,
    flags_of,
    is_fallback,
    load,
    user_turn,
)

LOW_CONFIDENCE = 0.5
CHECK_IN_TOPIC = "safety.check_in"
DENY_INTENTS = ("deny",)
CHECK_IN_DECLINED_ACTION = "action_check_in_declined"
MAX_MESSAGES = 2000  # newest first; the clustering is quadratic in this
REASONS = ("fallback", "low_confidence", "negative_feedback", "check_in_denied")


@dataclass
class GapMessage:
    event_id: int
    sender_id: str
    ts: float
    text: str  # masked: contact details and booking names hidden
    intent: str | None
    confidence: float | None
    ranking: list[dict[str, Any]]
    reasons: set[str] = field(default_factory=set)


def _conversation(rows: list[Any]) -> list[GapMessage]:
    personal = _personal_values([r for r in rows if r.type_name == "slot"])
    found: list[GapMessage] = []
    last: GapMessage | None = None
    by_reply_ts: dict[float, GapMessage] = {}
    check_in_for: GapMessage | None = None  # the message a check-in was asked after
    for row in rows:
        event = load(row.data)
        if row.type_name == "user":
            turn = user_turn(event)
            if check_in_for is not None and turn.intent in DENY_INTENTS:
                check_in_for.reasons.add("check_in_denied")
            check_in_for = None
            last = GapMessage(
                event_id=row.id,
                sender_id=row.sender_id,
                ts=row.timestamp or 0.0,
                text=masking.mask(turn.text, personal),
                intent=turn.intent,
                confidence=turn.confidence,
                ranking=[
                    {"name": r.get("name"), "confidence": float(r.get("confidence") or 0)}
                    for r in turn.ranking[:3]
                    if r.get("name")
                ],
            )
            if turn.intent in FALLBACK_INTENTS:
                last.reasons.add("fallback")
            if turn.confidence is not None and turn.confidence < LOW_CONFIDENCE:
                last.reasons.add("low_confidence")
            found.append(last)
        elif row.type_name == "bot" and last is not None:
            custom = custom_of(event)
            if row.timestamp is not None:
                by_reply_ts[round(row.timestamp, 3)] = last
            if is_fallback(custom):
                last.reasons.add("fallback")
            if custom.get("topic") == CHECK_IN_TOPIC or "check_in" in flags_of(custom):
                check_in_for = _asked_before(found, last)
        elif row.type_name == "action" and row.action_name == CHECK_IN_DECLINED_ACTION:
            previous = _asked_before(found, last) if last is not None else None
            if previous is not None:
                previous.reasons.add("check_in_denied")
        elif row.type_name == "slot" and event.get("name") == FEEDBACK_SLOT:
            value = event.get("value")
            if feedback_value(value) == "down" and isinstance(value, dict):
                try:
                    target = by_reply_ts.get(round(float(value["bot_ts"]), 3))
                except (KeyError, TypeError, ValueError):
                    target = None
                if target is not None:
                    target.reasons.add("negative_feedback")
    return [m for m in found if m.reasons]


def _asked_before(found: list[GapMessage], answer: GapMessage | None) -> GapMessage | None:
    """The message a check-in was about: the one it answered, unless that was the visitor's
    "no" to the check-in itself (then the one before)."""
    if answer is None:
        return None
    if answer.intent in DENY_INTENTS and len(found) > 1:
        return found[-2]
    return answer


def unanswered(db: Database, days: int = 28, now: float | None = None) -> list[GapMessage]:
    """The messages of the last `days` days with at least one reason, newest first."""
    if not db.events_table_exists():
        return []
    since = (now or time.time()) - days * 86400
    recent = (
        sa.select(events.c.sender_id)
        .where(events.c.type_name == "user", events.c.timestamp >= since)
        .distinct()
    )
    with db.tracker.connect() as conn:  # whole conversations: a reply may rate an older turn
        rows = conn.execute(
            sa.select(events).where(events.c.sender_id.in_(recent)).order_by(events.c.sender_id, events.c.id)
        ).all()
    with db.console.connect() as conn:
        done = {r.event_id for r in conn.execute(sa.select(annotations_table.c.event_id))}
    by_sender: dict[str, list[Any]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(row)
    found = [
        m
        for chat in by_sender.values()
        for m in _conversation(chat)
        if m.ts >= since and m.event_id not in done
    ]
    found.sort(key=lambda m: -m.ts)
    return found[:MAX_MESSAGES]
