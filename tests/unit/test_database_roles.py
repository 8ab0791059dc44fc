"""deploy/postgres/roles.psql on a real PostgreSQL: each service's role can do its own work
(Rasa stores trackers, the actions book, the console reads and deletes conversations and
manages bookings) and nothing else (no reading of each other's tables, no password hashes)."""

import asyncio
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def roles_db():
    try:
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    run = uuid.uuid4().hex[:8]
    names = {k: f"t{run}_{k}" for k in ("owner", "rasa", "actions", "console")}
    database = f"roles_{run}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{names["owner"]}" LOGIN'))
        conn.execute(sa.text(f'CREATE DATABASE "{database}" OWNER "{names["owner"]}"'))
    url = sa.engine.make_url(ADMIN_URL).set(database=database)
    try:
        args = [
            "psql",
            "-X",
            "-q",
            url.render_as_string(hide_password=False),
            "-v",
            f"owner={names['owner']}",
        ]
        for service in ("rasa", "actions", "console"):
            args += ["-v", f"{service}_role={names[service]}", "-v", f"{service}_password=pw-{run}-{service}"]
        subprocess.run(
            args + ["-f", str(ROOT / "deploy/postgres/roles.psql")],
            check=True,
            capture_output=True,
            text=True,
        )
        yield {k: url.set(username=v, password=f"pw-{run}-{k}") for k, v in names.items()}
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :d and pid <> pg_backend_pid()"
                ),
                {"d": database},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}"'))
            for name in names.values():
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


def _denied(url, sql):
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    except ProgrammingError as error:
        return "permission denied" in str(error) or "must be owner" in str(error)
    finally:
        engine.dispose()
    return False


def test_each_service_role_does_its_work_and_nothing_else(roles_db, tmp_path, monkeypatch):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from console.db import Database
    from console.settings import Settings
    from practice.booking.store import BookingStore, make_engine, upgrade_schema

    # The migration runs as the owner (compose's `migrate` service).
    owner = make_engine(roles_db["owner"].render_as_string(hide_password=False))
    upgrade_schema(owner)
    owner.dispose()

    # Rasa stores a conversation (creating `events`).
    rasa = roles_db["rasa"]
    store = SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=rasa.host,
        port=rasa.port,
        db=rasa.database,
        username=rasa.username,
        password=rasa.password,
    )
    tracker = DialogueStateTracker("visitor-1", [])
    tracker.update(UserUttered("what is tms"))
    asyncio.run(store.save(tracker))
    store.engine.dispose()

    # The actions book (and read the schema version at start).
    actions_url = roles_db["actions"].render_as_string(hide_password=False)
    bookings = BookingStore(actions_url, migrate=True)
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    booking = bookings.book(
        full_name="Dana Whitfield",
        contact="dana@example.com",
        state="OR",
        start_utc=start,
        sender_id="visitor-1",
    )
    bookings.engine.dispose()

    # The console creates its tables, reads the conversation, manages and deletes.
    console_url = roles_db["console"].render_as_string(hide_password=False)
    monkeypatch.setenv("TRACKER_DB_URL", console_url)
    monkeypatch.delenv("CONSOLE_DB_URL", raising=False)
    db = Database(Settings.from_env())
    with db.tracker.begin() as conn:
        assert conn.execute(sa.text("select count(*) from events where sender_id = 'visitor-1'")).scalar() > 0
        conn.execute(
            sa.text("update bookings set status = 'attended' where reference = :r"), {"r": booking.reference}
        )
        conn.execute(sa.text("delete from events where sender_id = 'visitor-1'"))
    # Staff cancel a booking: the visitor's and the clinic's notices go to the outbox with it.
    staff_store = BookingStore(console_url)
    staff_store.set_status(booking.reference, "attended")
    staff_store.set_status(booking.reference, "booked")
    staff_store.set_status(booking.reference, "cancelled")
    staff_store.engine.dispose()
    # A delivery worker (the actions' role, as in deploy/docker-compose.yml) claims and acknowledges.
    from practice.notifications.outbox import Outbox

    outbox = Outbox(make_engine(actions_url))
    claimed = outbox.claim("worker-1", limit=20)
    assert {m.kind for m in claimed} >= {"visitor_confirmation", "visitor_cancelled"}
    assert all(outbox.mark_sent(m, "worker-1") for m in claimed)
    outbox.engine.dispose()
    # Deleting the booking (a person's request) deletes its messages too.
    from practice.booking.store import BookingEraser

    eraser_store = BookingStore(console_url)
    assert BookingEraser(eraser_store).for_reference(booking.reference) == 1
    eraser_store.engine.dispose()
    with db.tracker.begin() as conn:
        assert conn.execute(sa.text("select count(*) from notification_outbox")).scalar() == 0
    db.dispose()

    # Nothing beyond that.
    rasa_url = rasa.render_as_string(hide_password=False)
    assert _denied(rasa_url, "select * from bookings")
    assert _denied(rasa_url, "select * from console_users")
    assert _denied(actions_url, "select * from events")
    assert _denied(actions_url, "select * from console_users")
    assert _denied(actions_url, "delete from bookings")
    assert _denied(console_url, "insert into events (sender_id, type_name) values ('x', 'user')")
    assert _denied(console_url, "insert into bookings (reference) values ('EV-XXXXXX')")
    assert _denied(console_url, "drop table events")
    assert _denied(actions_url, "delete from notification_outbox")
