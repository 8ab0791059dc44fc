"""Alembic environment for the bookings schema.

Run through `python -m practice.booking.store upgrade` (or `BookingStore()`, which upgrades on
start), or with the Alembic CLI: `alembic -c practice/booking/alembic.ini upgrade head`.
The version table is `booking_schema_version`, so this schema can share a database with Rasa's
tracker store and the staff console without clashing with their tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from practice.booking.store import VERSION_TABLE, db_url_from_env, make_engine, metadata  # noqa: E402
from practice.migrations import run_environment  # noqa: E402

run_environment(context, metadata, VERSION_TABLE, db_url_from_env, make_engine)
