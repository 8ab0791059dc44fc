"""The delivery worker: `python -m practice.notifications.worker` (several may run, on one database).

Each round claims due messages (practice/notifications/outbox.py), sends each through the sender of its
channel, and marks it sent right after the server's acknowledgement, or schedules a retry
with exponential backoff, or marks it dead after `max_attempts`. SIGTERM / Ctrl-C: the
message in hand is finished, then the worker exits.

    python -m practice.notifications.worker            # loop (OUTBOX_POLL_SECONDS between idle rounds)
    python -m practice.notifications.worker --once     # one round, then exit (cron, tests)

Database: BOOKING_DB_URL (default var/assistant.db: the bookings' database, where the outbox is).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from datetime import datetime
from typing import Callable, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from practice.notifications.outbox import Outbox, OutboxMessage, new_worker_id, utcnow
from practice.notifications.senders import DeliveryError, Sender, SmtpSender
from practice.notifications.settings import NotificationSettings, SmtpSettings
from practice.paths import PROJECT_ROOT

logger = logging.getLogger("practice.notifications.worker")


def db_url_from_env() -> str:
    return os.environ.get("BOOKING_DB_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return sa.create_engine(url, future=True, connect_args={"timeout": 30})
    return sa.create_engine(url, future=True, pool_pre_ping=True)


class DeliveryWorker:
    def __init__(
        self,
        outbox: Outbox,
        senders: Dict[str, Sender],
        clock: Callable[[], datetime] = utcnow,
        worker_id: Optional[str] = None,
        batch: int = 10,
    ) -> None:
        self.outbox = outbox
        self.senders = senders
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        self.batch = batch
        self.stopping = threading.Event()

    def deliver(self, message: OutboxMessage) -> str:
        """Sends one claimed message; returns its new status."""
        if message.attempts > self.outbox.max_attempts:  # reclaimed after too many leases
            return self.outbox.mark_failed(
                message, self.worker_id, "lease expired too often", permanent=True, now=self.clock()
            )
        sender = self.senders.get(message.channel)
        if sender is None:
            return self.outbox.mark_failed(
                message,
                self.worker_id,
                f"no sender for channel {message.channel}",
                permanent=True,
                now=self.clock(),
            )
        try:
            sender.send(message)
        except DeliveryError as error:
            status = self.outbox.mark_failed(
                message, self.worker_id, str(error), permanent=error.permanent, now=self.clock()
            )
            logger.warning(
                "message %s (%s) not delivered, attempt %s: %s -> %s",
                message.id,
                message.kind,
                message.attempts,
                error,
                status,
            )
            return status
        except Exception as error:  # a bug, not the server: counted like a failure, never a loop
            logger.exception("message %s (%s) could not be sent", message.id, message.kind)
            return self.outbox.mark_failed(
                message, self.worker_id, f"unexpected error: {type(error).__name__}", now=self.clock()
            )
        if not self.outbox.mark_sent(message, self.worker_id, now=self.clock()):
            logger.warning("message %s delivered after its claim was lost", message.id)
        logger.info("message %s (%s) sent", message.id, message.kind)
        return "sent"

    def run_once(self) -> int:
        """One round: claims due messages and delivers them; returns how many were claimed."""
        claimed = self.outbox.claim(self.worker_id, now=self.clock(), limit=self.batch)
        try:
            for index, message in enumerate(claimed):
                if self.stopping.is_set():
                    # Hand back the rest at once rather than after the lease.
                    for rest in claimed[index:]:
                        self.outbox.release(rest, self.worker_id)
                    break
                self.deliver(message)
        finally:
            for sender in self.senders.values():
                sender.close()
        return len(claimed)

    def run_until_idle(self) -> int:
        total = 0
        while not self.stopping.is_set():
            claimed = self.run_once()
            total += claimed
            if claimed == 0:
                break
        return total

    def run_forever(self, poll_seconds: float) -> None:
        logger.info("delivery worker %s started", self.worker_id)
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except (OperationalError, ProgrammingError) as error:
                # Database briefly away, or its schema not migrated yet: wait and retry.
                logger.warning("outbox unavailable: %s", type(error).__name__)
                busy = 0
            if not busy:
                self.stopping.wait(poll_seconds)
        logger.info("delivery worker %s stopped", self.worker_id)


def build_worker(
    settings: Optional[NotificationSettings] = None,
    smtp: Optional[SmtpSettings] = None,
    url: Optional[str] = None,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryWorker:
    settings = settings or NotificationSettings.load()
    outbox = Outbox(
        make_engine(url or db_url_from_env()),
        settings.max_attempts,
        settings.backoff_seconds,
        settings.lease_seconds,
    )
    sender = SmtpSender(smtp or SmtpSettings.from_env(), settings)
    return DeliveryWorker(outbox, {sender.channel: sender}, clock=clock)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = NotificationSettings.load()
    worker = build_worker(settings)

    def stop(*_: object) -> None:
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.once:
        worker.run_until_idle()
    else:
        worker.run_forever(settings.poll_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
