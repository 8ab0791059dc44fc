"""Deleting a conversation on request and the retention purge: from the console and the CLI,
against events written by Rasa's SQLTrackerStore; Rasa itself then finds nothing left."""

import asyncio
import sqlite3
import subprocess
import sys
import time

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from tests.console.conftest import ROOT, console_env


def counts(db_path):
    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("select sender_id, count(*) from events group by sender_id"))


def rasa_sees(db_path, sender):
    async def retrieve():
        store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db_path))
        return await store.retrieve_full_tracker(sender)

    tracker = asyncio.run(retrieve())
    return tracker is not None and len(tracker.events) > 0


def audit_rows(db_path):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "select actor, action, target, details from console_audit_log order by id"
        ).fetchall()


def test_delete_conversation_removes_every_event(staff):
    before = counts(staff.db_path)
    event_id = (
        __import__("re").search(r'id="m(\d+)"', staff.get("/transcript?sender=conv-booking").text).group(1)
    )
    staff.post("/annotate", {"sender": "conv-booking", "event_id": event_id, "intent": "inform"})
    staff.post("/review", {"sender": "conv-booking", "action": "mark"})
    # Without the confirmation box nothing happens.
    refused = staff.post("/delete", {"sender": "conv-booking"}, allow_redirects=False)
    assert "done=confirm" in refused.headers["Location"]
    assert counts(staff.db_path) == before
    response = staff.post(
        "/delete",
        {"sender": "conv-booking", "confirm": "yes", "reason": "visitor emailed 2026-11-20"},
        allow_redirects=False,
    )
    assert response.status_code == 302 and "done=deleted" in response.headers["Location"]
    after = counts(staff.db_path)
    assert "conv-booking" not in after
    assert after == {k: v for k, v in before.items() if k != "conv-booking"}
    assert not rasa_sees(staff.db_path, "conv-booking")
    with sqlite3.connect(staff.db_path) as conn:
        for table in ("console_annotations", "console_reviews", "console_conversations"):
            assert (
                conn.execute(f"select count(*) from {table} where sender_id='conv-booking'").fetchone()[0]
                == 0
            ), table
    assert "conv-booking" not in staff.senders()
    assert staff.get("/transcript?sender=conv-booking").status_code == 404
    actor, action, target, details = audit_rows(staff.db_path)[-1]
    assert (actor, action, target) == ("alice", "delete_conversation", "conv-booking")
    assert f'"events": {before["conv-booking"]}' in details


def test_purge_from_console_removes_only_old_events(staff):
    before = counts(staff.db_path)
    assert "conv-old" in before
    page = staff.get("/retention").text
    assert 'value="365"' in page  # clinic.yml privacy.retention_days
    assert (
        "done=confirm"
        in staff.post("/retention/purge", {"days": "365"}, allow_redirects=False).headers["Location"]
    )
    assert counts(staff.db_path) == before
    staff.post("/retention/purge", {"days": "365", "confirm": "yes"})
    after = counts(staff.db_path)
    assert after == {k: v for k, v in before.items() if k != "conv-old"}
    assert not rasa_sees(staff.db_path, "conv-old") and rasa_sees(staff.db_path, "conv-crisis")
    assert "conv-old" not in staff.senders()
    actor, action, _, details = audit_rows(staff.db_path)[-1]
    assert (actor, action) == ("alice", "retention_purge")
    assert f'"events": {before["conv-old"]}' in details
    # A shorter period reaches newer events: with 1 day, nothing older than a day is left,
    # and the conversations of the last hours are untouched.
    staff.post("/retention/purge", {"days": "1", "confirm": "yes"})
    remaining = counts(staff.db_path)
    assert "conv-side-effects" not in remaining
    for sender in ("conv-crisis", "conv-handoff", "conv-booking", "conv-lowconf"):
        assert remaining[sender] == before[sender]
    with sqlite3.connect(staff.db_path) as conn:
        oldest = conn.execute("select min(timestamp) from events").fetchone()[0]
    assert oldest >= time.time() - 86400 - 60


