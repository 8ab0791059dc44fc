"""Bookings remember a keyed hash of the client address they were made from (never the
address), so one address can be capped to a few bookings a day.

Revision ID: 0002_booking_client_key
Revises: 0001_create_bookings
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_booking_client_key"
down_revision = "0001_create_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("client_key", sa.String(64), nullable=True))
    op.create_index("ix_bookings_client_key", "bookings", ["client_key"])


def downgrade() -> None:
    op.drop_index("ix_bookings_client_key", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("client_key")
