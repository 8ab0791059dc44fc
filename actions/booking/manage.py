"""Cancel or move a booking made here, given its reference and the contact used (booking.manage).

A small form: manage_reference, manage_contact (both must match the stored booking), then
manage_choice (cancel / move / keep) and, to move, manage_new_time from the open slots. The
change is made by the validator, so a slot taken meanwhile can be re-asked at once; the submit
action only reports the outcome.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Text, Tuple, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking.common import (
    MANAGE_TOPIC,
    Button,
    Check,
    FormQuestion,
    RepeatedFailureValidator,
    choice_of,
    choose_time,
    send,
    time_question,
)
from practice.booking import fields
from practice.booking.appointment_times import parse_iso
from practice.booking.service import BookingService, booking_service
from practice.booking.store import BookingNotFound, SlotTaken

logger = logging.getLogger(__name__)

FORM = "booking_manage_form"
OUTCOME = "manage_outcome"
FAILURES = "manage_failures"
OFFERED = "manage_offered"
PAGE = "manage_offer_page"
MANAGE_FIELDS = ("manage_reference", "manage_contact", "manage_choice", "manage_new_time")
MANAGE_SLOTS = MANAGE_FIELDS + (OUTCOME, FAILURES, OFFERED, PAGE)

_CANCEL = re.compile(r"\b(cancel|call (it )?off|delete|remove)\b", re.I)
_MOVE = re.compile(r"\b(move|reschedul\w*|change|another|different|other|later|earlier|push|switch)\b", re.I)
_KEEP = re.compile(r"^\s*(keep|leave|never ?mind|nvm|no\b|nope|nothing|it'?s fine|don'?t)", re.I)


def read_choice(text: Any) -> Optional[str]:
    raw = str(text or "")
    choice = choice_of(raw)
    if choice in ("cancel", "move", "keep"):
        return choice
    if re.match(r"^\s*(don'?t|do not)\b", raw, re.I):
        return "keep"  # "don't cancel it"
    if _CANCEL.search(raw):
        return "cancel"
    if _MOVE.search(raw):
        return "move"
    if _KEEP.search(raw):
        return "keep"
    return None


class ValidateBookingManageForm(RepeatedFailureValidator):
    failures_slot = FAILURES
    outcome_slot = OUTCOME

    def name(self) -> Text:
        return "validate_booking_manage_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        if tracker.get_slot(OUTCOME):
            return []  # decided: the form ends
        needed = ["manage_reference", "manage_contact", "manage_choice"]
        if tracker.get_slot("manage_choice") == "move":
            needed.append("manage_new_time")
        return needed

    async def validate_manage_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        reference = fields.parse_reference(value)
        if reference is None:
            return self.reject(
                "manage_reference", self.service().texts.say("invalid_manage_reference"), dispatcher, tracker
            )
        return self.apply("manage_reference", Check(value=reference), dispatcher, tracker)

    async def validate_manage_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        service = self.service()
        contact = fields.parse_contact(value)
        if contact is None:
            return self.reject("manage_contact", service.texts.say("invalid_contact"), dispatcher, tracker)
        reference = tracker.get_slot("manage_reference")
        try:
            booking = service.store.find(reference or "", contact.value)
        except Exception:
            logger.exception("booking lookup failed")
            return self.end({"kind": "error"})
        if booking is None:
            # Both are asked again; the failures count towards the contact-details offer.
            return self.reject(
                "manage_contact",
                service.texts.say("manage_not_found"),
                dispatcher,
                tracker,
                manage_reference=None,
            )
        if not booking.active or booking.start_utc <= service.now():
            # Whether the person attended is clinical information: the reply says only
            # "cancelled" or "in the past", never attended / no-show.
            status = "cancelled" if booking.status == "cancelled" else "in the past"
            return self.end({"kind": "inactive", "status": status})
        return self.apply("manage_contact", Check(value=contact.value), dispatcher, tracker)

    async def validate_manage_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        service = self.service()
        choice = read_choice(value)
        if choice is None:
            return self.reject(
                "manage_choice", service.texts.say("invalid_manage_choice"), dispatcher, tracker
            )
        reference, contact = tracker.get_slot("manage_reference"), tracker.get_slot("manage_contact")
        if choice == "move":
            return self.apply("manage_choice", Check(value="move"), dispatcher, tracker)
        try:
            if choice == "cancel":
                booking = service.store.cancel(reference, contact)
            else:
                found = service.store.find(reference, contact)
                if found is None:
                    raise BookingNotFound(reference)
                booking = found
        except BookingNotFound:
            return self.end({"kind": "inactive", "status": "changed already"})
        except Exception:
            logger.exception("booking change failed")
            return self.end({"kind": "error"})
        kind = "cancelled" if choice == "cancel" else "kept"
        return self.end(
            {"kind": kind, "reference": booking.reference, "start": booking.start_utc.isoformat()},
            manage_choice=choice,
        )

    async def validate_manage_new_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        service = self.service()
        check = choose_time(
            service,
            value,
            tracker.get_slot(OFFERED),
            tracker.get_slot(PAGE),
            tracker.get_slot("manage_new_time"),
            PAGE,
        )
        if check.value is None:
            return self.apply("manage_new_time", check, dispatcher, tracker)
        start = cast(datetime, parse_iso(check.value))  # choose_time's value is to_iso() of an open slot
        try:
            booking = service.store.move(
                tracker.get_slot("manage_reference"), tracker.get_slot("manage_contact"), start
            )
        except SlotTaken:
            return self.reject(
                "manage_new_time", service.texts.say("time_taken"), dispatcher, tracker, counts=False
            )
        except BookingNotFound:
            return self.end({"kind": "inactive", "status": "changed already"})
        except Exception:
            logger.exception("booking move failed")
            return self.end({"kind": "error"})
        return self.end(
            {"kind": "moved", "reference": booking.reference, "start": booking.start_utc.isoformat()},
            manage_new_time=check.value,
        )


class ManageQuestion(FormQuestion):
    form = FORM
    topic = MANAGE_TOPIC


class AskManageReference(ManageQuestion):
    field = "manage_reference"
    intro_key = "manage_intro"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return service.texts.say("ask_manage_reference"), [], []


class AskManageContact(ManageQuestion):
    field = "manage_contact"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return service.texts.say("ask_manage_contact"), [], []


class AskManageChoice(ManageQuestion):
    field = "manage_choice"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        texts = service.texts
        booking = service.store.find(
            tracker.get_slot("manage_reference") or "", tracker.get_slot("manage_contact") or ""
        )
        when = service.availability.describe(booking.start_utc) if booking else ""
        buttons = [
            {"title": texts.say("manage_cancel_button"), "payload": '/inform{"booking_choice":"cancel"}'},
            {"title": texts.say("manage_move_button"), "payload": '/inform{"booking_choice":"move"}'},
            {"title": texts.say("manage_keep_button"), "payload": '/inform{"booking_choice":"keep"}'},
        ]
        return texts.say("ask_manage_choice", when=when), buttons, []


class AskManageNewTime(ManageQuestion):
    field = "manage_new_time"

    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        return time_question(
            service, tracker, OFFERED, PAGE, "ask_manage_new_time", "ask_appointment_time_more"
        )


class ActionBookingManageSubmit(Action):
    def name(self) -> Text:
        return "action_booking_manage_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        service = booking_service()
        texts = service.texts
        outcome = tracker.get_slot(OUTCOME) or {}
        kind = outcome.get("kind") if isinstance(outcome, dict) else None
        start = parse_iso(str(outcome.get("start") or "")) if isinstance(outcome, dict) else None
        when = service.availability.describe(start) if start else ""
        if kind == "crisis":
            return [SlotSet(OUTCOME, None), SlotSet(FAILURES, None)]  # the crisis reply was all
        if kind in ("cancelled", "moved", "kept"):
            text = texts.say(
                f"manage_{kind}",
                when=when,
                reference=outcome.get("reference"),
                contact=fields.display_contact(tracker.get_slot("manage_contact")),
            )
        elif kind == "inactive":
            text = texts.say("manage_inactive", status=outcome.get("status", ""))
        elif kind == "gave_up":
            text = texts.say("manage_gave_up")
        else:
            text = texts.say("manage_error")
        send(dispatcher, tracker, text, MANAGE_TOPIC)
        return [SlotSet(name, None) for name in MANAGE_SLOTS]
