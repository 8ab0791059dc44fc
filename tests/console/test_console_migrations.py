"""The console's tables are made and migrated by Alembic; a database from before is adopted."""

from pathlib import Path

import sqlalchemy as sa

from console.db import VERSION_TABLE, Database
from console.settings import Settings


def settings_for(url: str) -> Settings:
    settings = Settings.from_env()
    settings.tracker_db_url = settings.console_db_url = url
    return settings


def test_a_new_database_gets_every_table_and_a_version(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    Database(settings_for(url)).dispose()
    engine = sa.create_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    assert {
        "console_users",
        "console_sessions",
        "console_annotations",
        "console_audit_log",
        "console_answer_changes",
        "console_conversations",
        VERSION_TABLE,
    } <= tables
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0001"


def test_a_database_from_before_migrations_is_adopted_with_its_rows(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the first release's users table: no role column
        conn.exec_driver_sql(
            "CREATE TABLE console_users (id INTEGER PRIMARY KEY, username VARCHAR(64) NOT NULL UNIQUE,"
            " password_hash VARCHAR(255) NOT NULL, created_at FLOAT NOT NULL, last_login_at FLOAT,"
            " disabled BOOLEAN NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO console_users (username, password_hash, created_at, disabled) VALUES ('ana', 'x', 1.0, 0)"
        )
    Database(settings_for(url)).dispose()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT username, role FROM console_users")).one()
    assert tuple(row) == ("ana", "admin")  # accounts from before roles existed are admins
    assert "console_audit_log" in sa.inspect(engine).get_table_names()


def test_starting_twice_migrates_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    Database(settings_for(url)).dispose()
    Database(settings_for(url)).dispose()
    with sa.create_engine(url).connect() as conn:
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {VERSION_TABLE}")).scalar() == 1
