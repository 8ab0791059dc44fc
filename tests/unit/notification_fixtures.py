"""Shared set-up of the notification tests: settings, a booking store whose changes write the
outbox, a worker with an injected clock, and helpers to read the .ics back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any, Dict, List, Optional

from icalendar import Calendar

from practice.booking.store import BookingStore
from practice.notifications.booking_events import BookingNotifier
from practice.notifications.outbox import Outbox
from practice.notifications.senders import SmtpSender
from practice.notifications.settings import NotificationSettings, SmtpSettings
from practice.notifications.worker import DeliveryWorker

CLINIC_ADDRESS = "scheduling@clinic.test"
SENDER_ADDRESS = "appointments@clinic.test"
# Words that must never appear in a subject (or a body, beyond the practice's name).
HEALTH_WORDS = (
    "tms",
    "psychiatr",
    "depress",
    "anxiety",
    "medication",
    "magnetic",
    "therapy",
    "treatment",
    "diagnos",
    "crisis",
    "suicid",
)


def clinic_config(booking_clinic: Dict[str, Any]) -> Dict[str, Any]:
    return {
        **booking_clinic,
        "contact": {"phone": "(503) 555-0142", "email": "care@clinic.test"},
        "notifications": {
            "sender_name": "Synchronous Mental Health",
            "sender_address": SENDER_ADDRESS,
            "clinic_address": CLINIC_ADDRESS,
            "console_url": "https://console.clinic.test",
            "video_visit": "We email you a secure video link the day before.",
            "what_to_prepare": "A photo ID and a quiet, private room.",
            "max_attempts": 3,
            "backoff_seconds": 60,
        },
    }


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


@dataclass
class Harness:
    settings: NotificationSettings
    store: BookingStore
    outbox: Outbox
    worker: DeliveryWorker
    clock: Clock
    smtp_port: int
    sent: List[EmailMessage] = field(default_factory=list)

    def deliver(self) -> int:
        return self.worker.run_until_idle()


def make_harness(booking_clinic: Dict[str, Any], db_url: str, smtp_port: int, now: datetime) -> Harness:
    settings = NotificationSettings.from_clinic(clinic_config(booking_clinic), env={})
    clock = Clock(now)
    store = BookingStore(db_url, on_change=BookingNotifier(settings, clock))
    outbox = Outbox(store.engine, settings.max_attempts, settings.backoff_seconds, settings.lease_seconds)
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp_port, timeout=5), settings)
    worker = DeliveryWorker(outbox, {"email": sender}, clock=clock)
    return Harness(settings, store, outbox, worker, clock, smtp_port)


def invite_of(mail: EmailMessage) -> Optional[Calendar]:
    for part in mail.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return Calendar.from_ical(content if isinstance(content, str) else content.decode())
    return None


def event_of(calendar: Calendar) -> Any:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
