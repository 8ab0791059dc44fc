"""Reading Rasa events (rows of `events`) and the response contract payloads they carry.

Rasa stores each event as JSON (`Event.as_dict()`): a visitor message (`type_name` "user")
has `parse_data` with `intent`, `entities` and `intent_ranking`; a reply ("bot") carries the
contract payload in `data.custom`; the widget's thumbs-down is a SlotSet ("slot") of `feedback`
with value {"value": "down", "bot_ts": <the reply's timestamp>}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set

# A check-in (possible risk) is flagged for staff like a crisis reply.
CRISIS_TOPICS = ("safety.crisis", "safety.emergency", "safety.check_in")
# A factual mention of suicide or overdose (answered with the 988 line) is reviewed with them.
CRISIS_FLAGS = ("crisis", "emergency", "check_in", "crisis_mention")
HANDOFF_TOPIC = "handoff.human"
FALLBACK_TOPIC = "fallback"
FALLBACK_INTENTS = ("nlu_fallback",)
FEEDBACK_SLOT = "feedback"


def load(data: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def custom_of(event: Dict[str, Any]) -> Dict[str, Any]:
    """The contract payload of a bot event (BotUttered.data["custom"]), or {}."""
    data = event.get("data") or {}
    custom = data.get("custom") if isinstance(data, dict) else None
    return custom if isinstance(custom, dict) else {}


def flags_of(custom: Dict[str, Any]) -> Set[str]:
    flags = custom.get("flags") or []
    return {str(f) for f in flags} if isinstance(flags, (list, tuple)) else set()


def is_fallback(custom: Dict[str, Any]) -> bool:
    return custom.get("topic") == FALLBACK_TOPIC or "fallback" in flags_of(custom)


def is_crisis(custom: Dict[str, Any]) -> bool:
    return custom.get("topic") in CRISIS_TOPICS or bool(flags_of(custom) & set(CRISIS_FLAGS))


def booking_reference(custom: Dict[str, Any]) -> Optional[str]:
    booking = custom.get("booking")
    if isinstance(booking, dict) and booking.get("reference"):
        return str(booking["reference"])
    return None


def feedback_value(value: Any) -> Optional[str]:
    """'up' / 'down' from the feedback slot's value (a dict {value, bot_ts} or a string)."""
    if isinstance(value, dict):
        value = value.get("value")
    return str(value) if value in ("up", "down") else None


@dataclass
class UserTurn:
    intent: Optional[str]
    confidence: Optional[float]
    entities: List[Dict[str, Any]]
    ranking: List[Dict[str, Any]]
    text: str


def user_turn(event: Dict[str, Any]) -> UserTurn:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence")
    return UserTurn(
        intent=intent.get("name"),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        entities=[e for e in parse.get("entities") or [] if isinstance(e, dict)],
        ranking=[r for r in parse.get("intent_ranking") or [] if isinstance(r, dict)],
        text=event.get("text") or "",
    )


@dataclass
class Summary:
    """What the conversation list filters on, for one sender."""

    first_ts: Optional[float] = None
    last_ts: Optional[float] = None
    n_user: int = 0
    n_bot: int = 0
    topics: Set[str] = field(default_factory=set)
    intents: Set[str] = field(default_factory=set)
    min_confidence: Optional[float] = None
    fallback: bool = False
    crisis: bool = False
    handoff: bool = False
    booking_started: bool = False
    booking_made: bool = False
    negative_feedback: bool = False
    first_message: Optional[str] = None
    texts: List[str] = field(default_factory=list)

    def add(self, type_name: str, timestamp: Optional[float], event: Dict[str, Any]) -> None:
        if timestamp is not None:
            self.first_ts = timestamp if self.first_ts is None else min(self.first_ts, timestamp)
            self.last_ts = timestamp if self.last_ts is None else max(self.last_ts, timestamp)
        if type_name == "user":
            turn = user_turn(event)
            self.n_user += 1
            if self.first_message is None:
                self.first_message = turn.text
            self.texts.append(turn.text)
            if turn.intent:
                self.intents.add(turn.intent)
                if turn.intent in FALLBACK_INTENTS:
                    self.fallback = True
                if turn.intent == "handoff_human":
                    self.handoff = True
            if turn.confidence is not None:
                self.min_confidence = (
                    turn.confidence
                    if self.min_confidence is None
                    else min(self.min_confidence, turn.confidence)
                )
        elif type_name == "bot":
            self.n_bot += 1
            custom = custom_of(event)
            topic = custom.get("topic")
            if topic:
                self.topics.add(str(topic))
            self.fallback |= is_fallback(custom)
            self.crisis |= is_crisis(custom)
            self.handoff |= topic == HANDOFF_TOPIC
            if custom.get("requested_slot"):
                self.booking_started = True
            if booking_reference(custom):
                self.booking_made = self.booking_started = True
        elif type_name == "slot" and event.get("name") == FEEDBACK_SLOT:
            if feedback_value(event.get("value")) == "down":
                self.negative_feedback = True


def joined(values: Iterable[str]) -> str:
    """'|a|b|' so that one value can be matched with LIKE '%|a|%' in any SQL dialect."""
    values = sorted(set(values))
    return "|" + "|".join(values) + "|" if values else ""
