"""The console's outbox and local-mail pages (console/blueprints/notifications/pages.py), served for real: messages a
booking wrote, delivered by the worker to the local SMTP sink, listed and shown; a dead one
sent again; reviewers kept out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from practice.booking.store import BookingStore
from practice.notifications.mail_sink import start_sink
from practice.notifications.outbox import Outbox
from practice.notifications.senders import SmtpSender
from practice.notifications.settings import NotificationSettings, SmtpSettings
from practice.notifications.tables import outbox as outbox_table
from practice.notifications.worker import DeliveryWorker
from tests.console.conftest import PASSWORD, Console, create_user
from tests.unit.smtp_recorder import free_port


@pytest.fixture
def mail_console(tmp_path):
    db_path = tmp_path / "assistant.db"
    mail_dir = tmp_path / "mail"
    create_user(db_path)
    create_user(db_path, name="rita", role="reviewer")
    store = BookingStore(f"sqlite:///{db_path}")
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    booking = store.book(
        full_name="Jane Doe", contact="jane@mail.test", state="WA", start_utc=start, sender_id="conv-1"
    )
    port = free_port()
    sink = start_sink(mail_dir, port=port)
    settings = NotificationSettings.load()
    outbox = Outbox(store.engine, max_attempts=1)
    worker = DeliveryWorker(outbox, {"email": SmtpSender(SmtpSettings(port=port), settings)})
    worker.run_until_idle()
    sink.stop()
    # One more message, to an address nothing accepts: dead at once (max_attempts 1).
    store.cancel(booking.reference, "jane@mail.test")
    dead_worker = DeliveryWorker(outbox, {"email": SmtpSender(SmtpSettings(port=free_port()), settings)})
    dead_worker.run_until_idle()
    server = Console(db_path, MAIL_SINK_DIR=str(mail_dir))
    yield server, booking, store, worker
    server.stop()
    store.engine.dispose()


def test_outbox_and_mail_pages(mail_console):
    server, booking, store, worker = mail_console
    assert server.login().status_code == 302
    sent = server.get("/outbox?view=sent").text
    assert sent.count('data-id="') == 2  # confirmation and the clinic's notice
    assert "jane@mail.test" in sent and "is confirmed" in sent
    assert "visitor_reminder" in server.get("/outbox?view=cancelled").text  # the booking was cancelled
    dead = server.get("/outbox?view=dead").text
    assert dead.count('data-id="') == 2 and "cannot reach the SMTP server" in dead
    message_id = re.search(r'data-id="(\d+)"', dead).group(1)
    page = server.get(f"/outbox/{message_id}").text
    assert "METHOD:CANCEL" in page or booking.reference in page
    response = server.post("/outbox/retry", {"id": message_id}, allow_redirects=False)
    assert response.status_code == 302 and "outbox_retried" in response.headers["location"]
    with store.engine.connect() as conn:
        status = conn.execute(
            sa.select(outbox_table.c.status).where(outbox_table.c.id == int(message_id))
        ).scalar()
    assert status == "pending"
    mail = server.get("/mail").text
    names = re.findall(r'href="/mail/([^"]+\.eml)"', mail)
    assert len(set(names)) == 2 and "is confirmed" in mail
    shown = "".join(server.get(f"/mail/{name}").text for name in set(names))
    assert "BEGIN:VCALENDAR" in shown and booking.reference in shown
    assert server.get("/mail/..%2F..%2Fetc%2Fpasswd").status_code == 404
    audit = server.get("/audit?action=outbox_retry").text
    assert message_id in audit


def test_reviewers_do_not_see_the_outbox(mail_console):
    server = mail_console[0]
    assert server.login("rita", PASSWORD).status_code == 302
    assert server.get("/outbox", allow_redirects=False).status_code == 403
    assert server.get("/mail", allow_redirects=False).status_code == 403
    assert "Outbox &amp; mail" not in server.get("/charts").text


def test_callback_requests_page(mail_console):
    from practice.notifications.callbacks import CallbackStore

    server, _, store, _ = mail_console
    requests_store = CallbackStore(store.engine)
    request = requests_store.create(
        full_name="Lee Park", contact="+15035550123", best_time="after 3 pm", consent=True, sender_id="conv-7"
    )
    assert server.login().status_code == 302
    page = server.get("/callbacks").text
    assert request.reference in page and "Lee Park" in page and "after 3 pm" in page
    response = server.post("/callbacks/done", {"reference": request.reference}, allow_redirects=False)
    assert response.status_code == 302 and "callback_done" in response.headers["location"]
    assert request.reference not in server.get("/callbacks").text
    assert request.reference in server.get("/callbacks?status=done").text
    assert request.reference in server.get("/audit?action=callback_done").text
    server.post("/logout", {})
    assert server.login("rita", PASSWORD).status_code == 302
    assert server.get("/callbacks", allow_redirects=False).status_code == 403
