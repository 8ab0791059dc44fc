"""What the booking and manage forms share: repeated-failure handling, questions that carry the
contract payload, and choosing a time from the open slots.

Exactly one message per turn carries the contract payload. A form question usually is that
message; but when another action already answered in the same turn (a question asked
mid-booking, then the form asks again), the question is sent as plain text so the turn keeps
one payload, the answer's.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from practice.booking.appointment_times import match_time, parse_iso, to_iso
from practice.booking.service import BookingService, booking_service
from practice.knowledge.loader import knowledge_base

logger = logging.getLogger(__name__)

EVALUATION_TOPIC = "booking.evaluation"
MANAGE_TOPIC = "booking.manage"
REQUESTED_SLOT = "requested_slot"
MAX_FAILURES = 3
SLOTS_PER_PAGE = 5

Button = Dict[str, str]


def inform_payload(**entities: Any) -> str:
    """A button payload that bypasses NLU: /inform{"appointment_time": "..."}."""
    return "/inform" + json.dumps(entities, separators=(",", ":"))


def choice_of(text: Any) -> Optional[str]:
    """The booking_choice of a button payload, if the text is one."""
    raw = str(text or "").strip()
    if raw.startswith("/") and "{" in raw:
        try:
            data = json.loads(raw[raw.index("{") :])
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("booking_choice"):
            return str(data["booking_choice"])
    return None


def latest_intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _events_this_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    turn: List[Dict[str, Any]] = []
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            break
        turn.append(event)
    return turn


def payload_sent_this_turn(tracker: Tracker) -> bool:
    return any(
        e.get("event") == "bot" and isinstance((e.get("data") or {}).get("custom"), dict)
        for e in _events_this_turn(tracker)
    )


def activated_this_turn(tracker: Tracker, form: str) -> bool:
    return any(e.get("event") == "active_loop" and e.get("name") == form for e in _events_this_turn(tracker))


def send(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    topic: str,
    buttons: Sequence[Button] = (),
    **payload_fields: Any,
) -> None:
    """Sends the turn's message with the contract payload, unless the turn already has one."""
    if payload_sent_this_turn(tracker):
        dispatcher.utter_message(text=text, buttons=list(buttons))
    else:
        dispatcher.utter_message(
            text=text, buttons=list(buttons), json_message=contract.payload(topic, **payload_fields)
        )


def crisis_kind(text: str) -> Optional[str]:
    """ "crisis"/"emergency" if the deterministic safety net flags the text, else None."""
    try:
        from practice.safety.crisis_detector import ALARM_KINDS, detect
    except ImportError:  # pragma: no cover - the safety net ships with the project
        return None
    try:
        kind = detect(text).kind
    except Exception:  # a broken lexicon must not break booking; the NLU net still runs
        logger.exception("crisis detector failed")
        return None
    return kind if kind in ALARM_KINDS else None


def unavailable_text() -> str:
    return knowledge_base().phrases["unavailable"]


# ------------------------------------------------------------------------- validation


@dataclass
class Check:
    """The verdict on one answer: a value to store, an error to say, or an end of the form."""

    value: Any = None
    error: Optional[str] = None
    counts: bool = True  # whether the error counts towards the repeated-failure offer
    end: Optional[Dict[str, Any]] = None  # outcome that ends the form (e.g. unlicensed state)
    note: Optional[str] = None  # a short acknowledgement to say with a valid value
    extra: Dict[str, Any] = field(default_factory=dict)  # other slots to set


