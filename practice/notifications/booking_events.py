"""The booking store's change hook: writes the messages a booking change causes to the outbox,
on the connection (and so in the transaction) of the change itself.

    BookingStore(on_change=BookingNotifier(settings))   # tests: own settings and clock

The store's default hook is `default_booking_notifier()`, which reads clinic.yml once.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy.engine import Connection

from practice.notifications import messages
from practice.notifications.outbox import cancel_pending, enqueue, next_ics_sequence, utcnow
from practice.notifications.settings import NotificationSettings

logger = logging.getLogger(__name__)

ChangeHook = Callable[[Connection, str, messages.BookingLike, Optional[datetime]], None]


class BookingNotifier:
    """`(conn, change, booking, previous_start)` -> outbox rows; change is booked / moved /
    cancelled. Raises on failure, so the change rolls back with it (no booking without its
    messages, no message without its booking)."""

    def __init__(
        self, settings: Optional[NotificationSettings] = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._settings = settings
        self.clock = clock

    @property
    def settings(self) -> NotificationSettings:
        if self._settings is None:
            self._settings = NotificationSettings.load()
        return self._settings

    def __call__(
        self,
        conn: Connection,
        change: str,
        booking: messages.BookingLike,
        previous_start: Optional[datetime] = None,
    ) -> None:
        settings = self.settings
        now = self.clock()
        if change in (messages.MOVED, messages.CANCELLED):
            # The reminder of the old time goes; a move writes a new one below.
            cancel_pending(conn, booking.reference, [messages.REMINDER])
        sequence = next_ics_sequence(conn, booking.reference)
        for message in messages.booking_messages(change, booking, settings, sequence, now, previous_start):
            enqueue(conn, message, now, settings.mail_domain)


@functools.lru_cache(maxsize=1)
def default_booking_notifier() -> BookingNotifier:
    return BookingNotifier()
