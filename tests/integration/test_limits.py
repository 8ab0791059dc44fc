"""Limits that a client cannot step around by choosing its own ids, against the running server:
rotating the REST `sender` is still held per address; feedback is rate-limited like messages;
bookings are capped per contact and per client address (clinic.yml `booking_limits`).

All test traffic comes from 127.0.0.1, which the server trusts as a proxy, so each test names
a client address of its own in X-Forwarded-For (TEST-NET addresses)."""

import os
import random
import time
import uuid

import requests

from practice.booking.store import BookingLimits
from practice.knowledge.loader import knowledge_base
from tests.integration.conftest import ASSISTANT_URL, WEBHOOK

FEEDBACK = f"{ASSISTANT_URL}/webhooks/socketio/feedback"


def _address() -> str:
    return (
        f"198.51.100.{random.randint(1, 254)}"
        if random.random() < 0.5
        else f"203.0.113.{random.randint(1, 254)}"
    )


def _same_window(needed: float) -> None:
    """Wait so that the next `needed` seconds fall inside one 60-second rate-limit window."""
    if time.time() % 60 > 60 - needed:
        time.sleep(61 - time.time() % 60)


def _say(sender: str, text: str, address: str) -> requests.Response:
    return requests.post(
        WEBHOOK, json={"sender": sender, "message": text}, headers={"X-Forwarded-For": address}, timeout=60
    )


def test_rotating_the_sender_is_still_limited_per_address():
    limit = int(os.environ.get("RATE_LIMIT_IP_PER_MINUTE", "120"))
    address = _address()
    session = requests.Session()
    _same_window(30)
    statuses = []
    for _ in range(limit + 1):  # blank messages: answered without running Rasa
        statuses.append(
            session.post(
                WEBHOOK,
                json={"sender": f"rot-{uuid.uuid4().hex}", "message": "   "},
                headers={"X-Forwarded-For": address},
                timeout=30,
            ).status_code
        )
    assert statuses[:limit] == [200] * limit
    assert statuses[-1] == 429
    # Another address is not affected.
    assert _say(f"other-{uuid.uuid4().hex}", "   ", "192.0.2.77").status_code == 200


def test_feedback_is_rate_limited_per_session_and_per_address():
    session_id = uuid.uuid4().hex
    address = _address()
    _same_window(20)
    statuses = [
        requests.post(
            FEEDBACK,
            json={"session_id": session_id, "message_id": uuid.uuid4().hex, "value": "up"},
            headers={"X-Forwarded-For": address},
            timeout=30,
        ).status_code
        for _ in range(31)
    ]
    # Unknown messages are 404 until the per-session limit (30 a minute) is reached.
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    # Rotating the session id from one address is held by the address limit.
    limit = int(os.environ.get("RATE_LIMIT_IP_PER_MINUTE", "120"))
    flood = requests.Session()
    rotated = [
        flood.post(
            FEEDBACK,
            json={"session_id": uuid.uuid4().hex, "message_id": uuid.uuid4().hex, "value": "down"},
            headers={"X-Forwarded-For": address},
            timeout=30,
        ).status_code
        for _ in range(limit)
    ]
    assert rotated[-1] == 429 and set(rotated) <= {404, 429}


def _book(contact: str, address: str) -> str:
    """A whole booking conversation from `address`; returns the last reply's text."""
    sender = f"cap-{uuid.uuid4().hex[:12]}"

    def say(text):
        response = _say(sender, text, address)
        assert response.status_code == 200, response.text
        replies = response.json()
        return replies, " ".join(r.get("text") or "" for r in replies)

    say("I'd like to book an evaluation")
    say("Morgan Ellis")
    say(contact)
    say("Oregon")
    replies, _ = say("yes")  # adult
    times = [
        b["payload"]
        for r in replies
        for b in (r.get("buttons") or [])
        if "appointment_time" in b["payload"] and '"more"' not in b["payload"]
    ]
    assert times, replies
    say(times[0])
    say("yes")  # consent
    _, text = say("yes")  # confirm
    return text


def test_bookings_are_capped_per_address_and_per_contact():
    limits = BookingLimits.from_clinic(knowledge_base().clinic)
    address = _address()
    run = uuid.uuid4().hex[:8]
    for i in range(limits.per_address_per_day):
        text = _book(f"cap{i}.{run}@example.com", address)
        assert "EV-" in text, text
    text = _book(f"cap-extra.{run}@example.com", address)
    assert "EV-" not in text and "from this connection today" in text, text
    # From elsewhere, a contact that already holds its upcoming booking(s) books no more.
    if limits.upcoming_per_contact == 1:
        text = _book(f"cap0.{run}@example.com", "192.0.2.200")
        assert "EV-" not in text and "already has an upcoming evaluation" in text, text
