"""The booking form: `validate_booking_form`, a question action per field, and the ending.

Fields, in order (PRODUCT.md names, also the payload's `requested_slot`): full_name, contact,
state, adult, appointment_time, consent, then `confirm` (the summary). Questions, crises and
"cancel" mid-form are routed by rules (data/rules/booking.yml): every field's from_text mapping
excludes those intents, so the form rejects and the rule answers. The booking itself is made
when the visitor confirms the summary, so a slot taken meanwhile sends them back to the times.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking.common import (
    EVALUATION_TOPIC,
    MANAGE_TOPIC,
    Button,
    Check,
    FormQuestion,
    RepeatedFailureValidator,
    choice_of,
    choose_time,
    latest_intent,
    send,
    time_question,
    yes_no_buttons,
)
from practice.booking import fields
from practice.booking.appointment_times import parse_iso
from practice.booking.service import BookingService, booking_service
from practice.booking.store import BookingLimitReached, SlotTaken
from practice.client_key import client_key_of

logger = logging.getLogger(__name__)

FORM = "booking_form"
FIELDS = ("full_name", "contact", "state", "adult", "appointment_time", "consent", "confirm")
# Fields a visitor can change from the summary (the others are yes/no answers).
CORRECTABLE = ("full_name", "contact", "state", "appointment_time")
OUTCOME = "booking_outcome"
FAILURES = "booking_failures"
OFFERED = "booking_offered"
PAGE = "booking_offer_page"
FIX = "booking_fix"
REFERENCE = "booking_reference"
HELPER_SLOTS = (FAILURES, OFFERED, PAGE, FIX, OUTCOME)


def reset(*names: str) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


class ValidateBookingForm(RepeatedFailureValidator):
    failures_slot = FAILURES
    outcome_slot = OUTCOME

    def name(self) -> Text:
        return "validate_booking_form"

    # --------------------------------------------------------------- one check per field

    def check(self, field_name: str, value: Any, tracker: Tracker) -> Check:
        service = self.service()
        texts = service.texts
        intent = latest_intent(tracker)
        if field_name == "full_name":
            name = fields.clean_name(value)
            return Check(value=name) if name else Check(error=texts.say("invalid_full_name"))
        if field_name == "contact":
            contact = fields.parse_contact(value)
            return Check(value=contact.value) if contact else Check(error=texts.say("invalid_contact"))
        if field_name == "state":
            code = fields.parse_state(value)
            if code is None:
                return Check(error=texts.say("invalid_state"))
            if code not in service.licensed_states:
                return Check(end={"kind": "unlicensed", "state": code})
            return Check(value=code)
        if field_name == "adult":
            adult = fields.parse_adult(value, intent, service.minimum_age)
            if adult is None:
                return Check(error=texts.say("invalid_adult"))
            return Check(value=True) if adult else Check(end={"kind": "under_age"})
        if field_name == "consent":
            agreed = fields.parse_yes_no(value, intent)
            if agreed is None:
                return Check(error=texts.say("invalid_consent"))
            return Check(value=True) if agreed else Check(end={"kind": "no_consent"})
        if field_name == "appointment_time":
            return choose_time(
                service,
                value,
                tracker.get_slot(OFFERED),
                tracker.get_slot(PAGE),
                tracker.get_slot("appointment_time"),
                PAGE,
            )
        raise ValueError(field_name)

    def validate_field(
        self, field_name: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[str, Any]:
        correction = self.correction_in(field_name, value, tracker)
        if correction is not None and correction.field != field_name:
            return self.correct(field_name, correction, dispatcher, tracker)
        if correction is not None and correction.value:
            value = correction.value
        return self.apply(field_name, self.check(field_name, value, tracker), dispatcher, tracker)

    def correction_in(self, field_name: str, value: Any, tracker: Tracker) -> Optional[fields.Correction]:
        """A change to another field made while answering this one ("actually my email is ...")."""
        if not isinstance(value, str):
            return None
        correction = fields.detect_correction(value)
        if correction is None and field_name not in ("contact", "appointment_time"):
            if fields.EMAIL.search(value) or (
                field_name != "adult"
                and fields.looks_like_contact_attempt(value)
                and fields.parse_contact(value)
            ):
                correction = fields.Correction("contact", value)
        if correction is None or correction.field == field_name:
            return correction
        if correction.value is None and tracker.get_slot(correction.field) is None:
            return None  # "change the time" before a time was chosen: not a correction
        return correction

    def correct(
        self,
        field_name: str,
        correction: fields.Correction,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[str, Any]:
        """Applies a correction of another field; the current question is asked again."""
        target = correction.field
        keep_asking = {field_name: None, FIX: None}
        if correction.value is None:
            return {target: None, **keep_asking, PAGE: None}
        check = self.check(target, correction.value, tracker)
        if check.error is None and check.end is None and target != "appointment_time":
            check.note = self.service().texts.say("updated", label=self.service().texts.label(target))
        slots = self.apply(target, check, dispatcher, tracker)
        return {**keep_asking, **slots}

    # -------------------------------------------------------------------- validators

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("full_name", value, dispatcher, tracker)

    async def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("contact", value, dispatcher, tracker)

    async def validate_state(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("state", value, dispatcher, tracker)

    async def validate_adult(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("adult", value, dispatcher, tracker)

    async def validate_appointment_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("appointment_time", value, dispatcher, tracker)

    async def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self.validate_field("consent", value, dispatcher, tracker)

    async def validate_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The summary's answer: yes books, a field name or a correction changes it."""
        if value is True:  # re-validation of an already confirmed form: nothing to do
            return {"confirm": True}
        texts = self.service().texts
        raw = str(value or "")
        named = fields.field_named(raw)
        choice = choice_of(raw)
        if choice and choice.startswith("change:"):
            named = choice.split(":", 1)[1]
        if named in CORRECTABLE:
            return {named: None, "confirm": None, FIX: None, PAGE: None}
        correction = self.correction_in("confirm", raw, tracker)
        if correction is not None:
            return self.correct("confirm", correction, dispatcher, tracker)
        answer = fields.parse_yes_no(raw, latest_intent(tracker))
        if answer is True:
            return self.book(dispatcher, tracker)
        if answer is False:
            return {"confirm": None, FIX: True}
        return self.reject("confirm", texts.say("invalid_confirm"), dispatcher, tracker)

    def book(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        service = self.service()
        start = parse_iso(str(tracker.get_slot("appointment_time") or ""))
        missing = [f for f in FIELDS[:-1] if tracker.get_slot(f) in (None, "")]
        if missing or start is None:
            return {"confirm": None, **{f: None for f in missing}}
        # Still inside the bookable window (lead time may have passed since it was offered)?
        if start not in service.availability.open_slots(service.now()):
            dispatcher.utter_message(text=service.texts.say("time_taken"))
            return {"appointment_time": None, "confirm": None, PAGE: None}
        try:
            booking = service.store.book(
                full_name=tracker.get_slot("full_name"),
                contact=tracker.get_slot("contact"),
                state=tracker.get_slot("state"),
                start_utc=start,
                sender_id=tracker.sender_id,
                client_key=client_key_of(tracker.events),
                limits=service.limits,
            )
        except BookingLimitReached as limit:
            return self.end({"kind": "limit", "which": limit.which}, confirm=None)
        except SlotTaken:
            dispatcher.utter_message(
                text=service.texts.say("slot_just_taken", when=service.availability.describe(start))
            )
            return {"appointment_time": None, "confirm": None, PAGE: None}
        except Exception:
            logger.exception("booking failed")
            return self.end({"kind": "error"}, confirm=None)
        return {
            "confirm": True,
            REFERENCE: booking.reference,
            OUTCOME: {
                "kind": "booked",
                "reference": booking.reference,
                "start": tracker.get_slot("appointment_time"),
            },
            FAILURES: None,
            FIX: None,
        }


# ------------------------------------------------------------------------ questions


class BookingQuestion(FormQuestion):
    form = FORM
    topic = EVALUATION_TOPIC

    def lead_in(self, service: BookingService, tracker: Tracker) -> Optional[str]:
        from actions.booking.common import activated_this_turn

        if activated_this_turn(tracker, FORM) and any(tracker.get_slot(f) is not None for f in FIELDS):
            return service.texts.say("resume")
        if activated_this_turn(tracker, FORM):
            return service.texts.say("intro")
        return super().lead_in(service, tracker)


class AskFullName(BookingQuestion):
    field = "full_name"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return service.texts.say("ask_full_name"), [], []


class AskContact(BookingQuestion):
    field = "contact"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        name = fields.first_name(tracker.get_slot("full_name"))
        return service.texts.say("ask_contact", first_name=name), [], []


class AskState(BookingQuestion):
    field = "state"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        buttons = [{"title": name, "payload": name} for name in service.licensed_states.values()]
        return service.texts.say("ask_state"), buttons, []


class AskAdult(BookingQuestion):
    field = "adult"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return service.texts.say("ask_adult"), yes_no_buttons(service), []


class AskAppointmentTime(BookingQuestion):
    field = "appointment_time"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return time_question(
            service, tracker, OFFERED, PAGE, "ask_appointment_time", "ask_appointment_time_more"
        )


class AskConsent(BookingQuestion):
    field = "consent"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        contact = fields.display_contact(tracker.get_slot("contact"))
        return service.texts.say("ask_consent", contact=contact), yes_no_buttons(service), []


class AskConfirm(BookingQuestion):
    field = "confirm"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        texts = service.texts
        if tracker.get_slot(FIX):
            buttons = [
                {"title": title, "payload": f'/inform{{"booking_choice":"change:{name}"}}'}
                for name, title in texts.fix_buttons().items()
            ]
            buttons += [
                {"title": texts.say("book_button"), "payload": "/affirm"},
                {"title": texts.say("cancel_button"), "payload": "/stop"},
            ]
            return texts.say("ask_fix"), buttons, []
        start = parse_iso(str(tracker.get_slot("appointment_time") or ""))
        text = texts.say(
            "ask_confirm",
            full_name=tracker.get_slot("full_name"),
            contact=fields.display_contact(tracker.get_slot("contact")),
            state=fields.state_name(tracker.get_slot("state")),
            when=service.availability.describe(start) if start else "",
        )
        buttons = [
            {"title": texts.say("book_button"), "payload": "/affirm"},
            {"title": texts.say("change_button"), "payload": "/deny"},
            {"title": texts.say("cancel_button"), "payload": "/stop"},
        ]
        return text, buttons, []


# ---------------------------------------------------------------------- the endings


class ActionBookingSubmit(Action):
    """After the form: the confirmation with its reference, or why it ended and what instead."""

    def name(self) -> Text:
        return "action_booking_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        service = booking_service()
        texts = service.texts
        outcome = tracker.get_slot(OUTCOME) or {}
        kind = outcome.get("kind") if isinstance(outcome, dict) else None
        if kind == "booked":
            start = parse_iso(str(outcome.get("start") or tracker.get_slot("appointment_time") or ""))
            contact = tracker.get_slot("contact") or ""
            text = texts.say(
                "confirmed",
                reference=outcome["reference"],
                when=service.availability.describe(start) if start else "",
                contact=fields.display_contact(contact),
                contact_kind="email address" if "@" in contact else "phone number",
                state=fields.state_name(tracker.get_slot("state")),
            )
            booking = {"reference": outcome["reference"], "start": outcome.get("start")}
            send(dispatcher, tracker, text, EVALUATION_TOPIC, booking=booking)
            return reset(*FIELDS, *HELPER_SLOTS)
        if kind == "unlicensed":
            text = texts.say("ended_unlicensed", state=fields.state_name(outcome.get("state")))
            send(dispatcher, tracker, text, EVALUATION_TOPIC)
            return reset(*FIELDS, *HELPER_SLOTS)
        if kind == "crisis":
            return reset(OUTCOME, FAILURES)  # the crisis resources were the whole reply
        if kind == "limit":  # nothing was booked; what was given is not kept
            which = "contact" if outcome.get("which") == "contact" else "address"
            send(dispatcher, tracker, texts.say(f"ended_limit_{which}"), EVALUATION_TOPIC)
            return reset(*FIELDS, *HELPER_SLOTS)
        if kind in ("under_age", "no_consent"):
            send(dispatcher, tracker, texts.say(f"ended_{kind}"), EVALUATION_TOPIC)
            return reset(*FIELDS, *HELPER_SLOTS)
        # gave_up (three invalid answers) or a database error: keep what was given, so
        # "book an evaluation" picks up where the visitor left off.
        key = "ended_gave_up" if kind == "gave_up" else "ended_error"
        send(dispatcher, tracker, texts.say(key), EVALUATION_TOPIC)
        return reset("confirm", *HELPER_SLOTS)


class ActionBookingStop(Action):
    """ "Cancel"/"never mind" inside a booking or manage form: stop without booking or changing."""

    def name(self) -> Text:
        return "action_booking_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from actions.booking.manage import FORM as MANAGE_FORM
        from actions.booking.manage import MANAGE_SLOTS

        texts = booking_service().texts
        if (tracker.active_loop or {}).get("name") == MANAGE_FORM:
            send(dispatcher, tracker, texts.say("manage_stopped"), MANAGE_TOPIC)
            return reset(*MANAGE_SLOTS)
        send(dispatcher, tracker, texts.say("stopped"), EVALUATION_TOPIC)
        return reset(*FIELDS, *HELPER_SLOTS)


class ActionBookingResume(Action):
    """ "Book an evaluation" said during the booking: carry on (the form asks its question)."""

    def name(self) -> Text:
        return "action_booking_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(text=booking_service().texts.say("already_booking"))
        return []
