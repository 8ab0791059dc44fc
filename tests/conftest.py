"""Shared pytest fixtures."""

# ----------------------------------------------------------------------------- booking
import datetime as _dt
from pathlib import Path as _Path

import pytest as _pytest
import yaml as _yaml

_PROJECT_ROOT = _Path(__file__).resolve().parent.parent

# A Monday morning in Portland (PST): the first bookable slot, after the 24-hour lead time,
# is Tuesday 1 December 2026 at 9:00 AM PST (17:00 UTC).
BOOKING_NOW = _dt.datetime(2026, 11, 30, 16, 0, tzinfo=_dt.timezone.utc)


@_pytest.fixture
def booking_clinic():
    """The availability part of a clinic.yml, fixed for tests (the real file may change)."""
    return {
        "name": "Synchronous Mental Health",
        "timezone": "America/Los_Angeles",
        "licensed_states": {"OR": "Oregon", "WA": "Washington"},
        "minimum_age": 18,
        "availability": {
            "slot_minutes": 60,
            "lead_time_hours": 24,
            "horizon_days": 28,
            "weekly_hours": {
                "monday": ["09:00-12:00", "13:00-17:00"],
                "tuesday": ["09:00-12:00", "13:00-17:00"],
                "wednesday": ["09:00-12:00", "13:00-17:00"],
                "thursday": ["09:00-12:00", "13:00-17:00"],
                "friday": ["09:00-12:00"],
            },
            "blocked_dates": ["2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"],
        },
    }


@_pytest.fixture
def booking_db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bookings.db'}"


@_pytest.fixture
def booking_service(booking_clinic, booking_db_url):
    """The booking actions' service with a temporary SQLite database and a fixed clock."""
    from practice.booking.service import BookingService, BookingTexts, use_booking_service
    from practice.booking.store import BookingStore
    from practice.knowledge.loader import knowledge_base

    kb = knowledge_base()
    clinic = {**kb.clinic, **booking_clinic}
    service = BookingService(
        clinic,
        BookingTexts(kb),
        store_factory=lambda: BookingStore(booking_db_url),
        clock=lambda: BOOKING_NOW,
    )
    use_booking_service(service)
    yield service
    use_booking_service(None)
    service.store.engine.dispose()


@_pytest.fixture(scope="session")
def domain_dict():
    with open(_PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        return _yaml.safe_load(handle)


@_pytest.fixture
def form_tracker(domain_dict):
    """Builds the rasa_sdk Tracker a form validation or question action receives.

    `candidate` is the slot value Rasa extracted this turn: as in Rasa's own temporary tracker,
    it is the last event, so `slots_to_validate()` sees it.
    """
    from rasa_sdk import Tracker

    def build(
        slots=None,
        text="",
        intent="inform",
        requested=None,
        candidate=None,
        form="booking_form",
        turn_events=(),
        sender="visitor-1",
    ):
        values = {name: None for name in domain_dict.get("slots", {})}
        values.update(slots or {})
        values["requested_slot"] = requested
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        events = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest},
            *turn_events,
            {"event": "slot", "name": "requested_slot", "value": requested},
            {"event": "action", "name": form},
        ]
        for name, value in (candidate or {}).items():
            values[name] = value
            events.append({"event": "slot", "name": name, "value": value})
        return Tracker(
            sender,
            values,
            latest,
            events,
            False,
            None,
            {"name": form} if form else {},
            form or "action_listen",
        )

    return build


def pytest_collection_modifyitems(items):
    """The test that stops the live action server runs after every other live test."""
    items.sort(key=lambda item: "action_server_down" in item.nodeid)
