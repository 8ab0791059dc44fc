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

config = context.config


def _configure(**kwargs):
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite cannot ALTER most things: use batch mode for changes
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url") or db_url_from_env(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or db_url_from_env())
    with engine.begin() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