class RepeatedFailureValidator(FormValidationAction, ABC):
    """A form validator that gives up kindly: after MAX_FAILURES invalid answers for one field
    it ends the form with the practice's contact details instead of asking a fourth time.

    Subclasses name their failure-counter and outcome slots; the form's submit action turns
    the outcome into the final message.
    """

    failures_slot: str = ""
    outcome_slot: str = ""

    @abstractmethod
    def name(self) -> Text: ...

    def service(self) -> BookingService:
        return booking_service()

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        """Crisis first, even here: a crisis the NLU did not flag is never kept as an answer.

        Normally a crisis message is classified safety_crisis, no field is filled and the crisis
        rule answers. If a crisis still arrives as an answer, say the crisis resources (the
        domain response, with its payload) and pause the form; the submit action adds nothing.
        """
        alarm = crisis_kind(str((tracker.latest_message or {}).get("text") or ""))
        requested = tracker.get_slot(REQUESTED_SLOT)
        if alarm and requested and requested in tracker.slots_to_validate():
            dispatcher.utter_message(response="utter_emergency" if alarm == "emergency" else "utter_crisis")
            outcome = self.end({"kind": "crisis"}, **{requested: None})
            return [SlotSet(name, value) for name, value in outcome.items()]
        return await super().get_validation_events(dispatcher, tracker, domain)

    def failures(self, tracker: Tracker) -> Dict[str, int]:
        value = tracker.get_slot(self.failures_slot)
        return dict(value) if isinstance(value, dict) else {}

    def apply(
        self, field_name: str, check: Check, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[str, Any]:
        """Turns a Check into slot values (and messages) for the form."""
        if check.end is not None:
            return self.end(check.end, **{field_name: None, **check.extra})
        if check.error is not None:
            return self.reject(
                field_name, check.error, dispatcher, tracker, counts=check.counts, **check.extra
            )
        if check.note:
            dispatcher.utter_message(text=check.note)
        failures = self.failures(tracker)
        failures.pop(field_name, None)
        return {field_name: check.value, self.failures_slot: failures or None, **check.extra}

    def reject(
        self,
        field_name: str,
        message: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        counts: bool = True,
        **extra: Any,
    ) -> Dict[str, Any]:
        failures = self.failures(tracker)
        if counts:
            failures[field_name] = failures.get(field_name, 0) + 1
            if failures[field_name] >= MAX_FAILURES:
                return self.end({"kind": "gave_up", "field": field_name}, **{field_name: None, **extra})
        dispatcher.utter_message(text=message)
        return {field_name: None, self.failures_slot: failures or None, **extra}

    def end(self, outcome: Dict[str, Any], **slots: Any) -> Dict[str, Any]:
        """Ends the form: the submit action that follows says why and what to do instead."""
        return {**slots, self.outcome_slot: outcome, self.failures_slot: None, REQUESTED_SLOT: None}


def choose_time(
    service: BookingService,
    text: Any,
    offered: Optional[Sequence[str]],
    page: Optional[int],
    current: Optional[str],
    page_slot: str,
) -> Check:
    """Matches an answer to an open slot; "more times" pages through the list."""
    texts = service.texts
    raw = str(text or "")
    open_slots = service.open_slots()
    offered_times = [t for t in (parse_iso(o) for o in offered or []) if t]
    result = match_time(raw, open_slots, offered_times, service.availability, service.now())
    page = int(page or 0)
    if result.kind == "slot" and result.slot is not None:
        typed = parse_iso(raw) is None
        note = texts.say("time_chosen", when=service.availability.describe(result.slot)) if typed else None
        return Check(value=to_iso(result.slot), note=note, extra={page_slot: None})
    if result.kind == "more":
        return Check(value=None, extra={page_slot: page + 1})
    if result.kind == "earlier":
        return Check(value=None, extra={page_slot: max(0, page - 1)})
    if result.kind == "taken":
        if current and raw == current and result.slot is not None:
            message = texts.say("stored_time_gone", when=service.availability.describe(result.slot))
        else:
            message = texts.say("time_taken")
        return Check(error=message, counts=False, extra={page_slot: None})
    if result.kind == "no_match":
        asked = " ".join(raw.split())[:60]
        return Check(error=texts.say("time_no_match", asked=asked), extra={page_slot: None})
    return Check(error=texts.say("invalid_time"))


# --------------------------------------------------------------------------- questions


class FormQuestion(Action, ABC):
    """`action_ask_<field>`: one form question, with the contract payload naming the field."""

    field: str = ""
    form: str = ""
    topic: str = EVALUATION_TOPIC
    intro_key: Optional[str] = None  # said before the question when the form starts

    def name(self) -> Text:
        return f"action_ask_{self.field}"

    @abstractmethod
    def question(
        self, service: BookingService, tracker: Tracker
    ) -> Tuple[str, List[Button], List[EventType]]:
        """The question's text, its buttons and any slots it sets (e.g. the offered times)."""

    def lead_in(self, service: BookingService, tracker: Tracker) -> Optional[str]:
        if activated_this_turn(tracker, self.form):
            return service.texts.say(self.intro_key) if self.intro_key else None
        if payload_sent_this_turn(tracker):
            return service.texts.say("back_to_booking")
        return None

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        service = booking_service()
        try:
            text, buttons, events = self.question(service, tracker)
        except Exception:  # the database is down: say so, with the contact details
            logger.exception("booking question %s failed", self.field)
            send(dispatcher, tracker, unavailable_text(), self.topic, requested_slot=self.field)
            return []
        lead = self.lead_in(service, tracker)
        if lead:
            text = f"{lead}\n\n{text}"
        send(dispatcher, tracker, text, self.topic, buttons, requested_slot=self.field)
        return events


def yes_no_buttons(service: BookingService) -> List[Button]:
    texts = service.texts
    return [
        {"title": texts.say("yes_button"), "payload": "/affirm"},
        {"title": texts.say("no_button"), "payload": "/deny"},
    ]


def time_question(
    service: BookingService,
    tracker: Tracker,
    offered_slot: str,
    page_slot: str,
    text_key: str,
    more_key: str,
) -> Tuple[str, List[Button], List[EventType]]:
    """The soonest open slots as numbered text and as buttons (ISO payloads), a page at a time."""
    texts, availability = service.texts, service.availability
    slots = service.open_slots()
    if not slots:
        return texts.say("no_open_slots"), [], [SlotSet(offered_slot, []), SlotSet(page_slot, None)]
    page = int(tracker.get_slot(page_slot) or 0)
    prefix = ""
    if page * SLOTS_PER_PAGE >= len(slots):
        page, prefix = 0, texts.say("time_end_of_list") + "\n\n"
    chunk = slots[page * SLOTS_PER_PAGE : (page + 1) * SLOTS_PER_PAGE]
    slot_list = "\n".join(f"{i}. {availability.describe_short(s)}" for i, s in enumerate(chunk, 1))
    buttons = [
        {"title": availability.describe_short(s), "payload": inform_payload(appointment_time=to_iso(s))}
        for s in chunk
    ]
    if (page + 1) * SLOTS_PER_PAGE < len(slots):
        buttons.append(
            {"title": texts.say("more_times_button"), "payload": inform_payload(appointment_time="more")}
        )
    key = more_key if page else text_key
    events: List[EventType] = [SlotSet(offered_slot, [to_iso(s) for s in chunk]), SlotSet(page_slot, page)]
    return prefix + texts.say(key, slot_list=slot_list), buttons, events
