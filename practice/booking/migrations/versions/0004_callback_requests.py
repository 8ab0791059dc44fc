"""Call-back requests made in the chat (practice/notifications/callbacks.py); the clinic's notice of
each goes to the outbox in the same transaction.

Revision ID: 0004_callback_requests
Revises: 0003_notification_outbox
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_callback_requests"
down_revision = "0003_notification_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("best_time", sa.String(120), nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("reference", name="uq_callback_requests_reference"),
        sa.CheckConstraint("status IN ('open', 'done')", name="ck_callback_requests_status"),
    )
    op.create_index("ix_callback_requests_status", "callback_requests", ["status"])
    op.create_index("ix_callback_requests_sender_id", "callback_requests", ["sender_id"])
    op.create_index("ix_callback_requests_contact", "callback_requests", ["contact"])


def downgrade() -> None:
    op.drop_index("ix_callback_requests_contact", table_name="callback_requests")
    op.drop_index("ix_callback_requests_sender_id", table_name="callback_requests")
    op.drop_index("ix_callback_requests_status", table_name="callback_requests")
    op.drop_table("callback_requests")
