"""Create the bookings table: one active booking per slot, enforced by the database.

Revision ID: 0001_create_bookings
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_create_bookings"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="booked"),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'attended', 'no_show')", name="ck_bookings_status"
        ),
    )
    # The no-double-booking guarantee: a slot start is unique among active bookings only.
    op.create_index(
        "uq_bookings_active_start",
        "bookings",
        ["start_utc"],
        unique=True,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )
    op.create_index("ix_bookings_sender_id", "bookings", ["sender_id"])
    op.create_index("ix_bookings_contact", "bookings", ["contact"])


def downgrade() -> None:
    op.drop_index("ix_bookings_contact", table_name="bookings")
    op.drop_index("ix_bookings_sender_id", table_name="bookings")
    op.drop_index("uq_bookings_active_start", table_name="bookings")
    op.drop_table("bookings")
