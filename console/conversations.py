"""Conversations: the summary index, the filtered list and the transcript."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from console import masking
from console.db import Database, annotations_table, conversations, events, reviews
from console.events import (
    FEEDBACK_SLOT,
    Summary,
    booking_reference,
    custom_of,
    feedback_value,
    flags_of,
    is_crisis,
    is_fallback,
    joined,
    load,
    user_turn,
)

_SUMMARY_BATCH = 200


def refresh_index(db: Database) -> int:
    """Brings console_conversations up to date with `events`; returns senders rebuilt.

    A sender's row is rebuilt when its event count or newest event id changed (new turns,
    a purge), and dropped when it has no events left. Comparing per sender, instead of
    keeping one high-water mark, also catches rows another Rasa instance committed late.
    """
    if not db.events_table_exists():
        return 0
    with db.tracker.connect() as conn:
        current = {
            row.sender_id: (row.n, row.max_id)
            for row in conn.execute(
                sa.select(
                    events.c.sender_id, sa.func.count().label("n"), sa.func.max(events.c.id).label("max_id")
                ).group_by(events.c.sender_id)
            )
        }
    with db.console.connect() as conn:
        indexed = {
            row.sender_id: (row.n_events, row.max_event_id)
            for row in conn.execute(
                sa.select(conversations.c.sender_id, conversations.c.n_events, conversations.c.max_event_id)
            )
        }
    stale = [s for s, v in current.items() if indexed.get(s) != v]
    gone = [s for s in indexed if s not in current]
    for start in range(0, len(stale), _SUMMARY_BATCH):
        _rebuild(db, stale[start : start + _SUMMARY_BATCH])
    if gone:
        with db.console.begin() as conn:
            for start in range(0, len(gone), _SUMMARY_BATCH):
                conn.execute(
                    conversations.delete().where(
                        conversations.c.sender_id.in_(gone[start : start + _SUMMARY_BATCH])
                    )
                )
    return len(stale)


def _rebuild(db: Database, senders: List[str]) -> None:
    summaries: Dict[str, Summary] = {s: Summary() for s in senders}
    counts: Dict[str, List[int]] = {s: [0, 0] for s in senders}
    with db.tracker.connect() as conn:
        rows = conn.execute(
            sa.select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id.in_(senders))
            .order_by(events.c.id)
        )
        for row in rows:
            summaries[row.sender_id].add(row.type_name, row.timestamp, load(row.data))
            count = counts[row.sender_id]
            count[0] += 1
            count[1] = max(count[1], row.id)
    with db.console.begin() as conn:
        conn.execute(conversations.delete().where(conversations.c.sender_id.in_(senders)))
        values = []
        for sender, s in summaries.items():
            if not counts[sender][0]:
                continue
            values.append(
                dict(
                    sender_id=sender,
                    n_events=counts[sender][0],
                    max_event_id=counts[sender][1],
                    first_ts=s.first_ts,
                    last_ts=s.last_ts,
                    n_user=s.n_user,
                    n_bot=s.n_bot,
                    topics=joined(s.topics),
                    intents=joined(s.intents),
                    min_confidence=s.min_confidence,
                    fallback=s.fallback,
                    crisis=s.crisis,
                    handoff=s.handoff,
                    booking_started=s.booking_started,
                    booking_made=s.booking_made,
                    negative_feedback=s.negative_feedback,
                    first_message=(s.first_message or "")[:500],
                    search_text="\n".join(s.texts).lower(),
                )
            )
        if values:
            conn.execute(conversations.insert(), values)


# ----------------------------------------------------------------------------- the list

BOOL_FILTERS = ("fallback", "crisis", "handoff", "booking_made", "negative_feedback")


@dataclass
class Filters:
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    topic: str = ""
    intent: str = ""
    confidence_below: Optional[float] = None
    flags: Set[str] = field(default_factory=set)  # names from BOOL_FILTERS
    reviewed: str = ""  # "", "yes", "no"
    q: str = ""

    @classmethod
    def from_args(cls, args: Dict[str, Any]) -> "Filters":
        def first(name: str) -> str:
            value = args.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return (value or "").strip()

        def date(name: str) -> Optional[dt.date]:
            try:
                return dt.date.fromisoformat(first(name)) if first(name) else None
            except ValueError:
                return None

        try:
            below = float(first("confidence_below")) if first("confidence_below") else None
        except ValueError:
            below = None
        return cls(
            date_from=date("date_from"),
            date_to=date("date_to"),
            topic=first("topic"),
            intent=first("intent"),
            confidence_below=below,
            flags={name for name in BOOL_FILTERS if first(name) in ("1", "on", "yes", "true")},
            reviewed=first("reviewed") if first("reviewed") in ("yes", "no") else "",
            q=first("q")[:200],
        )

    def as_query(self) -> Dict[str, str]:
        out: Dict[str, str] = {}
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        for name in ("topic", "intent", "reviewed", "q"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.confidence_below is not None:
            out["confidence_below"] = f"{self.confidence_below:g}"
        for name in sorted(self.flags):
            out[name] = "1"
        return out


def day_bounds(day: dt.date, tz: str) -> Tuple[float, float]:
    """Unix timestamps of the start and end of a calendar day in the clinic's time zone."""
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.timestamp(), end.timestamp()


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_conversations(
    db: Database, filters: Filters, page: int = 1, page_size: int = 25
) -> Tuple[List[Dict[str, Any]], int]:
    refresh_index(db)
    c = conversations
    query = sa.select(c, reviews.c.reviewed_by, reviews.c.reviewed_at).select_from(
        c.outerjoin(reviews, reviews.c.sender_id == c.c.sender_id)
    )
    conds = []
    tz = db.settings.timezone
    if filters.date_from:
        conds.append(c.c.last_ts >= day_bounds(filters.date_from, tz)[0])
    if filters.date_to:
        conds.append(c.c.first_ts < day_bounds(filters.date_to, tz)[1])
    if filters.topic:
        conds.append(c.c.topics.like(f"%|{_like_escape(filters.topic)}|%", escape="\\"))
    if filters.intent:
        conds.append(c.c.intents.like(f"%|{_like_escape(filters.intent)}|%", escape="\\"))
    if filters.confidence_below is not None:
        conds.append(c.c.min_confidence < filters.confidence_below)
    for name in filters.flags:
        conds.append(getattr(c.c, name).is_(True))
    if filters.reviewed == "yes":
        conds.append(reviews.c.sender_id.isnot(None))
    elif filters.reviewed == "no":
        conds.append(reviews.c.sender_id.is_(None))
    if filters.q:
        conds.append(c.c.search_text.like(f"%{_like_escape(filters.q.lower())}%", escape="\\"))
    if conds:
        query = query.where(sa.and_(*conds))
    page = max(1, page)
    with db.console.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = (
            conn.execute(
                query.order_by(c.c.last_ts.desc(), c.c.sender_id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
            .mappings()
            .all()
        )
    personal = _personal_values_of(db, [row["sender_id"] for row in rows])
    out = []
    for row in rows:
        item = dict(row)
        # The visitor's own name and contact, as given for the booking, are masked here too.
        item["first_message"] = masking.mask(item.get("first_message"), personal.get(item["sender_id"], ()))
        item["topics"] = [t for t in (item["topics"] or "").split("|") if t]
        item["intents"] = [t for t in (item["intents"] or "").split("|") if t]
        item.pop("search_text", None)
        out.append(item)
    return out, total


def known_values(db: Database) -> Tuple[List[str], List[str]]:
    """The topics and intents seen in conversations, for the filter drop-downs (from the
    index as list_conversations last refreshed it)."""
    topics: Set[str] = set()
    intents: Set[str] = set()
    with db.console.connect() as conn:
        for row in conn.execute(sa.select(conversations.c.topics, conversations.c.intents)):
            topics.update(t for t in (row.topics or "").split("|") if t)
            intents.update(t for t in (row.intents or "").split("|") if t)
    return sorted(topics), sorted(intents)


# ----------------------------------------------------------------------------- transcript


def _personal_values(rows) -> List[str]:
    values = []
    for row in rows:
        if row.type_name == "slot":
            event = load(row.data)
            if event.get("name") in masking.PERSONAL_SLOTS and isinstance(event.get("value"), str):
                values.append(event["value"])
    return values


def transcript(db: Database, sender_id: str) -> Optional[Dict[str, Any]]:
    """The conversation as staff see it: masked text, NLU results, contract payloads."""
    if not db.events_table_exists():
        return None
    with db.tracker.connect() as conn:
        rows = conn.execute(
            sa.select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
        ).all()
    if not rows:
        return None
    personal = _personal_values(rows)
    with db.console.connect() as conn:
        notes: Dict[int, List[Dict[str, Any]]] = {}
        for a in conn.execute(
            sa.select(annotations_table)
            .where(annotations_table.c.sender_id == sender_id)
            .order_by(annotations_table.c.id)
        ).mappings():
            note = dict(a)
            note["message_text"] = masking.mask(note["message_text"], personal)
            notes.setdefault(a["event_id"], []).append(note)
        review = conn.execute(sa.select(reviews).where(reviews.c.sender_id == sender_id)).mappings().first()
    items: List[Dict[str, Any]] = []
    down_ts: Set[float] = set()
    for row in rows:
        event = load(row.data)
        if row.type_name == "slot" and event.get("name") == FEEDBACK_SLOT:
            value = event.get("value")
            if feedback_value(value) == "down" and isinstance(value, dict):
                try:
                    down_ts.add(round(float(value["bot_ts"]), 3))
                except (KeyError, TypeError, ValueError):
                    pass
    for row in rows:
        event = load(row.data)
        base = {"id": row.id, "ts": row.timestamp, "type": row.type_name}
        if row.type_name == "user":
            turn = user_turn(event)
            entities = [
                {
                    "entity": e.get("entity"),
                    "value": masking.mask(str(e.get("value", "")), personal),
                    "extractor": e.get("extractor"),
                }
                for e in turn.entities
            ]
            items.append(
                {
                    **base,
                    "kind": "user",
                    "text": masking.mask(turn.text, personal),
                    "intent": turn.intent,
                    "confidence": turn.confidence,
                    "entities": entities,
                    "ranking": [
                        {"name": r.get("name"), "confidence": r.get("confidence")} for r in turn.ranking[:3]
                    ],
                    "fallback": turn.intent == "nlu_fallback",
                    "annotations": notes.get(row.id, []),
                }
            )
        elif row.type_name == "bot":
            custom = custom_of(event)
            flags = sorted(flags_of(custom))
            if is_crisis(custom) and "crisis" not in flags:
                flags.append("crisis")
            if is_fallback(custom) and "fallback" not in flags:
                flags.append("fallback")
            sources = [s for s in custom.get("sources") or [] if isinstance(s, dict)]
            buttons = (event.get("data") or {}).get("buttons") or []
            items.append(
                {
                    **base,
                    "kind": "bot",
                    "text": masking.mask(event.get("text"), personal),
                    "topic": custom.get("topic"),
                    "sources": sources,
                    "flags": flags,
                    "requested_slot": custom.get("requested_slot"),
                    "booking_reference": booking_reference(custom),
                    "medications": custom.get("medications") or [],
                    "buttons": [
                        masking.mask(str(b.get("title", "")), personal)
                        for b in buttons
                        if isinstance(b, dict)
                    ],
                    "negative_feedback": row.timestamp is not None and round(row.timestamp, 3) in down_ts,
                }
            )
        elif row.type_name == "slot" and event.get("name") == FEEDBACK_SLOT:
            items.append({**base, "kind": "feedback", "value": feedback_value(event.get("value"))})
        elif row.type_name == "session_started":
            items.append({**base, "kind": "session"})
        elif row.type_name == "action" and row.action_name not in ("action_listen", "action_session_start"):
            items.append({**base, "kind": "action", "name": row.action_name})
    return {
        "sender_id": sender_id,
        "items": items,
        "review": dict(review) if review else None,
        "first_ts": rows[0].timestamp,
        "last_ts": rows[-1].timestamp,
        "n_events": len(rows),
    }


def _personal_values_of(db: Database, senders: List[str]) -> Dict[str, List[str]]:
    """personal_values for a page of conversations, in one query."""
    found: Dict[str, List[str]] = {}
    if not senders or not db.events_table_exists():
        return found
    with db.tracker.connect() as conn:
        rows = conn.execute(
            sa.select(events.c.sender_id, events.c.type_name, events.c.data).where(
                events.c.sender_id.in_(senders), events.c.type_name == "slot"
            )
        ).all()
    for row in rows:
        found.setdefault(row.sender_id, []).extend(_personal_values([row]))
    return found


def personal_values(db: Database, sender_id: str) -> List[str]:
    """What the visitor gave for the booking's personal slots (masked everywhere else)."""
    with db.tracker.connect() as conn:
        return _personal_values(
            conn.execute(
                sa.select(events.c.type_name, events.c.data).where(
                    events.c.sender_id == sender_id, events.c.type_name == "slot"
                )
            )
        )


def user_message(db: Database, sender_id: str, event_id: int) -> Optional[Dict[str, Any]]:
    """The raw (unmasked) visitor message with that event id, for annotating it."""
    with db.tracker.connect() as conn:
        row = conn.execute(
            sa.select(events).where(
                events.c.id == event_id, events.c.sender_id == sender_id, events.c.type_name == "user"
            )
        ).first()
    if row is None:
        return None
    turn = user_turn(load(row.data))
    return {"id": row.id, "text": turn.text, "intent": turn.intent}