def test_purge_and_delete_from_the_cli(filled_db):
    env = console_env(filled_db)
    dry = subprocess.run(
        [sys.executable, "-m", "console.cli", "purge", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    n_old = counts(filled_db)["conv-old"]
    assert f"{n_old} events older than 365 days would be deleted" in dry.stdout
    assert "conv-old" in counts(filled_db)
    run = subprocess.run(
        [sys.executable, "-m", "console.cli", "purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"deleted {n_old} events" in run.stdout
    assert "conv-old" not in counts(filled_db) and len(counts(filled_db)) == 6
    subprocess.run(
        [sys.executable, "-m", "console.cli", "delete-conversation", "conv-crisis"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "conv-crisis" not in counts(filled_db)
    actions = [(a, act) for a, act, _, _ in audit_rows(filled_db)]
    assert actions[-2][1] == "retention_purge" and actions[-1][1] == "delete_conversation"
    assert actions[-1][0].startswith("cli:")


def booking_senders(db_path):
    with sqlite3.connect(db_path) as conn:
        return sorted(r[0] for r in conn.execute("select sender_id from bookings"))


def test_deleting_a_conversation_deletes_its_bookings(staff):
    assert booking_senders(staff.db_path) == ["conv-booking", "conv-other"]
    staff.post("/delete", {"sender": "conv-booking", "confirm": "yes"})
    assert booking_senders(staff.db_path) == ["conv-other"]
    _, action, _, details = audit_rows(staff.db_path)[-1]
    assert action == "delete_conversation" and '"bookings": 1' in details


def test_purge_removes_bookings_whose_appointment_is_past_retention(filled_db):
    from datetime import datetime, timedelta, timezone

    from practice.booking.store import BookingStore

    store = BookingStore(f"sqlite:///{filled_db}")
    long_ago = (datetime.now(timezone.utc) - timedelta(days=400)).replace(minute=0, second=0, microsecond=0)
    store.book(
        full_name="Old Patient",
        contact="old@example.com",
        state="OR",
        start_utc=long_ago,
        sender_id="conv-ancient",
    )
    store.engine.dispose()
    run = subprocess.run(
        [sys.executable, "-m", "console.cli", "purge"],
        cwd=ROOT,
        env=console_env(filled_db),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1 bookings" in run.stdout
    # Upcoming appointments stay; the one 400 days ago (retention 365) is gone.
    assert booking_senders(filled_db) == ["conv-booking", "conv-other"]
    with sqlite3.connect(filled_db) as conn:
        assert (
            conn.execute("select count(*) from bookings where full_name = 'Old Patient'").fetchone()[0] == 0
        )


def test_a_person_can_have_their_bookings_deleted_by_contact_or_reference(filled_db):
    env = console_env(filled_db)
    with sqlite3.connect(filled_db) as conn:
        (sam_reference,) = conn.execute(
            "select reference from bookings where sender_id='conv-other'"
        ).fetchone()
    # Written as the person gives it: normalised to what was stored (+19715550199).
    by_contact = subprocess.run(
        [sys.executable, "-m", "console.cli", "delete-bookings", "--contact", "(971) 555-0199"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "deleted 1 bookings" in by_contact.stdout
    assert booking_senders(filled_db) == ["conv-other"]
    subprocess.run(
        [sys.executable, "-m", "console.cli", "delete-bookings", "--reference", sam_reference.lower()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert booking_senders(filled_db) == []
    bad = subprocess.run(
        [sys.executable, "-m", "console.cli", "delete-bookings", "--contact", "not a contact"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "email address or US phone number" in bad.stderr
    rows = audit_rows(filled_db)
    assert [r[1] for r in rows[-2:]] == ["delete_bookings", "delete_bookings"]
    assert all("971" not in str(r) and "555" not in str(r) for r in rows)


def test_the_list_masks_the_visitors_own_name_and_contact(filled_db):
    from tests.console import rasa_events
    from tests.console.conftest import Console

    chat = rasa_events.Chat("conv-named", time.time() - 600)
    chat.user("this is Robin Quillfeather, please ring me", "inform", 0.4).slot(
        "full_name", "Robin Quillfeather"
    ).bot("Thanks.", rasa_events.answer("booking.evaluation", ()))
    rasa_events.write(str(filled_db), [chat])
    server = Console(filled_db)
    try:
        assert server.login().status_code == 302
        page = server.get("/conversations").text
        assert "conv-named" in page and "please ring me" in page
        assert "Quillfeather" not in page
    finally:
        server.stop()
