"""The transactional outbox: messages written with the change that causes them, claimed once
by a delivery worker, retried with exponential backoff, dead after too many failures.

Writes that belong to a booking change (`enqueue`, `cancel_pending`, `next_ics_sequence`) take
the caller's connection, so they commit or roll back with the change. Claims are atomic:
PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED` inside the claiming UPDATE; SQLite claims
each row with a conditional UPDATE that only one writer can win. A claim carries a lease: a
worker that dies before acknowledging leaves the row `sending` until the lease runs out, then
any worker may claim it again.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from practice.notifications.tables import CANCELLED, DEAD, PENDING, SENDING, SENT, outbox

MAX_BACKOFF = timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to write to the outbox (composed by practice/notifications/messages.py)."""

    kind: str
    recipient: str
    subject: str
    body: str
    ics: Optional[str] = None
    ics_sequence: Optional[int] = None
    booking_reference: Optional[str] = None
    request_reference: Optional[str] = None
    sender_id: Optional[str] = None
    not_before: Optional[datetime] = None
    channel: str = "email"


@dataclass(frozen=True)
class OutboxMessage:
    """A row of the outbox, as a worker or the console sees it."""

    id: int
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    ics: Optional[str]
    ics_sequence: Optional[int]
    message_id: str
    booking_reference: Optional[str]
    request_reference: Optional[str]
    status: str
    attempts: int
    not_before: datetime
    next_attempt_at: datetime
    lease_until: Optional[datetime]
    claimed_by: Optional[str]
    last_error: Optional[str]
    created_at: datetime
    sent_at: Optional[datetime]

    @classmethod
    def from_row(cls, row: Any) -> "OutboxMessage":
        data = row._mapping
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def enqueue(
    conn: Connection, message: OutgoingMessage, now: Optional[datetime] = None, domain: str = "localhost"
) -> None:
    """Writes one message in the caller's transaction."""
    now = now or utcnow()
    not_before = message.not_before or now
    conn.execute(
        outbox.insert().values(
            kind=message.kind,
            channel=message.channel,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            ics=message.ics,
            ics_sequence=message.ics_sequence,
            message_id=f"<{secrets.token_hex(16)}@{domain}>",
            booking_reference=message.booking_reference,
            request_reference=message.request_reference,
            sender_id=message.sender_id,
            status=PENDING,
            attempts=0,
            not_before=not_before,
            next_attempt_at=not_before,
            created_at=now,
        )
    )


def cancel_pending(conn: Connection, booking_reference: str, kinds: Sequence[str]) -> int:
    """Drops not-yet-sent messages of these kinds for the booking (a moved or cancelled
    booking's reminder), in the caller's transaction."""
    return conn.execute(
        outbox.update()
        .where(
            outbox.c.booking_reference == booking_reference,
            outbox.c.kind.in_(list(kinds)),
            outbox.c.status == PENDING,
        )
        .values(status=CANCELLED, last_error="superseded")
    ).rowcount


def next_ics_sequence(conn: Connection, booking_reference: str) -> int:
    """0 for a booking's first invite, then one more than the highest written so far."""
    highest = conn.execute(
        sa.select(sa.func.max(outbox.c.ics_sequence)).where(outbox.c.booking_reference == booking_reference)
    ).scalar()
    return 0 if highest is None else int(highest) + 1


def delete_booking_messages(conn: Connection, references: Sequence[str]) -> int:
    """Deletes every message about these bookings (retention, deletion requests), in the
    caller's transaction."""
    total = 0
    for start in range(0, len(references), 500):
        total += conn.execute(
            outbox.delete().where(outbox.c.booking_reference.in_(list(references[start : start + 500])))
        ).rowcount
    return total


def _due(now: datetime) -> Any:
    return sa.or_(
        sa.and_(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now),
        sa.and_(outbox.c.status == SENDING, outbox.c.lease_until < now),
    )


