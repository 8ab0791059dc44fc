"""Fills a tracker database with conversations written by Rasa's own SQLTrackerStore from
real Event objects (never hand-written SQL rows), for the console's tests.

Each conversation is what the assistant writes for such a chat: user messages with
parse_data (intent, confidence, entities, ranking), the action, the reply with the contract
payload in `custom`, slots; the widget's thumbs-down as a SlotSet of `feedback`.
Run as a script to fill a database for a local look: python -m tests.console.rasa_events DB
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DAY = 86400
SOURCE = {
    "title": "Transcranial magnetic stimulation (Mayo Clinic)",
    "url": "https://www.mayoclinic.org/tests-procedures/transcranial-magnetic-stimulation/about/pac-20384625",
}
CRISIS_SOURCE = {"title": "988 Suicide & Crisis Lifeline", "url": "https://988lifeline.org/"}


class Chat:
    def __init__(self, sender: str, start: float) -> None:
        self.sender = sender
        self.t = start
        self.events: list[Any] = [
            ActionExecuted("action_session_start", timestamp=self._tick()),
            SessionStarted(timestamp=self._tick()),
            ActionExecuted("action_listen", timestamp=self._tick()),
        ]

    def _tick(self, seconds: float = 1.0) -> float:
        self.t += seconds
        return self.t

    def user(
        self, text: str, intent: str, confidence: float, entities: list[dict[str, Any]] | None = None
    ) -> Chat:
        ranking = [
            {"name": intent, "confidence": confidence},
            {"name": "out_of_scope", "confidence": round((1 - confidence) / 2, 4)},
        ]
        self.events.append(
            UserUttered(
                text,
                intent={"name": intent, "confidence": confidence},
                entities=entities or [],
                parse_data={
                    "intent": {"name": intent, "confidence": confidence},
                    "entities": entities or [],
                    "text": text,
                    "intent_ranking": ranking,
                },
                input_channel="rest",
                timestamp=self._tick(20),
            )
        )
        return self

    def bot(
        self,
        text: str,
        custom: dict[str, Any],
        action: str = "action_answer",
        buttons: list[dict[str, str]] | None = None,
    ) -> Chat:
        self.events.append(ActionExecuted(action, timestamp=self._tick()))
        self.events.append(
            BotUttered(
                text,
                data={"custom": custom, "buttons": buttons},
                metadata={"utter_action": action},
                timestamp=self._tick(),
            )
        )
        self.events.append(ActionExecuted("action_listen", timestamp=self._tick()))
        return self

    def slot(self, name: str, value: Any) -> Chat:
        self.events.append(SlotSet(name, value, timestamp=self._tick()))
        return self

    def last_bot_ts(self) -> float:
        return [e for e in self.events if isinstance(e, BotUttered)][-1].timestamp


def answer(topic: str, sources=(SOURCE,), **extra: Any) -> dict[str, Any]:
    body = {
        "topic": topic,
        "sources": list(sources),
        "defer_to_clinician": topic.startswith(("tms.", "meds.", "safety.")),
    }
    body.update(extra)
    return body


def conversations(now: float | None = None, reference: str = "EV-TEST23") -> list[Chat]:
    """The fixture set; see the names for what each one is for."""
    now = now or time.time()
    chats = []

    c = Chat("conv-side-effects", now - 2 * DAY)
    c.user("hello", "chitchat_greet", 0.98).bot(
        "Hi! I'm an automated assistant...", answer("chitchat.greet", ())
    )
    c.user("my email is jane.doe@example.com, does tms hurt?", "tms_side_effects", 0.91).bot(
        "Side effects of TMS are usually mild... Source: " + SOURCE["url"], answer("tms.side_effects")
    )
    chats.append(c)

    c = Chat("conv-fallback", now - 1 * DAY)
    c.user("whats the weather like on mars", "nlu_fallback", 0.31).bot(
        "Sorry, I can only help with questions about TMS, medications and the practice.",
        answer("fallback", (), flags=["fallback"]),
    )
    c.slot("feedback", {"value": "down", "bot_ts": c.last_bot_ts()})
    chats.append(c)

    c = Chat("conv-crisis", now - 3 * 3600)
    c.user("i want to end my life", "safety_crisis", 1.0).bot(
        "I'm really glad you told me... Call or text 988... https://988lifeline.org/",
        answer("safety.crisis", (CRISIS_SOURCE,), flags=["crisis"]),
        action="utter_crisis",
    )
    chats.append(c)

    c = Chat("conv-handoff", now - 5 * 3600)
    c.user("can i talk to a real person", "handoff_human", 0.88).bot(
        "Nobody watches this chat live. You can call us at (503) 555-0142 or email care@example.com.",
        answer("handoff.human", ()),
    )
    chats.append(c)

    c = Chat("conv-booking", now - 6 * 3600)
    c.user("i'd like to book an evaluation", "booking_evaluation", 0.95).bot(
        "Happy to help. What is your full name?", answer("booking.evaluation", (), requested_slot="full_name")
    )
    c.user("Jane Doe", "inform", 0.72).slot("full_name", "Jane Doe").bot(
        "Thanks. How can we reach you: an email or a US phone number?",
        answer("booking.evaluation", (), requested_slot="contact"),
    )
    c.user("971-555-0199", "inform", 0.66).slot("contact", "971-555-0199").bot(
        "Please confirm: Jane Doe, 971-555-0199, Oregon, Tuesday 10:00.",
        answer("booking.evaluation", (), requested_slot="confirm"),
        buttons=[{"title": "Yes, book it", "payload": "/affirm"}],
    )
    c.user("yes", "affirm", 0.99).bot(
        f"You're booked. Your reference is {reference}.",
        answer("booking.evaluation", (), booking={"reference": reference}),
    )
    chats.append(c)

    c = Chat("conv-lowconf", now - 8 * 3600)
    c.user("is it ok for someone like my dad", "tms_candidates", 0.42).bot(
        "In the US, TMS is cleared by the FDA...", answer("tms.candidates")
    )
    chats.append(c)

    c = Chat("conv-old", now - 400 * DAY)
    c.user(
        "can i take wellbutrin during tms",
        "meds_specific",
        0.87,
        entities=[
            {
                "entity": "medication",
                "value": "bupropion",
                "start": 11,
                "end": 21,
                "extractor": "MedicationExtractor",
            }
        ],
    ).bot(
        "Bupropion (Wellbutrin) ... Source: " + SOURCE["url"],
        answer(
            "meds.specific", medications=[{"name": "bupropion", "mention": "wellbutrin", "class": "ndri"}]
        ),
    )
    chats.append(c)
    return chats


# (visitor text, intent, topic) for the busier data set of the browser tests and screenshots.
_QUESTIONS = [
    ("how does tms work", "tms_overview", "tms.overview"),
    ("what happens at a tms session", "tms_procedure", "tms.procedure"),
    ("does tms have side effects", "tms_side_effects", "tms.side_effects"),
    ("can tms cause seizures", "tms_serious_risks", "tms.serious_risks"),
    ("is tms covered by insurance", "tms_insurance", "tms.insurance"),
    ("can i keep taking my antidepressant during tms", "meds_combination", "meds.combination"),
    ("do you offer mbct groups", "clinic_mbct", "clinic.mbct"),
    ("is it all by video", "clinic_telehealth", "clinic.telehealth"),
    ("what are your hours", "clinic_contact", "clinic.contact"),
    ("how well does tms work", "tms_effectiveness", "tms.effectiveness"),
]


def busy_month(now: float | None = None, seed: int = 7, n: int = 45) -> list[Chat]:
    """About a month of varied conversations (deterministic), for charts and screenshots."""
    import random

    rng = random.Random(seed)
    now = now or time.time()
    chats = []
    for i in range(n):
        c = Chat(f"visitor-{i:03d}", now - rng.uniform(0.2, 27) * DAY)
        for _ in range(rng.randint(1, 3)):
            text, intent, topic = rng.choice(_QUESTIONS)
            confidence = round(rng.betavariate(6, 1.6), 3)
            if confidence < 0.6:
                c.user(text + " maybe", "nlu_fallback", confidence).bot(
                    "Sorry, I'm not sure I understood.", answer("fallback", (), flags=["fallback"])
                )
            else:
                c.user(text, intent, confidence).bot("(answer)", answer(topic))
        if rng.random() < 0.3:
            c.user("i want to book an evaluation", "booking_evaluation", 0.93).bot(
                "What is your full name?", answer("booking.evaluation", (), requested_slot="full_name")
            )
            if rng.random() < 0.5:
                ref = f"EV-B{i:04d}"
                c.user("yes please", "affirm", 0.97).bot(
                    f"You're booked: {ref}.", answer("booking.evaluation", (), booking={"reference": ref})
                )
        if rng.random() < 0.1:
            c.slot("feedback", {"value": "down", "bot_ts": c.last_bot_ts()})
        chats.append(c)
    return chats


def _run(coroutine_factory) -> None:
    """asyncio.run in a thread of its own: callers may already run a loop (playwright)."""
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine_factory())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def write(db_path: str, chats: list[Chat], **store: Any) -> None:
    """Saves the chats with SQLTrackerStore (SQLite file by default; `store` overrides:
    dialect, host, port, username, password for PostgreSQL, db being the database name)."""
    _run(lambda: _write(str(db_path), chats, **store))


def fill_busy(db_path: str, now: float | None = None) -> list[str]:
    chats = busy_month(now)
    write(db_path, chats)
    return [c.sender for c in chats]


async def _write(db_path: str, chats: list[Chat], **options: Any) -> None:
    options.setdefault("dialect", "sqlite")
    store = SQLTrackerStore(domain=Domain.empty(), db=db_path, **options)
    for chat in chats:
        await store.save(DialogueStateTracker.from_events(chat.sender, chat.events))


def book(db_path: str, sender: str, full_name: str, contact: str, days_ahead: int) -> str:
    """A booking made through the booking worker's store (its table, its rules)."""
    from practice.booking.store import BookingStore

    store = BookingStore(db_path if "://" in db_path else f"sqlite:///{db_path}")
    day = (datetime.now(timezone.utc) + timedelta(days=days_ahead)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    booking = store.book(full_name=full_name, contact=contact, state="OR", start_utc=day, sender_id=sender)
    store.engine.dispose()
    return booking.reference


def fill(db_path: str, now: float | None = None) -> list[str]:
    reference = book(db_path, "conv-booking", "Jane Doe", "+19715550199", 3)
    book(db_path, "conv-other", "Sam Roe", "sam.roe@example.org", 10)
    chats = conversations(now, reference)
    write(db_path, chats)
    return [c.sender for c in chats]


if __name__ == "__main__":
    path = str(Path(sys.argv[1]).resolve())
    print(fill(path) + (fill_busy(path) if "--busy" in sys.argv else []))
