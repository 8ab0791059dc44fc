"""The booking form's validators, questions and endings, run as the action server runs them
(rasa_sdk Tracker + CollectingDispatcher), against a temporary database and a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher

from actions.booking.form import (
    ActionBookingResume,
    ActionBookingStop,
    ActionBookingSubmit,
    AskAppointmentTime,
    AskConfirm,
    AskContact,
    AskFullName,
    ValidateBookingForm,
)
from actions.booking.manage import (
    ActionBookingManageSubmit,
    AskManageChoice,
    AskManageReference,
    ValidateBookingManageForm,
)
from practice.booking.fields import parse_contact, parse_state

FILLED = {
    "full_name": "Dana Whitfield",
    "contact": "dana@example.com",
    "state": "OR",
    "adult": True,
    "appointment_time": "2026-12-01T17:00:00Z",
    "consent": True,
}
FIRST_SLOT = datetime(2026, 12, 1, 17, tzinfo=timezone.utc)  # Tue 9:00 AM PST


def run(action, tracker, domain) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def answer(form_tracker, domain_dict, field, text, slots=None, intent="inform", **kw):
    """The visitor answers `field` with `text`: what does the validator set and say?"""
    tracker = form_tracker(
        slots=slots, text=text, intent=intent, requested=field, candidate={field: text}, **kw
    )
    return run(ValidateBookingForm(), tracker, domain_dict)


def texts_of(messages):
    return " ".join(m.get("text") or "" for m in messages)


def customs(messages):
    return [m["custom"] for m in messages if m.get("custom")]


@pytest.fixture(autouse=True)
def _service(booking_service):
    return booking_service


# --------------------------------------------------------------------------- fields


def test_full_name_is_cleaned(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "full_name", "my name is Dana Whitfield")
    assert slots["full_name"] == "Dana Whitfield" and messages == []


@pytest.mark.parametrize("text", ["yes", "what does tms cost?", "12345", "a"])
def test_full_name_rejects_non_names_with_a_clear_message(form_tracker, domain_dict, text):
    slots, messages = answer(form_tracker, domain_dict, "full_name", text)
    assert slots["full_name"] is None
    assert "full name" in texts_of(messages)
    assert slots["booking_failures"] == {"full_name": 1}
    assert customs(messages) == []  # the question that follows carries the payload


@pytest.mark.parametrize(
    "text, stored",
    [
        ("Dana.Whitfield@Example.com", "dana.whitfield@example.com"),
        ("my number is (503) 555-0123", "+15035550123"),
        ("+1 360.555.0147", "+13605550147"),
    ],
)
def test_contact_accepts_an_email_or_a_us_phone(form_tracker, domain_dict, text, stored):
    slots, messages = answer(form_tracker, domain_dict, "contact", text, slots={"full_name": "Dana"})
    assert slots["contact"] == stored and messages == []


@pytest.mark.parametrize("text", ["dana@example", "555-0123", "+44 20 7946 0958", "call me maybe"])
def test_contact_invalid_gets_a_clear_message(form_tracker, domain_dict, text):
    slots, messages = answer(form_tracker, domain_dict, "contact", text, slots={"full_name": "Dana"})
    assert slots["contact"] is None
    assert "email address or a US phone number" in texts_of(messages)


def test_three_invalid_answers_offer_the_practice_contact_instead(form_tracker, domain_dict):
    failures = None
    for attempt in (1, 2):
        slots, messages = answer(
            form_tracker, domain_dict, "contact", "nope", slots={"booking_failures": failures}
        )
        failures = slots["booking_failures"]
        assert failures == {"contact": attempt} and messages
    slots, messages = answer(
        form_tracker, domain_dict, "contact", "nope", slots={"booking_failures": failures}
    )
    assert slots["requested_slot"] is None  # the form ends...
    assert slots["booking_outcome"] == {"kind": "gave_up", "field": "contact"}
    assert messages == []  # ...and the submit action says what to do instead
    submitted, said = run(
        ActionBookingSubmit(), form_tracker(slots={**slots, "full_name": "Dana"}, form=None), domain_dict
    )
    assert "(503) 555-0142" in texts_of(said) and "care@example.com" in texts_of(said)
    assert customs(said) == [{"topic": "booking.evaluation", "sources": [], "defer_to_clinician": False}]
    assert "full_name" not in submitted  # what was given is kept for a later try


def test_a_valid_answer_resets_the_failure_count(form_tracker, domain_dict):
    slots, _ = answer(
        form_tracker, domain_dict, "contact", "dana@example.com", slots={"booking_failures": {"contact": 2}}
    )
    assert slots["contact"] == "dana@example.com" and slots["booking_failures"] is None


@pytest.mark.parametrize(
    "text, code",
    [("Oregon", "OR"), ("WA", "WA"), ("I'll be at home in Vancouver, Washington", "WA"), ("orgeon", "OR")],
)
def test_state_accepts_licensed_names_and_abbreviations(form_tracker, domain_dict, text, code):
    slots, messages = answer(form_tracker, domain_dict, "state", text)
    assert slots["state"] == code and messages == []


def test_an_unlicensed_state_ends_the_booking_politely(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "state", "California")
    assert slots["requested_slot"] is None and slots["state"] is None
    assert slots["booking_outcome"] == {"kind": "unlicensed", "state": "CA"}
    _, said = run(ActionBookingSubmit(), form_tracker(slots=slots, form=None), domain_dict)
    text = texts_of(said)
    assert "Oregon or Washington" in text and "California" in text and "(503) 555-0142" in text
    assert customs(said)[0]["topic"] == "booking.evaluation"


def test_an_unknown_place_asks_again(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "state", "the moon")
    assert slots["state"] is None and "US state" in texts_of(messages)


@pytest.mark.parametrize(
    "text, intent",
    [("yes", "affirm"), ("I'm 34", "inform"), ("/affirm", "affirm"), ("yes I'm over 18", "affirm")],
)
def test_adult_yes(form_tracker, domain_dict, text, intent):
    slots, _ = answer(form_tracker, domain_dict, "adult", text, intent=intent)
    assert slots["adult"] is True


@pytest.mark.parametrize("text, intent", [("no", "deny"), ("I'm 17", "inform"), ("I'm under 18", "deny")])
def test_under_the_minimum_age_ends_politely(form_tracker, domain_dict, text, intent):
    slots, messages = answer(form_tracker, domain_dict, "adult", text, intent=intent)
    assert slots["booking_outcome"] == {"kind": "under_age"} and slots["requested_slot"] is None
    _, said = run(ActionBookingSubmit(), form_tracker(slots=slots, form=None), domain_dict)
    assert "18 and older" in texts_of(said) and "988" in texts_of(said)


def test_adult_unclear_asks_yes_or_no(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "adult", "maybe", intent="nlu_fallback")
    assert slots["adult"] is None and "yes or no" in texts_of(messages)


def test_consent(form_tracker, domain_dict):
    assert answer(form_tracker, domain_dict, "consent", "I agree", intent="affirm")[0]["consent"] is True
    slots, _ = answer(form_tracker, domain_dict, "consent", "no", intent="deny")
    assert slots["booking_outcome"] == {"kind": "no_consent"}
    slots, messages = answer(form_tracker, domain_dict, "consent", "what?", intent="nlu_fallback")
    assert slots["consent"] is None and "yes or no" in texts_of(messages)


# ----------------------------------------------------------------- appointment time


def test_a_time_button_is_accepted_silently(form_tracker, domain_dict):
    slots, messages = answer(
        form_tracker, domain_dict, "appointment_time", '/inform{"appointment_time":"2026-12-01T17:00:00Z"}'
    )
    assert slots["appointment_time"] == "2026-12-01T17:00:00Z" and messages == []


def test_a_typed_time_is_matched_and_read_back(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "appointment_time", "next tuesday afternoon")
    assert slots["appointment_time"] == "2026-12-01T21:00:00Z"
    assert texts_of(messages) == "That's Tuesday, December 1 at 1:00 PM PST."


def test_the_first_one_means_the_first_offered(form_tracker, domain_dict):
    offered = ["2026-12-02T18:00:00Z", "2026-12-02T19:00:00Z"]
    slots, _ = answer(
        form_tracker, domain_dict, "appointment_time", "the first one", slots={"booking_offered": offered}
    )
    assert slots["appointment_time"] == offered[0]


def test_more_times_pages_without_an_error(form_tracker, domain_dict):
    slots, messages = answer(
        form_tracker,
        domain_dict,
        "appointment_time",
        '/inform{"appointment_time":"more"}',
        slots={"booking_offer_page": 0},
    )
    assert slots["appointment_time"] is None and slots["booking_offer_page"] == 1 and messages == []


def test_a_slot_booked_meanwhile_is_reported_and_not_counted(form_tracker, domain_dict, booking_service):
    booking_service.store.book(
        full_name="Sam", contact="sam@example.com", state="WA", start_utc=FIRST_SLOT, sender_id="other"
    )
    slots, messages = answer(
        form_tracker, domain_dict, "appointment_time", '/inform{"appointment_time":"2026-12-01T17:00:00Z"}'
    )
    assert slots["appointment_time"] is None and "no longer available" in texts_of(messages)
    assert slots["booking_failures"] is None


def test_an_unmatched_time_shows_the_nearest(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "appointment_time", "saturday at 8pm")
    assert slots["appointment_time"] is None
    assert 'matches "saturday at 8pm"' in texts_of(messages)


def test_time_question_offers_the_soonest_slots_as_buttons(form_tracker, domain_dict):
    tracker = form_tracker(slots={"full_name": "Dana"}, requested="appointment_time")
    slots, messages = run(AskAppointmentTime(), tracker, domain_dict)
    assert len(customs(messages)) == 1
    assert customs(messages)[0]["requested_slot"] == "appointment_time"
    buttons = messages[0]["buttons"]
    assert buttons[0] == {
        "title": "Tue Dec 1, 9:00 AM PST",
        "payload": '/inform{"appointment_time":"2026-12-01T17:00:00Z"}',
    }
    assert buttons[-1]["title"] == "More times" and len(buttons) == 6
    assert "1. Tue Dec 1, 9:00 AM PST" in messages[0]["text"]  # readable without buttons
    assert slots["booking_offered"][0] == "2026-12-01T17:00:00Z"
    second, messages = run(
        AskAppointmentTime(),
        form_tracker(slots={"booking_offer_page": 1}, requested="appointment_time"),
        domain_dict,
    )
    assert second["booking_offered"][0] == "2026-12-01T23:00:00Z"  # Tue 3 PM, the sixth slot
    assert "more open times" in messages[0]["text"]


# ------------------------------------------------------------------- the summary


def test_yes_at_the_summary_books_once_even_if_retried(form_tracker, domain_dict, booking_service):
    slots, messages = answer(form_tracker, domain_dict, "confirm", "yes", slots=FILLED, intent="affirm")
    reference = slots["booking_reference"]
    assert slots["confirm"] is True and reference.startswith("EV-") and messages == []
    again, _ = answer(form_tracker, domain_dict, "confirm", "yes", slots=FILLED, intent="affirm")
    assert again["booking_reference"] == reference
    with booking_service.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM bookings")).scalar_one() == 1
    stored = booking_service.store.get(reference)
    assert (stored.full_name, stored.contact, stored.state, stored.start_utc, stored.sender_id) == (
        "Dana Whitfield",
        "dana@example.com",
        "OR",
        FIRST_SLOT,
        "visitor-1",
    )


def test_the_confirmation_gives_the_reference_time_and_next_steps(form_tracker, domain_dict):
    slots, _ = answer(form_tracker, domain_dict, "confirm", "yes", slots=FILLED, intent="affirm")
    reset, said = run(ActionBookingSubmit(), form_tracker(slots={**FILLED, **slots}, form=None), domain_dict)
    payload = customs(said)
    assert len(payload) == 1 and payload[0]["topic"] == "booking.evaluation"
    assert payload[0]["booking"]["reference"] == slots["booking_reference"]
    text = texts_of(said)
    assert slots["booking_reference"] in text and "Tuesday, December 1 at 9:00 AM PST" in text
    assert "will contact you at dana@example.com" in text and "988" in text
    assert reset["full_name"] is None and reset["contact"] is None  # nothing kept in the slots


def test_a_slot_taken_before_yes_sends_the_visitor_back_to_the_times(
    form_tracker, domain_dict, booking_service
):
    booking_service.store.book(
        full_name="Sam", contact="sam@example.com", state="WA", start_utc=FIRST_SLOT, sender_id="other"
    )
    slots, messages = answer(form_tracker, domain_dict, "confirm", "yes", slots=FILLED, intent="affirm")
    assert slots["appointment_time"] is None and slots["confirm"] is None
    assert "just booked by someone else" in texts_of(messages)


def test_no_at_the_summary_asks_what_to_change(form_tracker, domain_dict):
    slots, messages = answer(form_tracker, domain_dict, "confirm", "no", slots=FILLED, intent="deny")
    assert slots == {"confirm": None, "booking_fix": True}
    _, asked = run(AskConfirm(), form_tracker(slots={**FILLED, **slots}, requested="confirm"), domain_dict)
    assert "What would you like to change" in asked[0]["text"]
    assert customs(asked)[0]["requested_slot"] == "confirm"
    payloads = [b["payload"] for b in asked[0]["buttons"]]
    assert '/inform{"booking_choice":"change:appointment_time"}' in payloads and "/stop" in payloads


@pytest.mark.parametrize(
    "text", ["change the time", '/inform{"booking_choice":"change:appointment_time"}', "time"]
)
def test_naming_a_field_at_the_summary_asks_it_again(form_tracker, domain_dict, text):
    slots, _ = answer(form_tracker, domain_dict, "confirm", text, slots={**FILLED, "booking_fix": True})
    assert slots["appointment_time"] is None and slots["confirm"] is None


def test_a_correction_at_the_summary_updates_the_field(form_tracker, domain_dict):
    slots, messages = answer(
        form_tracker, domain_dict, "confirm", "actually my email is dana.w@example.com", slots=FILLED
    )
    assert slots["contact"] == "dana.w@example.com" and slots["confirm"] is None
    assert "updated your email or phone number" in texts_of(messages)


def test_a_correction_mid_form_updates_the_field_and_asks_again(form_tracker, domain_dict):
    filled = {"full_name": "Dana Whitfield", "contact": "dana@example.com"}
    slots, messages = answer(
        form_tracker, domain_dict, "state", "actually my email is new@example.com", slots=filled
    )
    assert slots["contact"] == "new@example.com" and slots["state"] is None
    assert "updated" in texts_of(messages)


def test_a_correction_to_an_unlicensed_state_ends_the_booking(form_tracker, domain_dict):
    slots, _ = answer(form_tracker, domain_dict, "confirm", "I'll be in Idaho", slots=FILLED)
    assert slots["booking_outcome"] == {"kind": "unlicensed", "state": "ID"}


def test_summary_lists_the_fields_in_the_practice_time_zone(form_tracker, domain_dict):
    _, messages = run(AskConfirm(), form_tracker(slots=FILLED, requested="confirm"), domain_dict)
    text = messages[0]["text"]
    for part in (
        "Dana Whitfield",
        "dana@example.com",
        "Oregon",
        "18 or older",
        "Tuesday, December 1 at 9:00 AM PST",
    ):
        assert part in text
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny", "/stop"]


# ------------------------------------------------------- questions and the contract


def test_each_question_carries_one_payload_with_topic_and_requested_slot(form_tracker, domain_dict):
    for action, field in ((AskFullName(), "full_name"), (AskContact(), "contact")):
        _, messages = run(action, form_tracker(requested=field), domain_dict)
        assert customs(messages) == [
            {
                "topic": "booking.evaluation",
                "sources": [],
                "defer_to_clinician": False,
                "requested_slot": field,
            }
        ]


def test_the_first_question_introduces_the_booking(form_tracker, domain_dict):
    started = [{"event": "active_loop", "name": "booking_form"}]
    _, messages = run(AskFullName(), form_tracker(requested="full_name", turn_events=started), domain_dict)
    text = messages[0]["text"]
    assert "don't share health details" in text and "988" in text and text.endswith("what's your full name?")
    _, messages = run(
        AskContact(),
        form_tracker(slots={"full_name": "Dana"}, requested="contact", turn_events=started),
        domain_dict,
    )
    assert messages[0]["text"].startswith("Welcome back")


def test_after_an_answer_mid_booking_the_question_has_no_second_payload(form_tracker, domain_dict):
    answered = [{"event": "bot", "text": "TMS answer", "data": {"custom": {"topic": "tms.insurance"}}}]
    _, messages = run(AskContact(), form_tracker(requested="contact", turn_events=answered), domain_dict)
    assert customs(messages) == []
    assert messages[0]["text"].startswith("Back to your booking:")


def test_stop_clears_the_booking(form_tracker, domain_dict):
    slots, said = run(ActionBookingStop(), form_tracker(slots=FILLED, requested="state"), domain_dict)
    assert all(slots[f] is None for f in FILLED)
    assert "Nothing was booked" in texts_of(said) and customs(said)[0]["topic"] == "booking.evaluation"


def test_asking_to_book_again_mid_booking_is_text_only(form_tracker, domain_dict):
    slots, said = run(ActionBookingResume(), form_tracker(requested="state"), domain_dict)
    assert slots == {} and customs(said) == [] and said


def test_questions_crises_and_stop_are_never_taken_as_answers(domain_dict):
    """A crisis or a question mid-form must make the form reject, so the rules answer it."""
    must_skip = {
        "safety_crisis",
        "safety_emergency",
        "tms_insurance",
        "meds_specific",
        "clinic_contact",
        "out_of_scope",
    }
    for name in (
        "full_name",
        "contact",
        "state",
        "adult",
        "appointment_time",
        "consent",
        "confirm",
        "manage_reference",
        "manage_contact",
        "manage_choice",
        "manage_new_time",
    ):
        for mapping in domain_dict["slots"][name]["mappings"]:
            assert mapping["type"] == "from_text"
            assert must_skip <= set(mapping["not_intent"]), name
            assert mapping["conditions"][0]["requested_slot"] == name
    for name in ("full_name", "contact", "state", "adult", "appointment_time", "consent", "confirm"):
        assert "stop" in domain_dict["slots"][name]["mappings"][0]["not_intent"]
    intents = set(domain_dict["intents"])
    for slot in domain_dict["slots"].values():
        for mapping in slot.get("mappings", []):
            assert set(mapping.get("not_intent", [])) <= intents


def test_the_form_asks_exactly_the_product_fields(domain_dict):
    assert domain_dict["forms"]["booking_form"]["required_slots"] == [
        "full_name",
        "contact",
        "state",
        "adult",
        "appointment_time",
        "consent",
        "confirm",
    ]
    actions = set(domain_dict["actions"])
    for field in domain_dict["forms"]["booking_form"]["required_slots"]:
        assert f"action_ask_{field}" in actions


def test_prefilled_answers_are_revalidated_when_the_booking_resumes(
    form_tracker, domain_dict, booking_service
):
    """After a crisis pause, "book an evaluation" validates what was kept, e.g. a time now gone."""
    booking_service.store.book(
        full_name="Sam", contact="sam@example.com", state="WA", start_utc=FIRST_SLOT, sender_id="other"
    )
    tracker = form_tracker(slots=FILLED, requested=None, candidate=dict(FILLED), intent="booking_evaluation")
    slots, messages = run(ValidateBookingForm(), tracker, domain_dict)
    assert slots["full_name"] == "Dana Whitfield" and slots["contact"] == "dana@example.com"
    assert slots["state"] == "OR" and slots["adult"] is True and slots["consent"] is True
    assert slots["appointment_time"] is None
    assert "no longer available" in texts_of(messages)


# ----------------------------------------------------------------- manage a booking


@pytest.fixture
def booked(booking_service):
    return booking_service.store.book(
        full_name="Dana Whitfield",
        contact="+15035550123",
        state="OR",
        start_utc=FIRST_SLOT,
        sender_id="visitor-0",
    )


def manage(form_tracker, domain_dict, field, text, slots=None, intent="inform"):
    tracker = form_tracker(
        slots=slots,
        text=text,
        intent=intent,
        requested=field,
        candidate={field: text},
        form="booking_manage_form",
    )
    return run(ValidateBookingManageForm(), tracker, domain_dict)


def test_manage_reference_is_read_from_text(form_tracker, domain_dict, booked):
    slots, _ = manage(form_tracker, domain_dict, "manage_reference", f"it's {booked.reference.lower()}")
    assert slots["manage_reference"] == booked.reference and slots["requested_slot"] == "manage_contact"
    slots, messages = manage(form_tracker, domain_dict, "manage_reference", "I don't have it")
    assert slots["manage_reference"] is None and "EV-" in texts_of(messages)


def test_manage_needs_the_contact_used_for_the_booking(form_tracker, domain_dict, booked):
    slots, messages = manage(
        form_tracker,
        domain_dict,
        "manage_contact",
        "503 555 0199",
        slots={"manage_reference": booked.reference},
    )
    assert slots["manage_reference"] is None and slots["manage_contact"] is None
    assert "couldn't find an active booking" in texts_of(messages)
    slots, _ = manage(
        form_tracker,
        domain_dict,
        "manage_contact",
        "(503) 555-0123",
        slots={"manage_reference": booked.reference},
    )
    assert slots["manage_contact"] == "+15035550123" and slots["requested_slot"] == "manage_choice"


def test_manage_cancel(form_tracker, domain_dict, booked, booking_service):
    known = {"manage_reference": booked.reference, "manage_contact": "+15035550123"}
    _, asked = run(
        AskManageChoice(),
        form_tracker(slots=known, requested="manage_choice", form="booking_manage_form"),
        domain_dict,
    )
    assert "Tuesday, December 1 at 9:00 AM PST" in asked[0]["text"]
    assert customs(asked)[0] == {
        "topic": "booking.manage",
        "sources": [],
        "defer_to_clinician": False,
        "requested_slot": "manage_choice",
    }
    slots, _ = manage(
        form_tracker, domain_dict, "manage_choice", '/inform{"booking_choice":"cancel"}', slots=known
    )
    assert slots["requested_slot"] is None and slots["manage_outcome"]["kind"] == "cancelled"
    assert booking_service.store.get(booked.reference).status == "cancelled"
    cleared, said = run(
        ActionBookingManageSubmit(), form_tracker(slots={**known, **slots}, form=None), domain_dict
    )
    assert "is cancelled" in texts_of(said) and booked.reference in texts_of(said)
    assert "booking" not in customs(said)[0]  # not counted as a new booking
    assert cleared["manage_reference"] is None


def test_manage_move(form_tracker, domain_dict, booked, booking_service):
    known = {"manage_reference": booked.reference, "manage_contact": "+15035550123"}
    slots, _ = manage(form_tracker, domain_dict, "manage_choice", "I'd like to reschedule", slots=known)
    assert slots["manage_choice"] == "move"
    # the domain's order applies again (new time next); the form is not ended
    assert slots.get("requested_slot", "manage_new_time") == "manage_new_time"
    known["manage_choice"] = "move"
    slots, _ = manage(form_tracker, domain_dict, "manage_new_time", "thursday 2pm", slots=known)
    assert slots["manage_outcome"]["kind"] == "moved" and slots["requested_slot"] is None
    assert booking_service.store.get(booked.reference).start_utc == datetime(
        2026, 12, 3, 22, tzinfo=timezone.utc
    )
    _, said = run(ActionBookingManageSubmit(), form_tracker(slots={**known, **slots}, form=None), domain_dict)
    assert "moved to Thursday, December 3 at 2:00 PM PST" in texts_of(said)


def test_manage_move_to_a_taken_slot_asks_again(form_tracker, domain_dict, booked, booking_service):
    taken = FIRST_SLOT + timedelta(hours=1)
    booking_service.store.book(
        full_name="Sam", contact="sam@example.com", state="WA", start_utc=taken, sender_id="other"
    )
    known = {"manage_reference": booked.reference, "manage_contact": "+15035550123", "manage_choice": "move"}
    slots, messages = manage(
        form_tracker,
        domain_dict,
        "manage_new_time",
        '/inform{"appointment_time":"2026-12-01T18:00:00Z"}',
        slots=known,
    )
    assert slots["manage_new_time"] is None and "no longer available" in texts_of(messages)
    assert booking_service.store.get(booked.reference).start_utc == FIRST_SLOT


def test_manage_starts_with_an_intro(form_tracker, domain_dict):
    started = [{"event": "active_loop", "name": "booking_manage_form"}]
    _, messages = run(
        AskManageReference(),
        form_tracker(requested="manage_reference", form="booking_manage_form", turn_events=started),
        domain_dict,
    )
    assert "cancel or move" in messages[0]["text"] and customs(messages)[0]["topic"] == "booking.manage"


def test_field_parsers_used_by_the_validators():
    assert parse_contact("503-555-0123").display == "(503) 555-0123"
    assert parse_state("i live in oregon or washington") is None  # ambiguous: ask again


@pytest.mark.parametrize(
    "status, said", [("attended", "in the past"), ("no_show", "in the past"), ("cancelled", "cancelled")]
)
def test_managing_an_inactive_booking_does_not_reveal_attendance(
    form_tracker, domain_dict, booked, booking_service, status, said
):
    booking_service.store.set_status(booked.reference, status)
    known = {"manage_reference": booked.reference}
    slots, _ = manage(form_tracker, domain_dict, "manage_contact", "(503) 555-0123", slots=known)
    assert slots["manage_outcome"] == {"kind": "inactive", "status": said}
    _, reply = run(
        ActionBookingManageSubmit(), form_tracker(slots={**known, **slots}, form=None), domain_dict
    )
    text = texts_of(reply).lower()
    assert f"it was {said}" in text
    assert "attended" not in text and "no show" not in text and "no-show" not in text
