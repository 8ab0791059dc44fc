"""The outbox table (created by the bookings' Alembic migrations, next to `bookings`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa

PENDING, SENDING, SENT, DEAD, CANCELLED = "pending", "sending", "sent", "dead", "cancelled"
STATUSES = (PENDING, SENDING, SENT, DEAD, CANCELLED)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes stored as naive UTC (same on SQLite and PostgreSQL); read back aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("outbox times must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=timezone.utc)


metadata = sa.MetaData()

outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False, server_default="email"),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("ics", sa.Text, nullable=True),
    sa.Column("ics_sequence", sa.Integer, nullable=True),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("booking_reference", sa.String(16), nullable=True),
    sa.Column("request_reference", sa.String(16), nullable=True),
    sa.Column("sender_id", sa.String(255), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("not_before", UTCDateTime(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    sa.CheckConstraint(
        "status IN ('pending', 'sending', 'sent', 'dead', 'cancelled')", name="ck_outbox_status"
    ),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_booking_reference", "booking_reference"),
    sa.Index("ix_outbox_sender_id", "sender_id"),
)

OPEN, DONE = "open", "done"

# Call-back requests made in the chat (practice/notifications/callbacks.py): only what a call needs.
callback_requests = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(16), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("contact", sa.String(254), nullable=False),  # lower-case email or +1XXXXXXXXXX
    sa.Column("best_time", sa.String(120), nullable=False),
    sa.Column("consent", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default=OPEN),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.Column("done_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("reference", name="uq_callback_requests_reference"),
    sa.CheckConstraint("status IN ('open', 'done')", name="ck_callback_requests_status"),
    sa.Index("ix_callback_requests_status", "status"),
    sa.Index("ix_callback_requests_sender_id", "sender_id"),
    sa.Index("ix_callback_requests_contact", "contact"),
)
