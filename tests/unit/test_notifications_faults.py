"""Delivery faults, against real SMTP servers: the server down at booking time, retries and
dead messages, a worker killed mid-delivery, claims that expire, two workers on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from practice.booking.store import make_engine, upgrade_schema
from practice.notifications.outbox import Outbox, OutgoingMessage, enqueue
from practice.notifications.tables import outbox as outbox_table
from tests.conftest import BOOKING_NOW
from tests.unit.notification_fixtures import CLINIC_ADDRESS, make_harness, utc
from tests.unit.smtp_recorder import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
VISITOR = "jane.doe@mail.test"
START = utc(2026, 12, 2, 17)
PG_ADMIN_URL = os.environ.get("CONSOLE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres")


def statuses(engine):
    with engine.connect() as conn:
        return Counter(r[0] for r in conn.execute(sa.select(outbox_table.c.status)))


def book(harness):
    return harness.store.book(
        full_name="Jane Doe", contact=VISITOR, state="OR", start_utc=START, sender_id="conv-1"
    )


def test_smtp_down_at_booking_time_delivers_once_it_is_back(booking_clinic, booking_db_url):
    port = free_port()  # nothing listens yet
    harness = make_harness(booking_clinic, booking_db_url, port, BOOKING_NOW)
    booking = book(harness)  # the booking does not depend on mail
    assert harness.store.get(booking.reference).active
    harness.deliver()
    assert statuses(harness.store.engine)["pending"] == 3  # confirmation, clinic, reminder
    with harness.store.engine.connect() as conn:
        failed = conn.execute(sa.select(outbox_table).where(outbox_table.c.attempts == 1)).fetchall()
    assert len(failed) == 2 and all("cannot reach" in r.last_error for r in failed)
    assert all(r.next_attempt_at == BOOKING_NOW + timedelta(seconds=60) for r in failed)
    server = SmtpServer(port).start()
    try:
        harness.deliver()  # backoff not over: nothing tried
        assert server.accepted == []
        harness.clock.advance(seconds=61)
        harness.deliver()
        assert len(server.recorder.to(VISITOR)) == 1
        assert len(server.recorder.to(CLINIC_ADDRESS)) == 1
    finally:
        server.stop()
        harness.store.engine.dispose()


def test_backoff_doubles_then_the_message_is_dead_and_can_be_retried(booking_clinic, booking_db_url):
    port = free_port()
    harness = make_harness(booking_clinic, booking_db_url, port, BOOKING_NOW)
    book(harness)
    delays = []
    for _ in range(3):  # max_attempts is 3 in the test settings
        harness.deliver()
        with harness.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(outbox_table).where(outbox_table.c.kind == "visitor_confirmation")
            ).first()
        if row.status == "pending":
            delays.append(row.next_attempt_at - harness.clock.now)
            harness.clock.now = row.next_attempt_at
    assert delays == [timedelta(seconds=60), timedelta(seconds=120)]
    assert row.status == "dead" and row.attempts == 3
    server = SmtpServer(port).start()
    try:
        assert harness.outbox.retry(row.id, now=harness.clock.now)
        assert not harness.outbox.retry(row.id)  # only a dead message
        harness.deliver()
        assert len(server.recorder.to(VISITOR)) == 1
    finally:
        server.stop()
        harness.store.engine.dispose()


def test_a_claim_never_acknowledged_is_claimable_after_the_lease(booking_clinic, booking_db_url):
    server = SmtpServer().start()
    harness = make_harness(booking_clinic, booking_db_url, server.port, BOOKING_NOW)
    try:
        book(harness)
        lost = harness.outbox.claim("dead-worker", now=BOOKING_NOW, limit=10)
        assert len(lost) == 2
        assert harness.outbox.claim("other", now=BOOKING_NOW + timedelta(seconds=299)) == []
        harness.clock.now = BOOKING_NOW + timedelta(seconds=301)
        harness.deliver()
        assert len(server.accepted) == 2
        assert not harness.outbox.mark_sent(lost[0], "dead-worker")  # the lost claim is void
    finally:
        server.stop()
        harness.store.engine.dispose()


def _fill(engine, n, domain="clinic.test"):
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for i in range(n):
            enqueue(
                conn,
                OutgoingMessage(
                    kind="clinic_booking_new",
                    recipient=CLINIC_ADDRESS,
                    subject=f"New booking EV-TEST{i:02d}",
                    body=f"n {i}\n",
                    booking_reference=f"EV-T{i:04d}",
                ),
                now,
                domain,
            )


def _worker(db_url, port, *extra, **env):
    environment = {
        **os.environ,
        "BOOKING_DB_URL": db_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "none",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "practice.notifications.worker", *extra],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    _fill(engine, 5)
    server = SmtpServer().start()
    server.recorder.hold_next()
    first = _worker(url, server.port, OUTBOX_LEASE_SECONDS="3")
    try:
        assert server.recorder.holding.wait(30), first.stdout.read1().decode()
        first.send_signal(signal.SIGKILL)  # dies with its first message half-sent
        first.wait(10)
        server.recorder.release()  # the server never acknowledged it
        # Its whole batch stays claimed until the lease runs out: nothing else may send them.
        assert statuses(engine) == Counter({"sending": 5})
        assert _worker(url, server.port, "--once").wait(60) == 0 and server.accepted == []
        time.sleep(3.2)  # the dead worker's lease runs out
        second = _worker(url, server.port, "--once")
        assert second.wait(60) == 0, second.stdout.read().decode()
        ids = Counter(str(m["Message-ID"]) for m in server.accepted)
        assert len(ids) == 5 and set(ids.values()) == {1}
        assert statuses(engine) == Counter({"sent": 5})
        with engine.connect() as conn:
            attempts = sorted(r[0] for r in conn.execute(sa.select(outbox_table.c.attempts)))
        assert attempts == [2] * 5  # each claimed by both workers, sent by the second
    finally:
        if first.poll() is None:
            first.kill()
        server.stop()
        engine.dispose()


@pytest.fixture
def pg_url():
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as error:  # no server, no driver, no rights
        pytest.skip(f"no PostgreSQL for the test: {type(error).__name__}")
    name = f"outbox_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
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


def test_two_workers_on_postgresql_send_each_message_exactly_once(pg_url):
    engine = make_engine(pg_url)
    upgrade_schema(engine)
    _fill(engine, 80)
    server = SmtpServer(delay=0.03).start()
    workers = [_worker(pg_url, server.port, "--once") for _ in range(2)]
    try:
        for worker in workers:
            assert worker.wait(120) == 0, worker.stdout.read().decode()
        ids = Counter(str(m["Message-ID"]) for m in server.accepted)
        assert len(ids) == 80 and set(ids.values()) == {1}
        assert statuses(engine) == Counter({"sent": 80})
        with engine.connect() as conn:
            by_worker = Counter(r[0] for r in conn.execute(sa.select(outbox_table.c.claimed_by)))
        assert len(by_worker) == 2, by_worker  # both took part
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.stop()
        engine.dispose()


def test_postgresql_claims_skip_rows_another_worker_holds(pg_url):
    engine = make_engine(pg_url)
    upgrade_schema(engine)
    _fill(engine, 6)
    outbox = Outbox(engine)
    first = outbox.claim("a", limit=4)
    second = outbox.claim("b", limit=4)
    assert len(first) == 4 and len(second) == 2
    assert not {m.id for m in first} & {m.id for m in second}
    engine.dispose()


def test_a_refused_address_is_dead_at_once_and_the_rest_share_one_connection(tmp_path):
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    _fill(engine, 3)
    with engine.begin() as conn:
        enqueue(
            conn,
            OutgoingMessage(
                kind="visitor_confirmation", recipient="nobody@refused.test", subject="s", body="b\n"
            ),
            datetime.now(timezone.utc),
        )
    _fill(engine, 2)
    server = SmtpServer().start()
    try:
        from practice.notifications.senders import SmtpSender
        from practice.notifications.settings import NotificationSettings, SmtpSettings
        from practice.notifications.worker import DeliveryWorker

        settings = NotificationSettings.from_clinic({"name": "P"}, env={})
        worker = DeliveryWorker(
            Outbox(engine), {"email": SmtpSender(SmtpSettings(port=server.port), settings)}
        )
        worker.run_until_idle()
        assert len(server.accepted) == 5 and len(server.recorder.sessions) == 1
        with engine.connect() as conn:
            dead = conn.execute(sa.select(outbox_table).where(outbox_table.c.status == "dead")).fetchall()
        assert [(r.recipient, r.attempts, r.last_error) for r in dead] == [
            ("nobody@refused.test", 1, "recipient refused")
        ]
    finally:
        server.stop()
        engine.dispose()
