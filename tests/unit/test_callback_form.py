"""The call-back request form (actions/callback.py), run as the action server runs it: the
offer after the "talk to a person" answer, each field's validation, the stored request with
the clinic's notice in the outbox, and the endings."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.callback import (
    ActionCallbackDeclined,
    ActionCallbackStop,
    ActionCallbackSubmit,
    AskCallbackConsent,
    ValidateCallbackForm,
)
from practice.notifications.callbacks import CallbackStore
from practice.notifications.tables import outbox

FILLED = {
    "callback_name": "Lee Park",
    "callback_contact": "+15035550123",
    "callback_time": "weekday mornings",
}


def run(action, tracker, domain) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def answer(form_tracker, domain_dict, field, text, slots=None, intent="inform"):
    tracker = form_tracker(
        slots=slots,
        text=text,
        intent=intent,
        requested=field,
        candidate={field: text},
        form="callback_form",
        sender="visitor-cb",
    )
    return run(ValidateCallbackForm(), tracker, domain_dict)


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


@pytest.fixture(autouse=True)
def _service(booking_service):
    return booking_service


def _answer_tracker(intent: str, text: str, slots=None, active_loop=None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return Tracker(
        "visitor-cb",
        dict(slots or {}),
        latest,
        [],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def test_the_person_answer_offers_a_callback_request(domain_dict):
    slots, messages = run(ActionAnswer(), _answer_tracker("handoff_human", "talk to a person"), domain_dict)
    assert slots["callback_offered"] is True
    assert "call-back request" in texts(messages)
    assert [b["payload"] for b in messages[0]["buttons"]][-2:] == ["/affirm", "/deny"]
    assert len([m for m in messages if m.get("custom")]) == 1


def test_no_offer_inside_a_form_and_the_offer_lapses_after_another_answer(domain_dict):
    slots, messages = run(
        ActionAnswer(),
        _answer_tracker("handoff_human", "talk to a person", active_loop="booking_form"),
        domain_dict,
    )
    assert "callback_offered" not in slots and "call-back" not in texts(messages)
    slots, _ = run(
        ActionAnswer(),
        _answer_tracker("tms_overview", "what is tms", {"callback_offered": True}),
        domain_dict,
    )
    assert slots["callback_offered"] is None


@pytest.mark.parametrize(
    "field, text, stored",
    [
        ("callback_name", "my name is lee park", "Lee Park"),
        ("callback_contact", "call me at 503-555-0123", "+15035550123"),
        ("callback_contact", "Lee@Mail.Test", "lee@mail.test"),
        ("callback_time", "  weekday \n mornings ", "weekday mornings"),
    ],
)
def test_fields_are_validated_like_the_booking_fields(form_tracker, domain_dict, field, text, stored):
    slots, _ = answer(form_tracker, domain_dict, field, text)
    assert slots[field] == stored


@pytest.mark.parametrize(
    "field, text, says",
    [
        ("callback_name", "what is tms?", "didn't catch a name"),
        ("callback_contact", "tomorrow", "US phone number or an email"),
        ("callback_time", "x" * 200, "a day or time"),
    ],
)
def test_invalid_answers_are_asked_again(form_tracker, domain_dict, field, text, says):
    slots, messages = answer(form_tracker, domain_dict, field, text)
    assert slots[field] is None and says in texts(messages)


def test_three_invalid_contacts_end_with_the_practice_contact(form_tracker, domain_dict):
    slots = {"callback_failures": {"callback_contact": 2}}
    result, _ = answer(form_tracker, domain_dict, "callback_contact", "nope", slots=slots)
    assert result["callback_outcome"] == {"kind": "gave_up", "field": "callback_contact"}


def test_consent_stores_the_request_with_the_clinic_notice(form_tracker, domain_dict, booking_service):
    slots, _ = answer(form_tracker, domain_dict, "callback_consent", "yes", slots=FILLED, intent="affirm")
    outcome = slots["callback_outcome"]
    assert outcome["kind"] == "requested" and outcome["reference"].startswith("CB-")
    store = CallbackStore(booking_service.store.engine)
    [request] = store.list("open")
    assert (request.full_name, request.contact, request.best_time) == (
        "Lee Park",
        "+15035550123",
        "weekday mornings",
    )
    with booking_service.store.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.kind, outbox.c.request_reference)).fetchall()
    assert [tuple(r) for r in rows] == [("clinic_callback_request", request.reference)]
    # A repeated "yes" in the same conversation makes no second request.
    again, _ = answer(form_tracker, domain_dict, "callback_consent", "yes", slots=FILLED, intent="affirm")
    assert again["callback_outcome"] == {"kind": "already", "reference": request.reference}
    assert len(store.list()) == 1


def test_no_consent_stores_nothing(form_tracker, domain_dict, booking_service):
    slots, _ = answer(form_tracker, domain_dict, "callback_consent", "no", slots=FILLED, intent="deny")
    assert slots["callback_outcome"] == {"kind": "no_consent"}
    assert CallbackStore(booking_service.store.engine).list() == []


def test_the_consent_question_names_the_contact(form_tracker, domain_dict):
    tracker = form_tracker(slots=FILLED, form="callback_form", requested="callback_consent")
    _, messages = run(AskCallbackConsent(), tracker, domain_dict)
    assert "(503) 555-0123" in texts(messages)
    assert messages[-1]["custom"]["requested_slot"] == "callback_consent"


@pytest.mark.parametrize(
    "outcome, says",
    [
        ({"kind": "requested", "reference": "CB-ABCDEF"}, "Your reference is CB-ABCDEF"),
        ({"kind": "no_consent"}, "haven't taken a request"),
        ({"kind": "gave_up", "field": "callback_name"}, "directly at"),
        ({"kind": "error"}, "couldn't save"),
    ],
)
def test_the_submit_says_how_it_ended_and_clears_the_slots(form_tracker, domain_dict, outcome, says):
    tracker = form_tracker(slots={**FILLED, "callback_outcome": outcome}, form=None)
    slots, messages = run(ActionCallbackSubmit(), tracker, domain_dict)
    assert says in texts(messages)
    assert all(value is None for value in slots.values()) and "callback_name" in slots


def test_declining_and_stopping(form_tracker, domain_dict):
    slots, messages = run(ActionCallbackDeclined(), form_tracker(form=None), domain_dict)
    assert slots == {"callback_offered": None} and "change your mind" in texts(messages)
    slots, messages = run(ActionCallbackStop(), form_tracker(slots=FILLED, form="callback_form"), domain_dict)
    assert slots["callback_name"] is None and "No request was taken" in texts(messages)
