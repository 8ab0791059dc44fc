"""Evaluation bookings in the project's database (SQLAlchemy; SQLite by default, PostgreSQL by URL).

The database, not the code, guarantees that a slot is booked at most once: a partial unique
index on `start_utc` over the rows whose status is 'booked' (SQLite and PostgreSQL both support
it). Two visitors racing for one slot both try to insert; exactly one insert commits, the other
gets an IntegrityError and is told the slot is taken. A cancelled booking leaves the index, so
its slot opens again.

Only what scheduling needs is stored: name, contact, the state the visitor will be in, the
time, and the conversation id (to make a retried confirmation idempotent). No health details.

The schema is created and migrated by Alembic (practice/booking/migrations), with its own
version table so it can share the database with Rasa's tracker store and the staff console:

    python -m practice.booking.store upgrade          # BOOKING_DB_URL or var/assistant.db
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from practice import migrations
from practice.notifications.booking_events import ChangeHook, default_booking_notifier
from practice.notifications.outbox import delete_booking_messages
from practice.paths import VAR_DIR
from practice.private_files import make_private

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_DB_URL = f"sqlite:///{VAR_DIR / 'assistant.db'}"
VERSION_TABLE = "booking_schema_version"
# Any constant: serialises concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK = 7_240_301

BOOKED, CANCELLED, ATTENDED, NO_SHOW = "booked", "cancelled", "attended", "no_show"
STATUSES = (BOOKED, CANCELLED, ATTENDED, NO_SHOW)
# Unambiguous when read aloud or typed: no 0/O, 1/I/L.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_PREFIX = "EV-"


def db_url_from_env() -> str:
    return os.environ.get("BOOKING_DB_URL") or DEFAULT_DB_URL


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as naive UTC (same on SQLite and PostgreSQL); returns aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("booking times must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


metadata = sa.MetaData()

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(16), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("contact", sa.String(254), nullable=False),  # lower-case email or +1XXXXXXXXXX
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("start_utc", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=BOOKED),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("reference", name="uq_bookings_reference"),
    sa.CheckConstraint("status IN ('booked', 'cancelled', 'attended', 'no_show')", name="ck_bookings_status"),
    sa.Index(
        "uq_bookings_active_start",
        "start_utc",
        unique=True,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    ),
    sa.Index("ix_bookings_sender_id", "sender_id"),
    sa.Index("ix_bookings_contact", "contact"),
    # Keyed hash of the client address (practice/client_key.py), for the per-address cap.
    sa.Column("client_key", sa.String(64), nullable=True),
    sa.Index("ix_bookings_client_key", "client_key"),
)


class SlotTaken(Exception):
    """The slot is booked by someone else (or is being booked right now)."""


class BookingLimitReached(Exception):
    """The contact already holds its upcoming bookings, or the address made its day's."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which  # "contact" or "address"


@dataclass(frozen=True)
class BookingLimits:
    """Caps against a script booking every open slot (clinic.yml `booking_limits`)."""

    upcoming_per_contact: int = 0  # 0 = no cap
    per_address_per_day: int = 0

    @classmethod
    def from_clinic(cls, clinic: dict[str, Any]) -> BookingLimits:
        raw = clinic.get("booking_limits") or {}
        return cls(int(raw.get("upcoming_per_contact", 0) or 0), int(raw.get("per_address_per_day", 0) or 0))


class BookingNotFound(Exception):
    """No booking with this reference and contact (or it is no longer active)."""


@dataclass(frozen=True)
class Booking:
    reference: str
    full_name: str
    contact: str
    state: str
    start_utc: datetime
    status: str
    sender_id: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Booking:
        data = row._mapping
        return cls(**{f: data[f] for f in cls.__dataclass_fields__})

    @property
    def active(self) -> bool:
        return self.status == BOOKED


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the bookings: SQLite waits for locks instead of failing at once."""
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    options.update(kwargs)
    if url.startswith("sqlite"):
        make_private(url)
        connect_args = dict(options.pop("connect_args", {}) or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        options.pop("pool_pre_ping", None)
    return sa.create_engine(url, **options)


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Creates or migrates the bookings schema with Alembic (idempotent; safe to race)."""
    migrations.upgrade(engine, MIGRATIONS_DIR, _PG_MIGRATION_LOCK, revision)


