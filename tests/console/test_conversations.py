"""The conversation list, its filters and the transcript, over a tracker DB written by Rasa's
SQLTrackerStore from real Event objects (tests/console/rasa_events.py)."""

import datetime as dt
import re
import time

import pytest

from tests.console.conftest import Console

ALL = [
    "conv-crisis",
    "conv-handoff",
    "conv-booking",
    "conv-lowconf",
    "conv-fallback",
    "conv-side-effects",
    "conv-old",
]  # newest first


def test_newest_first(shared_staff):
    assert shared_staff.senders() == ALL


@pytest.mark.parametrize(
    "query,expected",
    [
        ("crisis=1", ["conv-crisis"]),
        ("fallback=1", ["conv-fallback"]),
        ("handoff=1", ["conv-handoff"]),
        ("booking_made=1", ["conv-booking"]),
        ("negative_feedback=1", ["conv-fallback"]),
        ("topic=tms.side_effects", ["conv-side-effects"]),
        ("topic=meds.specific", ["conv-old"]),
        ("intent=tms_candidates", ["conv-lowconf"]),
        ("intent=inform", ["conv-booking"]),
        ("confidence_below=0.5", ["conv-lowconf", "conv-fallback"]),
        ("confidence_below=0.7", ["conv-booking", "conv-lowconf", "conv-fallback"]),
        ("q=WEATHER", ["conv-fallback"]),
        ("q=wellbutrin", ["conv-old"]),
        ("q=100%25", []),
        ("crisis=1&fallback=1", []),
        ("topic=booking.evaluation&booking_made=1&confidence_below=0.7", ["conv-booking"]),
    ],
)
def test_filters(shared_staff, query, expected):
    assert shared_staff.senders(query) == expected


def test_date_range(shared_staff):
    today = dt.date.today()
    recent = shared_staff.senders(f"date_from={today - dt.timedelta(days=1)}")
    assert "conv-old" not in recent and "conv-side-effects" not in recent
    assert "conv-crisis" in recent or "conv-crisis" in shared_staff.senders(
        f"date_from={today - dt.timedelta(days=2)}"
    )
    old_day = dt.date.fromtimestamp(time.time() - 400 * 86400)
    assert shared_staff.senders(
        f"date_from={old_day - dt.timedelta(days=1)}&date_to={old_day + dt.timedelta(days=1)}"
    ) == ["conv-old"]


def test_reviewed_filter(staff):
    assert staff.post("/review", {"sender": "conv-handoff", "action": "mark"}).status_code == 200
    assert staff.senders("reviewed=yes") == ["conv-handoff"]
    assert "conv-handoff" not in staff.senders("reviewed=no")
    assert len(staff.senders("reviewed=no")) == len(ALL) - 1
    assert "yes, by alice" in staff.get("/transcript?sender=conv-handoff").text
    staff.post("/review", {"sender": "conv-handoff", "action": "unmark"})
    assert staff.senders("reviewed=yes") == []


def test_pagination(filled_db):
    server = Console(filled_db, CONSOLE_PAGE_SIZE="3")
    try:
        server.login()
        pages = [server.senders(f"page={n}") for n in (1, 2, 3)]
        assert pages == [ALL[:3], ALL[3:6], ALL[6:]]
        assert "Page 1 of 3" in server.get("/conversations").text
        # Filters survive paging.
        assert server.senders("confidence_below=0.7&page=1") == ALL[2:5]
    finally:
        server.stop()


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_transcript_masks_contact_details(shared_staff):
    page = shared_staff.get("/transcript?sender=conv-side-effects").text
    assert "jane.doe@example.com" not in page
    assert "my email is [email hidden], does tms hurt?" in visible_text(page)
    booking = shared_staff.get("/transcript?sender=conv-booking").text
    for secret in ("971-555-0199", "9715550199", "Jane Doe"):
        assert secret not in booking
    assert "[hidden]" in booking
    # The list's first message is masked too, and so is the annotation pending list later on.
    assert "jane.doe@example.com" not in shared_staff.get("/conversations").text
    # The practice's own published number (clinic.yml) is not personal data: it stays.
    handoff = shared_staff.get("/transcript?sender=conv-handoff").text
    assert "(503) 555-0142" in handoff and "care@example.com" in handoff


def test_transcript_shows_nlu_and_payload(shared_staff):
    text = visible_text(shared_staff.get("/transcript?sender=conv-side-effects").text)
    assert "intent: tms_side_effects" in text and "confidence: 0.91" in text
    assert "topic: tms.side_effects" in text and "Mayo Clinic" in text
    old = visible_text(shared_staff.get("/transcript?sender=conv-old").text)
    assert "medication=bupropion" in old and "medications: bupropion" in old
    crisis = shared_staff.get("/transcript?sender=conv-crisis").text
    assert 'class="turn bot flagged crisis"' in crisis and 'class="flag crisis"' in crisis
    fallback = shared_staff.get("/transcript?sender=conv-fallback").text
    assert 'class="turn user flagged"' in fallback  # nlu_fallback prediction
    assert 'flag negative">negative feedback' in fallback  # the thumbs-down, on that reply
    booking = visible_text(shared_staff.get("/transcript?sender=conv-booking").text)
    assert "asks for: contact" in booking and "booking EV-" in booking


def test_unknown_transcript(shared_staff):
    response = shared_staff.get("/transcript?sender=nobody")
    assert response.status_code == 404


def test_output_is_escaped(tmp_path):
    from tests.console import rasa_events
    from tests.console.conftest import create_user

    chat = rasa_events.Chat("conv-xss", time.time() - 60)
    chat.user('<script>alert(1)</script> "><img src=x onerror=alert(2)>', "out_of_scope", 0.5).bot(
        "<b>bold</b>", rasa_events.answer("fallback", (), flags=["fallback"])
    )
    db_path = tmp_path / "assistant.db"
    rasa_events.write(str(db_path), [chat])
    create_user(db_path)
    server = Console(db_path)
    try:
        server.login()
        for path in ("/conversations", "/transcript?sender=conv-xss", "/conversations?q=%3Cscript"):
            page = server.get(path).text
            assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in server.get("/transcript?sender=conv-xss").text
    finally:
        server.stop()


def test_no_personal_data_in_the_server_log(staff):
    for path in (
        "/conversations?q=jane.doe%40example.com",
        "/transcript?sender=conv-booking",
        "/transcript?sender=conv-side-effects",
        "/bookings",
        "/charts",
        "/nope",
    ):
        staff.get(path)
    staff.post("/login", {"username": "jane.doe@example.com", "password": "x" * 12})
    staff.log.flush()
    log = (staff.db_path.parent / f"console-{staff.port}.log").read_text()
    for secret in ("jane", "Jane", "971", "555", "does tms hurt", "weather"):
        assert secret not in log, secret
