"""Booking changes reach people: a real SMTP server (aiosmtpd) receives what the delivery
worker sends from the outbox the booking store wrote in each change's transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from practice.notifications.tables import outbox as outbox_table
from tests.conftest import BOOKING_NOW
from tests.unit.notification_fixtures import (
    CLINIC_ADDRESS,
    HEALTH_WORDS,
    event_of,
    invite_of,
    make_harness,
    utc,
)
from tests.unit.smtp_recorder import SmtpServer

VISITOR = "jane.doe@mail.test"
START = utc(2026, 12, 2, 17)  # Wednesday 9:00 AM in Portland (PST), 12:00 PM in New York
NEW_START = utc(2026, 12, 3, 18)  # Thursday 10:00 AM PST


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def harness(booking_clinic, booking_db_url, smtp):
    h = make_harness(booking_clinic, booking_db_url, smtp.port, BOOKING_NOW)
    yield h
    h.store.engine.dispose()


def book(harness, contact=VISITOR, state="NY", start=START, sender="conv-1"):
    return harness.store.book(
        full_name="Jane Doe", contact=contact, state=state, start_utc=start, sender_id=sender
    )


def rows(harness):
    with harness.store.engine.connect() as conn:
        return [r._mapping for r in conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id))]


def test_booking_sends_one_confirmation_with_a_valid_invite(harness, smtp):
    booking = book(harness)
    harness.deliver()
    to_visitor = smtp.recorder.to(VISITOR)
    assert len(to_visitor) == 1  # the reminder waits for its time
    mail = to_visitor[0]
    assert mail["From"].addresses[0].addr_spec == "appointments@clinic.test"
    assert "Synchronous Mental Health" in mail["Subject"] and "confirmed" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Wednesday 2 December 2026, 9:00 AM PST (the practice's time)" in body
    assert "Wednesday 2 December 2026, 12:00 PM EST (your time, NY)" in body
    assert booking.reference in body and "secure video link" in body and "photo ID" in body
    assert f"give your reference {booking.reference} and this email address" in body
    calendar = invite_of(mail)
    assert calendar is not None and str(calendar["METHOD"]) == "REQUEST"
    event = event_of(calendar)
    assert str(event["UID"]) == f"{booking.reference}@clinic.test"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].dt == START and event["DTEND"].dt == utc(2026, 12, 2, 18)
    assert event.get("DTSTAMP") is not None
    clinic = smtp.recorder.to(CLINIC_ADDRESS)
    assert len(clinic) == 1
    notice = clinic[0].get_body(("plain",)).get_content()
    assert booking.reference in clinic[0]["Subject"] and "New booking" in clinic[0]["Subject"]
    assert "https://console.clinic.test/bookings" in notice
    assert "Jane" not in notice and VISITOR not in notice  # details stay in the console
    assert {r["status"] for r in rows(harness)} == {"sent", "pending"}  # pending: the reminder


def test_a_retried_confirmation_sends_nothing_more(harness, smtp):
    book(harness)
    book(harness)  # the same conversation confirming again: same booking
    harness.deliver()
    assert len(smtp.recorder.to(VISITOR)) == 1 and len(smtp.recorder.to(CLINIC_ADDRESS)) == 1


def test_move_updates_the_same_uid_with_a_higher_sequence(harness, smtp):
    booking = book(harness)
    harness.deliver()
    harness.store.move(booking.reference, VISITOR, NEW_START)
    harness.deliver()
    first, moved = smtp.recorder.to(VISITOR)
    assert "moved" in moved["Subject"]
    body = moved.get_body(("plain",)).get_content()
    assert "Thursday 3 December 2026, 10:00 AM PST" in body
    assert "It was: Wednesday 2 December 2026, 9:00 AM PST" in body
    old, new = event_of(invite_of(first)), event_of(invite_of(moved))
    assert str(invite_of(moved)["METHOD"]) == "REQUEST"
    assert str(new["UID"]) == str(old["UID"])
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert new["DTSTART"].dt == NEW_START
    assert [m["Subject"].split(":")[0] for m in smtp.recorder.to(CLINIC_ADDRESS)] == [
        f"New booking {booking.reference}",
        f"Booking moved {booking.reference}",
    ]


def test_cancel_sends_the_notice_and_a_cancel_invite(harness, smtp):
    booking = book(harness)
    harness.store.move(booking.reference, VISITOR, NEW_START)
    harness.store.cancel(booking.reference, VISITOR)
    harness.deliver()
    mails = smtp.recorder.to(VISITOR)
    assert [m["Subject"].split(" is ")[-1].split(" has ")[-1].split(":")[0] for m in mails] == [
        "confirmed",
        "moved",
        "cancelled",
    ]
    sequences = [int(event_of(invite_of(m))["SEQUENCE"]) for m in mails]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    cancel = invite_of(mails[-1])
    assert str(cancel["METHOD"]) == "CANCEL"
    event = event_of(cancel)
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]).startswith(booking.reference)
    assert any("Booking cancelled" in m["Subject"] for m in smtp.recorder.to(CLINIC_ADDRESS))


def test_staff_cancelling_in_the_console_tells_the_visitor(harness, smtp):
    booking = book(harness)
    harness.store.set_status(booking.reference, "cancelled")
    harness.store.set_status(booking.reference, "cancelled")  # again: no second notice
    harness.deliver()
    assert [str(invite_of(m)["METHOD"]) for m in smtp.recorder.to(VISITOR)] == ["REQUEST", "CANCEL"]


def test_reminder_is_sent_once_24_hours_before(harness, smtp):
    book(harness)
    harness.deliver()
    harness.clock.now = utc(2026, 12, 1, 16, 59)  # 24 h 1 min before
    harness.deliver()
    assert len(smtp.recorder.to(VISITOR)) == 1
    harness.clock.now = utc(2026, 12, 1, 17, 0)
    harness.deliver()
    harness.clock.advance(hours=2)
    harness.deliver()
    mails = smtp.recorder.to(VISITOR)
    assert len(mails) == 2 and mails[1]["Subject"].startswith("Reminder: your appointment with")
    assert "Wednesday 2 December 2026, 9:00 AM PST" in mails[1].get_body(("plain",)).get_content()


def test_no_reminder_for_a_cancelled_booking(harness, smtp):
    booking = book(harness)
    harness.store.cancel(booking.reference, VISITOR)
    harness.clock.now = utc(2026, 12, 2, 12)
    harness.deliver()
    assert not any(m["Subject"].startswith("Reminder") for m in smtp.accepted)


def test_a_move_reschedules_the_reminder(harness, smtp):
    booking = book(harness)
    harness.store.move(booking.reference, VISITOR, NEW_START)
    harness.clock.now = utc(2026, 12, 1, 17, 30)  # the old reminder's time: nothing
    harness.deliver()
    assert not any(m["Subject"].startswith("Reminder") for m in smtp.accepted)
    harness.clock.now = utc(2026, 12, 2, 18)  # 24 h before the new time
    harness.deliver()
    reminders = [m for m in smtp.accepted if m["Subject"].startswith("Reminder")]
    assert len(reminders) == 1
    assert "Thursday 3 December 2026, 10:00 AM PST" in reminders[0].get_body(("plain",)).get_content()


def test_phone_only_visitor_gets_no_mail_and_the_clinic_is_told_to_call(harness, smtp):
    booking = book(harness, contact="+15035550111", state="OR")
    harness.clock.now = utc(2026, 12, 2, 12)
    harness.deliver()
    assert [str(m["To"]) for m in smtp.accepted] == [CLINIC_ADDRESS]
    body = smtp.accepted[0].get_body(("plain",)).get_content()
    assert "phone number only" in body and "please call" in body and booking.reference in body
    assert "+15035550111" not in body


def test_no_health_words_in_any_subject_or_body(harness, smtp):
    booking = book(harness)
    harness.store.move(booking.reference, VISITOR, NEW_START)
    harness.store.cancel(booking.reference, VISITOR)
    book(harness, contact="+15035550111", state="WA", sender="conv-2")
    book(harness, contact="sam@mail.test", state="OR", start=utc(2026, 12, 4, 17), sender="conv-3")
    harness.clock.now = utc(2026, 12, 4, 12)
    harness.deliver()
    assert len(smtp.accepted) >= 8
    for mail in smtp.accepted:
        subject = mail["Subject"].lower()
        body = mail.get_body(("plain",)).get_content().lower().replace("synchronous mental health", "")
        for word in HEALTH_WORDS:
            assert word not in subject, (word, subject)
            assert word not in body, (word, mail["Subject"])
        assert "mental health" not in subject.replace("synchronous mental health", "")


def test_a_failing_hook_rolls_the_booking_back(harness):
    def broken(conn, change, booking, previous):
        raise RuntimeError("outbox write failed")

    harness.store.on_change = broken
    with pytest.raises(RuntimeError):
        book(harness)
    assert harness.store.booked_starts(START, START) == set()


def test_deleting_or_purging_bookings_deletes_their_messages(harness, smtp):
    from practice.booking.store import BookingEraser

    eraser = BookingEraser(harness.store)
    first = book(harness)
    book(harness, contact="sam@mail.test", start=NEW_START, sender="conv-2")
    harness.deliver()
    assert {r["booking_reference"] for r in rows(harness)} >= {first.reference}
    assert eraser.for_contact(VISITOR) == 1
    assert first.reference not in {r["booking_reference"] for r in rows(harness)}
    assert len(rows(harness)) == 3  # the other booking's
    assert eraser.purge(utc(2027, 1, 1)) == 1
    assert rows(harness) == []


def test_the_outbox_purge_keeps_unsent_messages(harness, smtp):
    book(harness)
    harness.deliver()
    assert harness.outbox.purge(utc(2030, 1, 1)) == 2  # the two sent; the reminder waits
    assert [r["kind"] for r in rows(harness)] == ["visitor_reminder"]
    assert harness.outbox.delete_for_conversation("conv-1") == 1


def test_the_shipped_wording_has_no_health_words():
    from practice.notifications.settings import NotificationSettings

    settings = NotificationSettings.load()
    for text in (settings.video_note, settings.prepare_note):
        for word in HEALTH_WORDS:
            assert word not in text.lower()
