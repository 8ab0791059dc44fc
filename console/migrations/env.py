"""Alembic environment for the staff console's tables (console_*).

Run by `Database()` (console/db.py), which upgrades on start, or with the Alembic CLI:
`alembic -c console/alembic.ini upgrade head` (URL from CONSOLE_DB_URL). The version table is
`console_schema_version`, so the console's tables share a database with Rasa's tracker store
and the bookings (`booking_schema_version`) without clashing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import context

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.db import VERSION_TABLE, metadata  # noqa: E402
from practice.migrations import run_environment  # noqa: E402


def _engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, future=True)


run_environment(context, metadata, VERSION_TABLE, lambda: os.environ["CONSOLE_DB_URL"], _engine)
