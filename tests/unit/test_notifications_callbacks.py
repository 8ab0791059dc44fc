"""Call-back requests: stored with the clinic's notice in one transaction, the notice delivered
over real SMTP without name, contact or what the visitor typed; done marks; retention."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from practice.notifications.callbacks import CallbackStore
from practice.notifications.tables import outbox as outbox_table
from tests.conftest import BOOKING_NOW
from tests.unit.notification_fixtures import CLINIC_ADDRESS, HEALTH_WORDS, make_harness, utc
from tests.unit.smtp_recorder import SmtpServer


@pytest.fixture
def setup(booking_clinic, booking_db_url):
    server = SmtpServer().start()
    harness = make_harness(booking_clinic, booking_db_url, server.port, BOOKING_NOW)
    store = CallbackStore(harness.store.engine, harness.settings, harness.clock)
    yield harness, store, server
    server.stop()
    harness.store.engine.dispose()


def test_a_request_notifies_the_clinic_once_without_details(setup):
    harness, store, server = setup
    request = store.create(
        full_name="Jane Doe",
        contact="+15035550111",
        best_time="weekday mornings after my depression group",
        consent=True,
        sender_id="conv-9",
    )
    assert request.reference.startswith("CB-") and store.for_conversation_open("conv-9") == request
    harness.deliver()
    harness.deliver()
    assert [str(m["To"]) for m in server.accepted] == [CLINIC_ADDRESS]
    mail = server.accepted[0]
    body = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == f"Call-back request {request.reference}"
    assert "by phone" in body and "https://console.clinic.test/callbacks" in body
    for secret in ("Jane", "555", "morning"):
        assert secret not in body
    for word in HEALTH_WORDS:
        assert word not in body.lower() and word not in mail["Subject"].lower()


def test_no_request_without_consent(setup):
    _, store, _ = setup
    with pytest.raises(ValueError):
        store.create(
            full_name="Jane Doe", contact="jane@mail.test", best_time="any", consent=False, sender_id="conv-9"
        )
    assert store.list() == []


def test_staff_mark_requests_done(setup):
    harness, store, _ = setup
    request = store.create(
        full_name="Jane Doe",
        contact="jane@mail.test",
        best_time="  any \n time ",
        consent=True,
        sender_id="conv-9",
    )
    assert store.list("open")[0].best_time == "any time"
    assert store.mark_done(request.reference.lower(), "sam")
    assert not store.mark_done(request.reference, "sam")
    done = store.list("done")[0]
    assert done.done_by == "sam" and done.done_at == BOOKING_NOW
    assert store.for_conversation_open("conv-9") is None


def test_requests_and_their_notices_follow_retention(setup):
    harness, store, _ = setup
    store.create(full_name="A", contact="a@mail.test", best_time="x", consent=True, sender_id="c1")
    store.create(full_name="B", contact="b@mail.test", best_time="x", consent=True, sender_id="c2")
    store.create(full_name="C", contact="c@mail.test", best_time="x", consent=True, sender_id="c3")
    assert store.delete_for_conversation("c1") == 1
    assert store.delete_for_contact("b@mail.test") == 1
    with harness.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 1
    assert store.purge(utc(2026, 11, 30)) == 0 and store.purge(utc(2026, 12, 1)) == 1
    assert store.list() == []
