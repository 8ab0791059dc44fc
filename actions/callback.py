"""Call-back requests in the chat: after the "talk to a person" answer the assistant offers to
take one (name, phone or email, best time, consent to be contacted), validated like the
booking fields. On consent the request is stored and the clinic's notice written to the outbox
in one transaction (practice/notifications/callbacks.py); the visitor gets a reference.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Dict, List, Text, Tuple

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking.common import (
    Button,
    Check,
    FormQuestion,
    RepeatedFailureValidator,
    activated_this_turn,
    latest_intent,
    payload_sent_this_turn,
    send,
)
from practice.booking import fields
from practice.booking.service import BookingService
from practice.knowledge.loader import knowledge_base
from practice.notifications.callbacks import BEST_TIME_CHARS, CallbackStore
from practice.paths import KNOWLEDGE_DIR

logger = logging.getLogger(__name__)

TOPIC = "handoff.human"
FORM = "callback_form"
OFFERED = "callback_offered"
OUTCOME = "callback_outcome"
FAILURES = "callback_failures"
FIELDS = ("callback_name", "callback_contact", "callback_time", "callback_consent")
SLOTS = FIELDS + (OUTCOME, FAILURES, OFFERED)
Question = Tuple[str, List[Button], List[EventType]]


@functools.lru_cache(maxsize=1)
def _wording() -> Dict[str, str]:
    with open(KNOWLEDGE_DIR / "callback.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["callback"])


def say(key: str, **values: Any) -> str:
    return knowledge_base().render(_wording()[key], **values)


def offer_buttons() -> List[Button]:
    return [
        {"title": say("offer_yes_button"), "payload": "/affirm"},
        {"title": say("offer_no_button"), "payload": "/deny"},
    ]


def callback_store(service: BookingService) -> CallbackStore:
    return CallbackStore(service.store.engine)  # the bookings' database, migrated


def parse_best_time(text: Any) -> str:
    value = " ".join(str(text or "").split())
    if len(value) < 2 or len(value) > BEST_TIME_CHARS or value.startswith("/"):
        return ""
    return value


class ValidateCallbackForm(RepeatedFailureValidator):
    failures_slot = FAILURES
    outcome_slot = OUTCOME

    def name(self) -> Text:
        return "validate_callback_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return [] if tracker.get_slot(OUTCOME) else list(FIELDS)

    async def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        name = fields.clean_name(value)
        if name is None:
            return self.reject("callback_name", say("invalid_callback_name"), dispatcher, tracker)
        return self.apply("callback_name", Check(value=name), dispatcher, tracker)

    async def validate_callback_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        contact = fields.parse_contact(value)
        if contact is None:
            return self.reject("callback_contact", say("invalid_callback_contact"), dispatcher, tracker)
        return self.apply("callback_contact", Check(value=contact.value), dispatcher, tracker)

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        best_time = parse_best_time(value)
        if not best_time:
            return self.reject("callback_time", say("invalid_callback_time"), dispatcher, tracker)
        return self.apply("callback_time", Check(value=best_time), dispatcher, tracker)

    async def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        answer = fields.parse_yes_no(value, latest_intent(tracker))
        if answer is None:
            return self.reject("callback_consent", say("invalid_callback_consent"), dispatcher, tracker)
        if answer is False:
            return self.end({"kind": "no_consent"}, callback_consent=None)
        store = callback_store(self.service())
        try:
            existing = store.for_conversation_open(tracker.sender_id)
            request = existing or store.create(
                full_name=tracker.get_slot("callback_name"),
                contact=tracker.get_slot("callback_contact"),
                best_time=tracker.get_slot("callback_time"),
                consent=True,
                sender_id=tracker.sender_id,
            )
        except Exception:
            logger.exception("call-back request failed")
            return self.end({"kind": "error"}, callback_consent=None)
        kind = "already" if existing else "requested"
        return self.end({"kind": kind, "reference": request.reference}, callback_consent=True)


class CallbackQuestion(FormQuestion):
    form = FORM
    topic = TOPIC

    def lead_in(self, service: BookingService, tracker: Tracker) -> Any:
        if activated_this_turn(tracker, self.form):
            return say("intro")
        if payload_sent_this_turn(tracker):
            return say("back_to_request")
        return None


class AskCallbackName(CallbackQuestion):
    field = "callback_name"

    def question(self, service: BookingService, tracker: Tracker) -> Question:
        return say("ask_callback_name"), [], []


class AskCallbackContact(CallbackQuestion):
    field = "callback_contact"

    def question(self, service: BookingService, tracker: Tracker) -> Question:
        first = fields.first_name(tracker.get_slot("callback_name"))
        return say("ask_callback_contact", first_name=first), [], []


class AskCallbackTime(CallbackQuestion):
    field = "callback_time"

    def question(self, service: BookingService, tracker: Tracker) -> Question:
        return say("ask_callback_time"), [], []


class AskCallbackConsent(CallbackQuestion):
    field = "callback_consent"

    def question(self, service: BookingService, tracker: Tracker) -> Question:
        contact = fields.display_contact(tracker.get_slot("callback_contact"))
        buttons = [
            {"title": say("yes_button"), "payload": "/affirm"},
            {"title": say("no_button"), "payload": "/deny"},
        ]
        return say("ask_callback_consent", contact=contact), buttons, []


def reset() -> List[EventType]:
    return [SlotSet(name, None) for name in SLOTS]


class ActionCallbackSubmit(Action):
    def name(self) -> Text:
        return "action_callback_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        outcome = tracker.get_slot(OUTCOME) or {}
        kind = outcome.get("kind") if isinstance(outcome, dict) else None
        if kind == "crisis":
            return reset()  # the crisis reply was all
        contact = fields.display_contact(tracker.get_slot("callback_contact"))
        if kind == "requested":
            text = say(
                "done",
                contact=contact,
                best_time=tracker.get_slot("callback_time") or "",
                reference=outcome.get("reference"),
            )
        elif kind == "already":
            text = say("already", reference=outcome.get("reference"))
        elif kind in ("no_consent", "gave_up"):
            text = say(kind)
        else:
            text = say("error")
        send(dispatcher, tracker, text, TOPIC)
        return reset()


class ActionCallbackDeclined(Action):
    """ "No" to the offer of a call-back request."""

    def name(self) -> Text:
        return "action_callback_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        send(dispatcher, tracker, say("declined"), TOPIC)
        return [SlotSet(OFFERED, None)]


class ActionCallbackStop(Action):
    """ "Cancel" / "never mind" while a request is being taken."""

    def name(self) -> Text:
        return "action_callback_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        send(dispatcher, tracker, say("stopped"), TOPIC)
        return reset()
