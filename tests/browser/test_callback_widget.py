"""A call-back request made in the chat widget, in Chromium, against the running assistant
(actions/callback.py, knowledge/callback.yml): the visitor asks to talk to a person, accepts
the offer, answers each question through the widget and gets a CB- reference; the request is
then read back from the bookings database the test servers use (BOOKING_DB_URL) with the
clinic's notice in the outbox. Screenshots go to results/screenshots/callback-widget-*.png."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from practice.notifications import messages
from practice.notifications.callbacks import CallbackRequest, CallbackStore
from practice.notifications.tables import OPEN, outbox
from tests.browser.conftest import ROOT, Widget

SHOTS = ROOT / "results" / "screenshots"
REFERENCE = re.compile(r"\bCB-[A-HJ-NP-Z2-9]{6}\b")
NAME = "Lee Park"
PHONE_TYPED = "(503) 555-0123"
PHONE_STORED = "+15035550123"
BEST_TIME = "weekday mornings"


def bookings_engine() -> sa.engine.Engine:
    url = os.environ.get("BOOKING_DB_URL")
    if not url:
        pytest.fail("BOOKING_DB_URL is not set: run through scripts/test_servers.sh")
    return sa.create_engine(url)


def turn_text(turn) -> str:
    return " ".join(turn.locator(".tmsw-bot").all_inner_texts())


def click_quick_reply(widget: Widget, turn, title: str):
    """Clicks the turn's quick reply titled `title`; returns the bot turn that answers it."""
    before = widget.answered_turns().count()
    turn.locator(".tmsw-quick-reply", has_text=title).click()
    return widget.wait_for_turns(before + 1)


def shot(widget: Widget, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"callback-widget-{name}.png"
    widget.log.evaluate("log => { log.scrollTop = log.scrollHeight; }")
    widget.page.screenshot(path=str(path))
    return path


def clinic_notices(engine: sa.engine.Engine, reference: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox).where(outbox.c.request_reference == reference))
        return [dict(row._mapping) for row in rows]


def stored_request(engine: sa.engine.Engine, sender_id: str) -> CallbackRequest | None:
    return CallbackStore(engine).for_conversation_open(sender_id)


def test_callback_request_through_the_widget(widget: Widget):
    widget.goto().open()
    offer = widget.say("I'd like to talk to a person")
    assert offer.get_attribute("data-topic") == "handoff.human"
    assert "call-back request" in turn_text(offer)
    offer.locator(".tmsw-quick-reply", has_text="Yes, please contact me").wait_for()

    intro = click_quick_reply(widget, offer, "Yes, please contact me")
    assert "don't share health details" in turn_text(intro)
    assert "What's your name?" in turn_text(intro)
    assert offer.locator(".tmsw-quick-reply").count() == 0  # used buttons go away

    contact_question = widget.say(NAME)
    assert "Thanks, Lee" in turn_text(contact_question)
    assert "phone number or email" in turn_text(contact_question)

    invalid = widget.say("not a number")  # validated like the booking fields
    assert "doesn't look like a US phone number" in turn_text(invalid)
    time_question = widget.say(PHONE_TYPED, submit_with_enter=True)
    assert "good time to reach you" in turn_text(time_question)

    consent = widget.say(BEST_TIME)
    assert "may contact you at" in turn_text(consent)
    assert PHONE_TYPED in turn_text(consent)  # the contact is read back before consent
    consent.locator(".tmsw-quick-reply", has_text="Yes").first.wait_for()
    shot(widget, "consent")
    assert stored_request(bookings_engine(), widget.session_id()) is None  # nothing before consent

    done = click_quick_reply(widget, consent, "Yes")
    text = turn_text(done)
    assert "Your request is in" in text and BEST_TIME in text
    match = REFERENCE.search(text)
    assert match, text
    reference = match.group(0)
    shot(widget, "done")
    assert widget.csp_errors == []

    engine = bookings_engine()
    try:
        request = stored_request(engine, widget.session_id())
        assert request is not None, "no open call-back request stored for the widget's session"
        assert request.reference == reference
        assert (request.full_name, request.contact, request.best_time) == (NAME, PHONE_STORED, BEST_TIME)
        assert request.consent is True and request.status == OPEN
        notices = clinic_notices(engine, reference)
        assert [n["kind"] for n in notices] == [messages.CLINIC_CALLBACK]
        notice = notices[0]
        assert notice["subject"] == f"Call-back request {reference}"
        assert notice["sender_id"] == widget.session_id()
        assert "/callbacks" in notice["body"]
        # The clinic's email names only the reference: no name, contact or best time.
        for detail in (NAME, PHONE_STORED, BEST_TIME):
            assert detail not in notice["body"] and detail not in notice["subject"], detail
    finally:
        engine.dispose()
