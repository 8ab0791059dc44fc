"""What follows a check-in answered "no", and a crisis reply's offer answered "yes" (actions/check_in.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.check_in import ActionAnswerEarlierQuestion, ActionCheckInDeclined


def parse(
    text: str, intent: str, question: str | None = None, confidence: float = 0.9, spanish: bool = False
) -> dict[str, Any]:
    risk = {
        "level": "none",
        "spanish": spanish,
        "question": {"name": question, "confidence": confidence} if question else None,
    }
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [], "risk": risk}


def user(p: dict[str, Any]) -> dict[str, Any]:
    return {"event": "user", "text": p["text"], "parse_data": p}


def bot_action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def run(action, events: list[dict[str, Any]], latest: dict[str, Any]) -> list[dict[str, Any]]:
    tracker = Tracker("visitor", {}, latest, events + [user(latest)], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def payloads(messages):
    return [m["custom"] for m in messages if m.get("custom")]


CHECK_IN = [
    user(parse("i'm worn out by everything", "out_of_scope")),
    bot_action("utter_check_in"),
    bot_action("action_listen"),
]


def test_no_with_a_question_is_thanked_then_answered():
    messages = run(
        ActionCheckInDeclined(),
        CHECK_IN,
        parse("no, just wondering how long tms takes", "deny", question="tms_procedure", confidence=0.4),
    )
    assert messages[0]["text"].startswith("Thank you for telling me") and not messages[0].get("custom")
    (payload,) = payloads(messages)
    assert payload["topic"] == "tms.procedure" and payload["sources"]


def test_no_alone_answers_the_question_the_check_in_interrupted():
    events = [
        user(
            parse(
                "nothing works, is tms covered by insurance",
                "tms_insurance",
                question="tms_insurance",
                confidence=0.8,
            )
        ),
        bot_action("utter_check_in"),
        bot_action("action_listen"),
    ]
    (payload,) = payloads(run(ActionCheckInDeclined(), events, parse("no", "deny")))
    assert payload["topic"] == "tms.insurance"


def test_a_weak_guess_at_a_question_in_the_trigger_is_not_answered():
    events = [
        user(
            parse(
                "i'm worn out and nothing helps",
                "tms_effectiveness",
                question="tms_effectiveness",
                confidence=0.3,
            )
        ),
        bot_action("utter_check_in"),
        bot_action("action_listen"),
    ]
    messages = run(ActionCheckInDeclined(), events, parse("no", "deny"))
    (payload,) = payloads(messages)
    assert payload["topic"] == "safety.check_in" and payload["flags"] == ["check_in_declined"]
    assert "988" in messages[0]["text"]


def test_spanish_check_in_is_thanked_in_spanish():
    events = [
        user(parse("ya no puedo más", "out_of_scope", spanish=True)),
        bot_action("utter_check_in_es"),
        bot_action("action_listen"),
    ]
    messages = run(ActionCheckInDeclined(), events, parse("no", "deny"))
    assert messages[0]["text"].startswith("Gracias")


def test_yes_to_the_offer_answers_the_question_asked_with_the_risk():
    events = [
        user(
            parse(
                "i'm thinking about suicide, what does a session feel like",
                "safety_crisis",
                question="tms_procedure",
                confidence=0.48,
            )
        ),
        bot_action("utter_crisis"),
        bot_action("utter_offer_question"),
        bot_action("action_listen"),
    ]
    (payload,) = payloads(run(ActionAnswerEarlierQuestion(), events, parse("yes", "affirm")))
    assert payload["topic"] == "tms.procedure"