class BookingStore:
    """Creates, finds, cancels and moves bookings; every write is one short transaction.

    `on_change(conn, change, booking, previous_start)` runs inside the transaction of each
    booking, move and cancellation (notifications/: the messages it causes go to the outbox
    in that same transaction); default: the notifier configured by clinic.yml.
    """

    def __init__(
        self,
        url_or_engine: str | Engine | None = None,
        migrate: bool = True,
        on_change: ChangeHook | None = None,
    ) -> None:
        self.on_change: ChangeHook = on_change or default_booking_notifier()
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
        else:
            self.engine = make_engine(url_or_engine or db_url_from_env())
        if migrate:
            self._migrate()

    def _migrate(self) -> None:
        for attempt in range(3):
            try:
                upgrade_schema(self.engine)
                return
            except OperationalError:
                # SQLite: another process created the table between our check and our DDL.
                if attempt == 2:
                    raise

    # ------------------------------------------------------------------ reads

    def booked_starts(self, start: datetime, end: datetime) -> set[datetime]:
        query = sa.select(bookings.c.start_utc).where(
            bookings.c.status == BOOKED,
            bookings.c.start_utc >= start,
            bookings.c.start_utc <= end,
        )
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    def get(self, reference: str) -> Booking | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(bookings).where(bookings.c.reference == reference.upper())).first()
        return Booking.from_row(row) if row else None

    def find(self, reference: str, contact: str) -> Booking | None:
        """The booking with this reference, only if the contact matches (normalised)."""
        booking = self.get(reference)
        if booking is None or not secrets.compare_digest(booking.contact, contact):
            return None
        return booking

    def list_bookings(
        self, status: str | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[Booking]:
        """For the staff bookings view: soonest first."""
        query = sa.select(bookings).order_by(bookings.c.start_utc).limit(limit)
        if status:
            query = query.where(bookings.c.status == status)
        if since:
            query = query.where(bookings.c.start_utc >= since)
        with self.engine.connect() as conn:
            return [Booking.from_row(r) for r in conn.execute(query)]

    def _active_at(self, conn: Connection, start: datetime) -> Booking | None:
        row = conn.execute(
            sa.select(bookings).where(bookings.c.start_utc == start, bookings.c.status == BOOKED)
        ).first()
        return Booking.from_row(row) if row else None

    # ----------------------------------------------------------------- writes

    def book(
        self,
        *,
        full_name: str,
        contact: str,
        state: str,
        start_utc: datetime,
        sender_id: str,
        client_key: str | None = None,
        limits: BookingLimits | None = None,
    ) -> Booking:
        """Books the slot, or returns the same booking if this conversation already has it.

        Raises SlotTaken if another conversation holds the slot, BookingLimitReached if the
        contact or the client address is at its cap (`limits`; checked before the insert, so
        two racing confirmations may both pass: a cap against scripts, not a guarantee).
        """
        for _ in range(5):
            with self.engine.connect() as conn:
                existing = self._active_at(conn, start_utc)
                if existing is None and limits is not None:
                    self._check_limits(conn, contact, client_key, limits)
            if existing is not None:
                if existing.sender_id == sender_id:
                    return existing  # a retried confirmation: same booking, same reference
                raise SlotTaken(start_utc)
            now = _now()
            values: dict[str, Any] = dict(
                reference=new_reference(),
                full_name=full_name,
                contact=contact,
                state=state.upper(),
                start_utc=start_utc,
                status=BOOKED,
                sender_id=sender_id,
                created_at=now,
                updated_at=now,
            )
            try:
                with self.engine.begin() as conn:
                    conn.execute(bookings.insert().values(client_key=client_key, **values))
                    booking = Booking(**values)
                    self.on_change(conn, "booked", booking, None)
            except IntegrityError:
                continue  # lost the race for the slot (or, rarely, a reference clash): re-check
            return booking
        raise SlotTaken(start_utc)

    def _check_limits(
        self, conn: Connection, contact: str, client_key: str | None, limits: BookingLimits
    ) -> None:
        now = _now()
        if limits.upcoming_per_contact:
            upcoming = conn.execute(
                sa.select(sa.func.count())
                .select_from(bookings)
                .where(
                    bookings.c.contact == contact, bookings.c.status == BOOKED, bookings.c.start_utc >= now
                )
            ).scalar_one()
            if upcoming >= limits.upcoming_per_contact:
                raise BookingLimitReached("contact")
        if limits.per_address_per_day and client_key:
            today = conn.execute(
                sa.select(sa.func.count())
                .select_from(bookings)
                .where(bookings.c.client_key == client_key, bookings.c.created_at >= now - timedelta(days=1))
            ).scalar_one()
            if today >= limits.per_address_per_day:
                raise BookingLimitReached("address")

    def _update_active(self, reference: str, contact: str, **values: Any) -> Booking:
        booking = self.find(reference, contact)
        if booking is None or not booking.active:
            raise BookingNotFound(reference)
        values["updated_at"] = _now()
        with self.engine.begin() as conn:
            result = conn.execute(
                bookings.update()
                .where(bookings.c.reference == booking.reference, bookings.c.status == BOOKED)
                .values(**values)
            )
            if result.rowcount != 1:
                raise BookingNotFound(reference)
            updated = Booking.from_row(
                conn.execute(sa.select(bookings).where(bookings.c.reference == booking.reference)).first()
            )
            moved = updated.start_utc != booking.start_utc
            if updated.status == CANCELLED or moved:
                self.on_change(
                    conn,
                    "cancelled" if updated.status == CANCELLED else "moved",
                    updated,
                    booking.start_utc if moved else None,
                )
        return updated

    def cancel(self, reference: str, contact: str) -> Booking:
        return self._update_active(reference, contact, status=CANCELLED)

    def move(self, reference: str, contact: str, new_start: datetime) -> Booking:
        """Moves an active booking; raises SlotTaken if the new slot is held by another."""
        try:
            return self._update_active(reference, contact, start_utc=new_start)
        except IntegrityError as exc:
            raise SlotTaken(new_start) from exc

    def set_status(self, reference: str, status: str) -> Booking:
        """For staff: mark a booking attended / no_show / cancelled (or booked again)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.engine.begin() as conn:
            before = conn.execute(
                sa.select(bookings.c.status).where(bookings.c.reference == reference.upper())
            ).scalar()
            result = conn.execute(
                bookings.update()
                .where(bookings.c.reference == reference.upper())
                .values(status=status, updated_at=_now())
            )
            if result.rowcount != 1:
                raise BookingNotFound(reference)
            booking = Booking.from_row(
                conn.execute(sa.select(bookings).where(bookings.c.reference == reference.upper())).first()
            )
            if before == BOOKED and status == CANCELLED:  # staff cancelled it: tell the visitor
                self.on_change(conn, "cancelled", booking, None)
        return booking


class BookingEraser:
    """Deletes bookings: the retention purge and a person's deletion request (console/)."""

    def __init__(self, store: BookingStore) -> None:
        self.engine = store.engine

    def _delete(self, condition: Any) -> int:
        with self.engine.begin() as conn:
            # Their messages go with them, sent or not (practice/notifications/outbox.py).
            references = [r[0] for r in conn.execute(sa.select(bookings.c.reference).where(condition))]
            delete_booking_messages(conn, references)
            return conn.execute(bookings.delete().where(condition)).rowcount

    def purge(self, appointments_before: datetime) -> int:
        """Bookings whose appointment started before the cutoff (its date plus retention)."""
        return self._delete(bookings.c.start_utc < appointments_before)

    def for_conversation(self, sender_id: str) -> int:
        return self._delete(bookings.c.sender_id == sender_id)

    def for_contact(self, contact: str) -> int:
        """Every booking made with this email address or US phone number (normalised)."""
        from practice.booking.fields import parse_contact

        parsed = parse_contact(contact)
        if parsed is None:
            raise ValueError("not an email address or US phone number")
        return self._delete(bookings.c.contact == parsed.value)

    def for_reference(self, reference: str) -> int:
        return self._delete(bookings.c.reference == reference.strip().upper())


def main(argv: list[str]) -> int:
    if argv[:1] != ["upgrade"]:
        print("usage: python -m practice.booking.store upgrade [revision]", file=sys.stderr)
        return 2
    engine = make_engine(db_url_from_env())
    upgrade_schema(engine, argv[1] if len(argv) > 1 else "head")
    print(f"bookings schema at {argv[1] if len(argv) > 1 else 'head'}: {engine.url!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
