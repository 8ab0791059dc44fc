"""What the booking actions share: the availability, the store, the clock and the wording.

One lazily built instance per action server (`booking_service()`); tests install their own
with `use_booking_service()` (a temporary database, a fixed clock). The store is opened on
first use, so the action server starts even while the database is briefly unreachable.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml

from practice.booking.appointment_times import Availability, utcnow
from practice.booking.store import BookingLimits, BookingStore
from practice.knowledge.loader import KNOWLEDGE_DIR, KnowledgeBase, knowledge_base


class BookingTexts:
    """The booking wording from knowledge/booking.yml, rendered with clinic.yml facts."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        with open(KNOWLEDGE_DIR / "booking.yml", encoding="utf-8") as handle:
            self._raw: dict[str, Any] = yaml.safe_load(handle)["booking"]
        licensed = list((kb.clinic.get("licensed_states") or {}).values())
        self.common = {
            "licensed_names": " or ".join(
                [", ".join(licensed[:-1]), licensed[-1]] if len(licensed) > 1 else licensed
            ),
            "zone_name": f"{kb.clinic.get('based_in', kb.clinic['timezone'])} time",
        }

    def say(self, key: str, **values: Any) -> str:
        return self._kb.render(self._raw[key], **{**self.common, **values})

    def label(self, field: str) -> str:
        return str(self._raw["field_labels"].get(field, field.replace("_", " ")))

    def fix_buttons(self) -> dict[str, str]:
        return dict(self._raw["fix_buttons"])


class BookingService:
    def __init__(
        self,
        clinic: dict[str, Any],
        texts: BookingTexts,
        store_factory: Callable[[], BookingStore] = BookingStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clinic = clinic
        self.availability = Availability.from_clinic(clinic)
        self.texts = texts
        self.clock = clock
        self._store_factory = store_factory
        self._store: BookingStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> BookingStore:
        with self._lock:
            if self._store is None:
                self._store = self._store_factory()
            return self._store

    @property
    def limits(self) -> BookingLimits:
        return BookingLimits.from_clinic(self.clinic)

    @property
    def minimum_age(self) -> int:
        return int(self.clinic.get("minimum_age", 18))

    @property
    def licensed_states(self) -> dict[str, str]:
        return {str(k).upper(): str(v) for k, v in (self.clinic.get("licensed_states") or {}).items()}

    def now(self) -> datetime:
        return self.clock()

    def open_slots(self) -> list[datetime]:
        """Bookable slots right now, minus those already booked (read from the database)."""
        now = self.now()
        booked = self.store.booked_starts(
            now, now + self.availability.horizon + self.availability.slot_length
        )
        return self.availability.open_slots(now, booked)


_override: BookingService | None = None


@functools.lru_cache(maxsize=1)
def _default_service() -> BookingService:
    kb = knowledge_base()
    return BookingService(kb.clinic, BookingTexts(kb))


def booking_service() -> BookingService:
    return _override or _default_service()


def use_booking_service(service: BookingService | None) -> None:
    """Installs a service (tests); None goes back to the default one."""
    global _override
    _override = service
