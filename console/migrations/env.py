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

from alembic import context

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.db import VERSION_TABLE, metadata  # noqa: E402

config = context.config


def _configure(**kwargs):
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite cannot ALTER most things: use batch mode for changes
        compare_type=True,
        **kwargs,
    )


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    import sqlalchemy as sa

    url = config.get_main_option("sqlalchemy.url") or os.environ["CONSOLE_DB_URL"]
    with sa.create_engine(url, future=True).begin() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


run_online()
