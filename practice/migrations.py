"""Alembic, run the same way for each schema the project owns (the bookings', the console's).

Each schema has its own migrations folder and version table, so several can share a database
with Rasa's tracker store. `upgrade()` migrates one (idempotent; on PostgreSQL serialised by an
advisory lock, so several processes may start at once); `run_environment()` is the body of
each folder's `env.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def upgrade(engine: Engine, migrations_dir: Path, lock_key: int, revision: str = "head") -> None:
    """Creates or migrates one schema with Alembic, in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def run_environment(
    context: Any,
    metadata: sa.MetaData,
    version_table: str,
    default_url: Callable[[], str],
    make_engine: Callable[[str], Engine],
) -> None:
    """An `env.py`: on the connection `upgrade()` passes, else on an engine for the configured
    URL (`sqlalchemy.url`, else the schema's `default_url()`), or offline as SQL."""
    config = context.config

    def configure(**kwargs: Any) -> None:
        context.configure(
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=True,  # SQLite cannot ALTER most things: use batch mode for changes
            compare_type=True,
            **kwargs,
        )

    def url() -> str:  # only when no connection is passed: the default may need settings
        return config.get_main_option("sqlalchemy.url") or default_url()

    if context.is_offline_mode():
        configure(url=url(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with make_engine(url()).begin() as connection:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
