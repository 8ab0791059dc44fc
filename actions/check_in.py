"""What follows a check-in answered "no", and a crisis reply's offer answered "yes".

The check-in question and the crisis replies are domain responses (they work with the action
server down); RiskPolicy (rasa_ext/policies/risk_policy.py) decides when each is said. These two
actions finish the conversation the visitor started before risk interrupted it:

- ``action_check_in_declined``: thanks the visitor, then answers the question in their answer
  ("no, just wondering how long tms takes"), or else the question they asked when the check-in
  came; with no question, the acknowledgement alone carries the turn's payload.
- ``action_answer_earlier_question``: answers the question a crisis message also asked
  (the intent it had before the crisis override, kept in its ``risk`` record).

Each answer is given by the same action that would have answered it at the time, run on the
earlier message, so it reads exactly as it would have.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from actions.answers import ActionAnswer
from actions.medications import ActionAnswerMedications
from practice.knowledge.loader import knowledge_base

CHECK_IN_TOPIC = "safety.check_in"
CHECK_IN_RESPONSES = ("utter_check_in", "utter_check_in_es")
CRISIS_RESPONSES = ("utter_crisis", "utter_crisis_es", "utter_emergency", "utter_emergency_es")
TRIGGER_QUESTION_CONFIDENCE = 0.6


def _question_intent(parse_data: dict[str, Any], min_confidence: float = 0.0) -> str | None:
    """The informational question a parsed message asked (the NLU's RiskClassifier records it)."""
    question = (parse_data.get("risk") or {}).get("question") or {}
    if question.get("name") and float(question.get("confidence") or 0.0) >= min_confidence:
        return str(question["name"])
    return None


def _user_message_before(events: list[dict[str, Any]], bot_actions: tuple) -> dict[str, Any] | None:
    """The visitor's message that the latest of ``bot_actions`` answered."""
    found_action = False
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") in bot_actions:
            found_action = True
        elif found_action and event.get("event") == "user":
            return event.get("parse_data") or {}
    return None


async def answer_as_then(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    parse: dict[str, Any],
    intent: str,
) -> list[EventType]:
    """Answers ``intent`` as its own action would have, for the message ``parse``."""
    earlier = tracker.copy()
    earlier.latest_message = {**parse, "intent": {"name": intent, "confidence": 1.0}}
    action = ActionAnswerMedications() if intent == "meds_specific" else ActionAnswer()
    return await action.run(dispatcher, earlier, domain)


def _spanish(tracker: Tracker) -> bool:
    risk = (tracker.latest_message or {}).get("risk") or {}
    last_bot = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    asked_in_spanish = any(str(name).endswith("_es") for name in last_bot[-3:])
    return bool(risk.get("spanish")) or asked_in_spanish


class ActionCheckInDeclined(Action):
    def name(self) -> str:
        return "action_check_in_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        phrases = knowledge_base().phrases
        thanks = phrases["check_in_declined_es" if _spanish(tracker) else "check_in_declined"]
        latest = tracker.latest_message or {}
        trigger = _user_message_before(tracker.events, CHECK_IN_RESPONSES) or {}
        # The answer may carry a question beside its "no"; the message that led to the check-in
        # is answered only if it clearly asked one (it was mostly about how the visitor feels).
        for parse, min_confidence in ((latest, 0.0), (trigger, TRIGGER_QUESTION_CONFIDENCE)):
            intent = _question_intent(parse, min_confidence)
            if intent:
                dispatcher.utter_message(text=thanks)
                return await answer_as_then(dispatcher, tracker, domain, parse, intent)
        dispatcher.utter_message(
            text=f"{thanks}\n\n{phrases['check_in_what_next']}",
            json_message=contract.payload(CHECK_IN_TOPIC, flags=["check_in_declined"]),
        )
        return []


class ActionAnswerEarlierQuestion(Action):
    def name(self) -> str:
        return "action_answer_earlier_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        parse = _user_message_before(tracker.events, CRISIS_RESPONSES) or {}
        intent = _question_intent(parse)
        if intent:
            return await answer_as_then(dispatcher, tracker, domain, parse, intent)
        phrases = knowledge_base().phrases
        dispatcher.utter_message(
            text=phrases["check_in_what_next"],
            json_message=contract.payload("chitchat.capabilities"),
        )
        return []
