"""Conversations holding the paraphrase table's messages (tests/console/gap_paraphrases.py),
written by Rasa's own SQLTrackerStore, each message with one of the reasons the "can't
answer yet" page collects, plus answered messages that must stay off it."""

from __future__ import annotations

import random

from tests.console import rasa_events
from tests.console.gap_paraphrases import labelled
from tests.console.rasa_events import DAY, Chat, answer

FALLBACK = {"topic": "fallback", "sources": [], "defer_to_clinician": False, "flags": ["fallback"]}
CHECK_IN = {"topic": "safety.check_in", "sources": [], "defer_to_clinician": True, "flags": ["check_in"]}
ANSWERED = ["what is tms", "how long does a tms session take", "does tms hurt"]


def chats(now: float, seed: int = 3) -> tuple[list[Chat], dict[str, str], dict[str, str]]:
    """(chats, message -> group, message -> reason): every fourth message is a
    low-confidence fallback, then a thumbs-down on a confident wrong answer, then a denied
    check-in; the rest plain fallbacks. Half are this week, half the week before."""
    rng = random.Random(seed)
    out, groups, reasons = [], {}, {}
    for i, (text, group) in enumerate(labelled()):
        age = rng.uniform(0.1, 6.5) if i % 2 == 0 else rng.uniform(7.5, 13.5)
        chat = Chat(f"gap-{i:03d}", now - age * DAY)
        kind = ("low_confidence", "fallback", "negative_feedback", "check_in_denied")[i % 4]
        if kind == "negative_feedback":
            chat.user(text, "tms_overview", 0.81).bot("TMS is ...", answer("tms.overview"))
            chat.slot("feedback", {"value": "down", "bot_ts": chat.last_bot_ts()})
        elif kind == "check_in_denied":
            chat.user(text, "tms_insurance", 0.7).bot(
                "Are you having thoughts of ending your life?", CHECK_IN, action="utter_check_in"
            )
            chat.user("no", "deny", 0.98).bot(
                "Thank you for telling me.", answer("tms.insurance"), action="action_check_in_declined"
            )
        elif kind == "low_confidence":
            chat.user(text, "tms_insurance", 0.31).bot(
                "I'm not sure.", FALLBACK, action="action_default_fallback"
            )
        else:
            chat.user(text, "nlu_fallback", 0.9).bot(
                "I'm not sure.", FALLBACK, action="action_default_fallback"
            )
        chat.user(ANSWERED[i % len(ANSWERED)], "tms_overview", 0.97).bot("TMS is ...", answer("tms.overview"))
        out.append(chat)
        groups[text], reasons[text] = group, kind
    return out, groups, reasons


def fill(db_path: str, now: float | None = None) -> tuple[dict[str, str], dict[str, str]]:
    import time

    items, groups, reasons = chats(now or time.time())
    rasa_events.write(db_path, items)
    return groups, reasons