class Outbox:
    """Claims, acknowledgements and the console's reads and repairs."""

    def __init__(
        self,
        engine: Engine,
        max_attempts: int = 8,
        backoff_seconds: float = 30.0,
        lease_seconds: float = 300.0,
    ) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.backoff = timedelta(seconds=backoff_seconds)
        self.lease = timedelta(seconds=lease_seconds)

    # ------------------------------------------------------------------ delivery

    def claim(self, worker_id: str, now: Optional[datetime] = None, limit: int = 10) -> List[OutboxMessage]:
        now = now or utcnow()
        claim_values = dict(
            status=SENDING, claimed_by=worker_id, lease_until=now + self.lease, attempts=outbox.c.attempts + 1
        )
        if self.engine.dialect.name == "postgresql":
            due_ids = (
                sa.select(outbox.c.id)
                .where(_due(now))
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
            with self.engine.begin() as conn:
                rows = conn.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(due_ids))
                    .values(**claim_values)
                    .returning(*outbox.c)
                ).fetchall()
            return sorted((OutboxMessage.from_row(r) for r in rows), key=lambda m: m.id)
        with self.engine.connect() as conn:
            candidates = [
                r[0]
                for r in conn.execute(
                    sa.select(outbox.c.id)
                    .where(_due(now))
                    .order_by(outbox.c.next_attempt_at, outbox.c.id)
                    .limit(limit)
                )
            ]
        claimed: List[OutboxMessage] = []
        for message_id in candidates:
            with self.engine.begin() as conn:
                won = (
                    conn.execute(
                        outbox.update().where(outbox.c.id == message_id, _due(now)).values(**claim_values)
                    ).rowcount
                    == 1
                )
                if won:
                    row = conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).first()
                    claimed.append(OutboxMessage.from_row(row))
        return claimed

    def mark_sent(self, message: OutboxMessage, worker_id: str, now: Optional[datetime] = None) -> bool:
        """Acknowledges a delivery; False if the claim was lost meanwhile (lease ran out)."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.id == message.id,
                        outbox.c.claimed_by == worker_id,
                        outbox.c.status == SENDING,
                    )
                    .values(status=SENT, sent_at=now or utcnow(), lease_until=None, last_error=None)
                ).rowcount
                == 1
            )

    def release(self, message: OutboxMessage, worker_id: str) -> None:
        """Hands an unsent claim back (a stopping worker), without counting the attempt."""
        with self.engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(
                    outbox.c.id == message.id,
                    outbox.c.claimed_by == worker_id,
                    outbox.c.status == SENDING,
                )
                .values(status=PENDING, claimed_by=None, lease_until=None, attempts=outbox.c.attempts - 1)
            )

    def mark_failed(
        self,
        message: OutboxMessage,
        worker_id: str,
        error: str,
        permanent: bool = False,
        now: Optional[datetime] = None,
    ) -> str:
        """Schedules the next attempt (backoff doubling per attempt) or marks the message dead."""
        now = now or utcnow()
        attempts = message.attempts
        if permanent or attempts >= self.max_attempts:
            values: Dict[str, Any] = dict(status=DEAD, lease_until=None)
        else:
            delay = min(self.backoff * (2 ** max(0, attempts - 1)), MAX_BACKOFF)
            values = dict(status=PENDING, next_attempt_at=now + delay, lease_until=None, claimed_by=None)
        with self.engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(
                    outbox.c.id == message.id,
                    outbox.c.claimed_by == worker_id,
                    outbox.c.status == SENDING,
                )
                .values(last_error=error[:500], **values)
            )
        return str(values["status"])

    # ------------------------------------------------------------------ console

    def counts(self) -> Dict[str, int]:
        with self.engine.connect() as conn:
            return {
                status: n
                for status, n in conn.execute(
                    sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
                )
            }

    def list(self, statuses: Iterable[str], limit: int = 200) -> List[OutboxMessage]:
        query = (
            sa.select(outbox)
            .where(outbox.c.status.in_(list(statuses)))
            .order_by(outbox.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [OutboxMessage.from_row(r) for r in conn.execute(query)]

    def get(self, message_id: int) -> Optional[OutboxMessage]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).first()
        return OutboxMessage.from_row(row) if row else None

    def retry(self, message_id: int, now: Optional[datetime] = None) -> bool:
        """A dead message goes back to pending with a fresh attempt count."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.id == message_id,
                        outbox.c.status == DEAD,
                    )
                    .values(
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=now or utcnow(),
                        claimed_by=None,
                        lease_until=None,
                    )
                ).rowcount
                == 1
            )

    # ------------------------------------------------------------------ retention

    def delete_for_conversation(self, sender_id: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(outbox.delete().where(outbox.c.sender_id == sender_id)).rowcount

    def purge(self, created_before: datetime) -> int:
        """Finished messages (sent, dead, cancelled) older than the cutoff."""
        with self.engine.begin() as conn:
            return conn.execute(
                outbox.delete().where(
                    outbox.c.created_at < created_before,
                    outbox.c.status.in_([SENT, DEAD, CANCELLED]),
                )
            ).rowcount
