"""The booking form through Rasa's own form machinery, without a trained model or servers.

Rasa's `action_extract_slots` and `FormAction` run for real against the real domain.yml; the
custom actions run in-process through rasa_sdk's executor instead of over HTTP. Only the
policy is stood in for, by `Conversation.policy` below, which follows data/rules/booking.yml (the
trained model's RulePolicy does the same). Every turn is checked for exactly one contract
payload, as the widget and converse_eval.py require.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

rasa = pytest.importorskip("rasa")

from rasa.core.actions.action import ActionExecutionRejection, action_for_name_or_text  # noqa: E402
from rasa.core.channels import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa_sdk.executor import ActionExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
QUESTION_INTENTS = {
    "tms_insurance",
    "tms_side_effects",
    "clinic_contact",
    "chitchat_greet",
    "out_of_scope",
}


class InProcessActionServer:
    """Stands in for the action server's HTTP endpoint: same JSON in, same JSON out."""

    url = "in-process"
    kwargs: dict[str, Any] = {}

    def __init__(self) -> None:
        self.executor = ActionExecutor()
        self.executor.register_package("actions")

    async def request(self, json: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        return await self.executor.run(json)


class Conversation:
    def __init__(self, sender: str = "flow-visitor") -> None:
        self.domain = Domain.load(str(ROOT / "domain.yml"))
        self.endpoint = InProcessActionServer()
        self.nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        self.tracker = DialogueStateTracker.from_events(
            sender, [ActionExecuted("action_listen")], self.domain.slots
        )

    async def _run(self, name: str) -> bool:
        """Runs one action as the processor does; False if a form rejected."""
        action = action_for_name_or_text(name, self.domain, self.endpoint)
        try:
            events = await action.run(CollectingOutputChannel(), self.nlg, self.tracker, self.domain)
        except ActionExecutionRejection:
            self.tracker.update(ActionExecutionRejected(name))
            return False
        self.tracker.update(ActionExecuted(name))
        self.tracker.update_with_events(events, self.domain)
        return True

    async def _turn(self, text: str, intent: str) -> list[dict[str, Any]]:
        start = len(self.tracker.events)
        parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
        self.tracker.update(UserUttered(text, parse["intent"], [], parse))
        extract = action_for_name_or_text("action_extract_slots", self.domain, self.endpoint)
        self.tracker.update_with_events(
            await extract.run(CollectingOutputChannel(), self.nlg, self.tracker, self.domain), self.domain
        )
        await self.policy(intent)
        self.tracker.update(ActionExecuted("action_listen"))
        new = list(self.tracker.events)[start:]
        return [{"text": e.text, **(e.data or {})} for e in new if isinstance(e, BotUttered)]

    async def policy(self, intent: str) -> None:
        """data/rules/booking.yml, by hand."""
        form = self.tracker.active_loop_name
        if form:
            if await self._run(form):
                await self._after_form(form)
                return
            if intent in ("safety_crisis", "safety_emergency"):
                await self._run("utter_crisis" if intent == "safety_crisis" else "utter_emergency")
                await self._run("action_deactivate_loop")
            elif intent == "stop":
                await self._run("action_booking_stop")
                await self._run("action_deactivate_loop")
            elif intent == "booking_evaluation" and form == "booking_form":
                await self._run("action_booking_resume")
                await self._run(form)
            elif intent in QUESTION_INTENTS:
                await self._run("action_answer")
                await self._run(form)
            elif intent == "meds_specific":
                await self._run("action_answer_medications")
                await self._run(form)
            else:
                raise AssertionError(f"no rule for {intent} in {form}")
            return
        if intent in ("safety_crisis",):
            await self._run("utter_crisis")
        elif intent == "booking_evaluation":
            await self._run("booking_form")
            await self._after_form("booking_form")
        elif intent == "booking_manage":
            await self._run("booking_manage_form")
            await self._after_form("booking_manage_form")
        else:
            await self._run("action_answer")

    async def _after_form(self, form: str) -> None:
        if self.tracker.active_loop_name is None:
            await self._run(
                "action_booking_submit" if form == "booking_form" else "action_booking_manage_submit"
            )

    def say(self, text: str, intent: str = "inform") -> dict[str, Any]:
        replies = asyncio.run(self._turn(text, intent))
        customs = [r["custom"] for r in replies if r.get("custom")]
        assert len(customs) == 1, (text, replies)
        return {
            "custom": customs[0],
            "text": "\n".join(r["text"] or "" for r in replies),
            "buttons": [b for r in replies for b in r.get("buttons") or []],
        }


@pytest.fixture
def chat(booking_service):
    return Conversation()


def test_happy_path_books_and_gives_a_reference(chat, booking_service):
    reply = chat.say("I'd like to book an evaluation", "booking_evaluation")
    assert (
        reply["custom"]["requested_slot"] == "full_name" and reply["custom"]["topic"] == "booking.evaluation"
    )
    assert chat.say("Dana Whitfield")["custom"]["requested_slot"] == "contact"
    assert chat.say("dana.whitfield@example.com")["custom"]["requested_slot"] == "state"
    assert chat.say("Oregon")["custom"]["requested_slot"] == "adult"
    reply = chat.say("yes", "affirm")
    assert reply["custom"]["requested_slot"] == "appointment_time"
    first_button = reply["buttons"][0]["payload"]
    assert chat.say(first_button)["custom"]["requested_slot"] == "consent"
    reply = chat.say("yes", "affirm")
    assert (
        reply["custom"]["requested_slot"] == "confirm"
        and "Tuesday, December 1 at 9:00 AM PST" in reply["text"]
    )
    reply = chat.say("yes", "affirm")
    reference = reply["custom"]["booking"]["reference"]
    assert reference in reply["text"] and "PST" in reply["text"]
    assert chat.tracker.active_loop_name is None
    assert booking_service.store.get(reference).contact == "dana.whitfield@example.com"


def test_a_question_mid_booking_is_answered_and_the_question_comes_back(chat):
    chat.say("I want to book an appointment", "booking_evaluation")
    reply = chat.say("what are the side effects of tms?", "tms_side_effects")
    assert reply["custom"]["topic"] == "tms.side_effects"  # the answer's payload, only one
    assert "Back to your booking" in reply["text"] and "full name" in reply["text"]
    assert chat.tracker.active_loop_name == "booking_form"
    assert chat.say("Dana Whitfield")["custom"]["requested_slot"] == "contact"


def test_a_medication_question_mid_booking_keeps_one_payload(chat):
    chat.say("book an evaluation", "booking_evaluation")
    reply = chat.say("can I take zoloft with tms?", "meds_specific")
    assert reply["custom"]["topic"].startswith("meds.")
    assert "Back to your booking" in reply["text"] and chat.tracker.active_loop_name == "booking_form"


def test_crisis_mid_booking_wins_and_pauses_the_booking(chat):
    chat.say("book an evaluation", "booking_evaluation")
    chat.say("Dana Whitfield")
    reply = chat.say("i want to end my life", "safety_crisis")
    assert reply["custom"]["topic"] == "safety.crisis" and "988" in reply["text"]
    assert chat.tracker.active_loop_name is None
    assert chat.tracker.get_slot("full_name") == "Dana Whitfield"  # kept for later
    assert chat.tracker.get_slot("contact") is None
    reply = chat.say("book an evaluation", "booking_evaluation")
    assert reply["text"].startswith("Welcome back") and reply["custom"]["requested_slot"] == "contact"


def test_a_crisis_the_nlu_missed_is_still_answered_and_never_stored(chat):
    chat.say("book an evaluation", "booking_evaluation")
    chat.say("Dana Whitfield")
    reply = chat.say("honestly i want to end my life", "inform")  # misclassified as an answer
    assert reply["custom"]["topic"] == "safety.crisis" and "988" in reply["text"]
    assert chat.tracker.active_loop_name is None and chat.tracker.get_slot("contact") is None
    assert chat.tracker.get_slot("full_name") == "Dana Whitfield"


def test_cancel_mid_booking_stops_and_forgets(chat):
    chat.say("book an evaluation", "booking_evaluation")
    chat.say("Dana Whitfield")
    reply = chat.say("never mind", "stop")
    assert "Nothing was booked" in reply["text"] and chat.tracker.active_loop_name is None
    assert chat.tracker.get_slot("full_name") is None


def test_unlicensed_state_ends_with_alternatives(chat):
    chat.say("book an evaluation", "booking_evaluation")
    chat.say("Dana Whitfield")
    chat.say("dana@example.com")
    reply = chat.say("California")
    assert "California" in reply["text"] and "Oregon or Washington" in reply["text"]
    assert "requested_slot" not in reply["custom"] and chat.tracker.active_loop_name is None


def test_correction_at_the_summary_then_yes(chat, booking_service):
    chat.say("book an evaluation", "booking_evaluation")
    for text, intent in (
        ("Dana Whitfield", "inform"),
        ("503-555-0123", "inform"),
        ("WA", "inform"),
        ("yes", "affirm"),
        ("monday at 10am", "inform"),
        ("I agree", "affirm"),
    ):
        chat.say(text, intent)
    reply = chat.say("actually my email is dana.whitfield@example.com")
    assert reply["custom"]["requested_slot"] == "confirm" and "dana.whitfield@example.com" in reply["text"]
    reply = chat.say("change the time")
    assert reply["custom"]["requested_slot"] == "appointment_time"
    chat.say("the second one")
    reply = chat.say("yes", "affirm")  # back at the summary (consent was kept)
    assert reply["custom"]["booking"]["reference"]
    booking = booking_service.store.get(reply["custom"]["booking"]["reference"])
    assert booking.contact == "dana.whitfield@example.com" and booking.state == "WA"


def test_manage_cancel_by_reference_and_contact(chat, booking_service):
    booked = booking_service.store.book(
        full_name="Dana Whitfield",
        contact="dana@example.com",
        state="OR",
        start_utc=booking_service.open_slots()[0],
        sender_id="earlier",
    )
    reply = chat.say("I need to cancel my appointment", "booking_manage")
    assert reply["custom"] == {
        "topic": "booking.manage",
        "sources": [],
        "defer_to_clinician": False,
        "requested_slot": "manage_reference",
    }
    assert chat.say(booked.reference)["custom"]["requested_slot"] == "manage_contact"
    assert chat.say("dana@example.com")["custom"]["requested_slot"] == "manage_choice"
    reply = chat.say('/inform{"booking_choice":"cancel"}')
    assert "cancelled" in reply["text"] and chat.tracker.active_loop_name is None
    assert booking_service.store.get(booked.reference).status == "cancelled"
