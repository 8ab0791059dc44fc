"""The transactional outbox (practice/notifications/): every message a booking change causes is a row
written in the change's own transaction; delivery workers claim and send them.

Revision ID: 0003_notification_outbox
Revises: 0002_booking_client_key
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_notification_outbox"
down_revision = "0002_booking_client_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
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
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'dead', 'cancelled')", name="ck_outbox_status"
        ),
    )
    op.create_index("ix_outbox_due", "notification_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_booking_reference", "notification_outbox", ["booking_reference"])
    op.create_index("ix_outbox_sender_id", "notification_outbox", ["sender_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Whoever may change bookings writes the messages those changes cause, in the same
        # transaction (deploy/postgres/roles.psql: the console cancels bookings too, but
        # inserts nowhere else).
        op.execute("""
            DO $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
                       WHERE table_name = 'bookings' AND privilege_type = 'UPDATE'
                         AND grantee <> current_user LOOP
                EXECUTE format('GRANT INSERT ON notification_outbox TO %I', r.grantee);
                EXECUTE format('GRANT USAGE ON SEQUENCE notification_outbox_id_seq TO %I', r.grantee);
              END LOOP;
            END $$;
        """)


def downgrade() -> None:
    op.drop_index("ix_outbox_sender_id", table_name="notification_outbox")
    op.drop_index("ix_outbox_booking_reference", table_name="notification_outbox")
    op.drop_index("ix_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
