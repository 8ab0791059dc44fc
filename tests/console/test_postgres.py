"""The console on PostgreSQL (the production profile): Rasa's SQLTrackerStore writes the
events there, the booking store its table, and the console reads, filters, deletes, purges.
Uses the machine's PostgreSQL (CONSOLE_TEST_PG_ADMIN_URL); skipped where there is none."""

import os
import re
import uuid

import pytest
import sqlalchemy as sa

from tests.console import rasa_events
from tests.console.conftest import Console, create_user

ADMIN_URL = os.environ.get("CONSOLE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres")


@pytest.fixture
def pg_url():
    try:
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as error:  # no server, no driver, no rights
        pytest.skip(f"no PostgreSQL for the test: {type(error).__name__}")
    name = f"console_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url, name
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = :n and pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_console_on_postgresql(pg_url, tmp_path):
    url, name = pg_url
    parsed = sa.engine.make_url(url)
    reference = rasa_events.book(url, "conv-booking", "Jane Doe", "+19715550199", 3)
    rasa_events.write(
        name,
        rasa_events.conversations(reference=reference),
        dialect="postgresql",
        host=parsed.host,
        port=parsed.port,
        username=parsed.username,
        password=parsed.password,
    )
    env = {"TRACKER_DB_URL": url, "BOOKING_DB_URL": url}
    create_user(tmp_path / "unused.db", **env)
    server = Console(tmp_path / "unused.db", **env)
    try:
        assert server.login().status_code == 302
        assert server.senders() == [
            "conv-crisis",
            "conv-handoff",
            "conv-booking",
            "conv-lowconf",
            "conv-fallback",
            "conv-side-effects",
            "conv-old",
        ]
        assert server.senders("crisis=1") == ["conv-crisis"]
        assert server.senders("negative_feedback=1") == ["conv-fallback"]
        assert server.senders("topic=tms.side_effects&q=TMS+hurt") == ["conv-side-effects"]
        assert server.senders("confidence_below=0.5&reviewed=no") == ["conv-lowconf", "conv-fallback"]
        assert "[email hidden]" in server.get("/transcript?sender=conv-side-effects").text
        assert "Jane Doe" in server.get("/bookings").text
        page = server.get("/transcript?sender=conv-fallback").text
        event_id = re.search(r'id="m(\d+)"', page).group(1)
        server.post("/annotate", {"sender": "conv-fallback", "event_id": event_id, "intent": "out_of_scope"})
        assert "whats the weather like on mars" in server.post("/annotations/export", {}).text
        server.post("/delete", {"sender": "conv-crisis", "confirm": "yes"})
        server.post("/retention/purge", {"days": "365", "confirm": "yes"})
        engine = sa.create_engine(url, future=True)
        with engine.connect() as conn:
            senders = {r[0] for r in conn.execute(sa.text("select distinct sender_id from events"))}
            tables = set(sa.inspect(conn).get_table_names())
        engine.dispose()
        assert senders == {
            "conv-handoff",
            "conv-booking",
            "conv-lowconf",
            "conv-fallback",
            "conv-side-effects",
        }
        assert {"console_users", "console_audit_log", "console_annotations", "bookings"} <= tables
    finally:
        server.stop()
