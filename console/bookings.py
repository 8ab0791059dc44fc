"""The bookings view's data: read and updated only through the booking worker's store
(practice/booking/store.py, table `bookings`), never a table of the console's own."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from console.timefmt import local_time

logger = logging.getLogger(__name__)

# What staff can do to a booking: (store status, button label).
ACTIONS = (("attended", "Attended"), ("no_show", "No-show"), ("cancelled", "Cancel"))
_store = None


def _get_store():
    global _store
    if _store is None:
        from practice.booking.store import BookingStore  # BOOKING_DB_URL, default var/assistant.db

        _store = BookingStore()
    return _store


def eraser():
    """Deletes bookings for the retention purge and deletion requests (console/retention.py)."""
    from practice.booking.store import BookingEraser

    return BookingEraser(_get_store())


def _statuses() -> Tuple[str, ...]:
    try:
        from practice.booking.store import STATUSES

        return tuple(STATUSES)
    except ImportError:
        return ()


STATUSES = _statuses()


def list_bookings(
    date_from: Optional[dt.date], date_to: Optional[dt.date], status: str, tz: ZoneInfo
) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """(rows for the template, error message or None); dates are clinic-local days."""
    try:
        store = _get_store()
    except Exception as error:  # the store's module or database is not available
        logger.error("bookings store unavailable: %s", type(error).__name__)
        return [], "The bookings database is not available."
    since = (
        dt.datetime.combine(date_from, dt.time.min, tzinfo=tz).astimezone(dt.timezone.utc)
        if date_from
        else None
    )
    until = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz).astimezone(
            dt.timezone.utc
        )
        if date_to
        else None
    )
    rows = []
    for booking in store.list_bookings(status=status or None, since=since, limit=1000):
        if until is not None and booking.start_utc >= until:
            continue
        rows.append(
            {
                "reference": booking.reference,
                "full_name": booking.full_name,
                "contact": booking.contact,
                "state": booking.state,
                "status": booking.status,
                "sender_id": booking.sender_id,
                "when": local_time(booking.start_utc.astimezone(tz), "%a %Y-%m-%d %H:%M"),
                "created": local_time(booking.created_at.astimezone(tz)),
            }
        )
    return rows, None


def update(reference: str, action: str) -> bool:
    """Sets a booking's status (attended / no_show / cancelled); False if not possible."""
    if action not in {a for a, _ in ACTIONS}:
        return False
    try:
        from practice.booking.store import BookingNotFound

        _get_store().set_status(reference, action)
        return True
    except (BookingNotFound, ValueError):
        return False
