"""Faults injected into the running production profile:

1. the action server is killed mid-conversation: the visitor gets the graceful reply (contact
   details, 988); after a restart the same conversation carries on;
2. a Rasa instance is killed mid-booking: the other instance continues the booking at the same
   step (requested_slot from the PostgreSQL tracker store); the restarted instance finishes it;
3. PostgreSQL becomes unreachable for a few seconds (the proxy in front of it cuts every
   connection): clear replies, no 5xx, no crashed process, and it recovers by itself.
"""

import signal
import time
import uuid

import requests
import sqlalchemy as sa

from practice.knowledge.loader import knowledge_base
from tests.reliability.stack import FIGURES, INSTANCES, customs, text_of


class Visitor:
    def __init__(self, url, tag):
        self.url = url
        self.sender = f"{tag}-{uuid.uuid4().hex[:12]}"

    def say(self, text, url=None):
        response = requests.post(url or self.url, json={"sender": self.sender, "message": text}, timeout=120)
        assert response.status_code == 200, (response.status_code, response.text)
        replies = response.json()
        payloads = customs(replies)
        assert len(payloads) == 1, replies
        return payloads[0], text_of(replies), replies


def test_action_server_killed_mid_conversation(stack):
    visitor = Visitor(stack.webhook, "fault-actions")
    payload, _, _ = visitor.say("what is tms")
    assert payload["topic"] == "tms.overview"

    stack.kill("actions", signal.SIGKILL)
    FIGURES["faults_injected"] += 1
    payload, text, _ = visitor.say("what are the side effects of tms")
    assert "fallback" in payload.get("flags", []) and "988" in text and "@" in text
    payload, text, _ = visitor.say("i want to end my life")
    assert payload["topic"] == "safety.crisis" and "988" in text

    stack.start_part("actions")
    stack.wait_ready("actions", 180)
    payload, _, _ = visitor.say("does tms hurt")
    assert payload["topic"].startswith("tms."), payload
    turns = [e["text"] for e in stack.events(visitor.sender) if e.get("event") == "user"]
    assert turns == [
        "what is tms",
        "what are the side effects of tms",
        "i want to end my life",
        "does tms hurt",
    ]


def test_rasa_instance_killed_mid_booking(stack):
    visitor = Visitor(stack.webhook, "fault-rasa")
    payload, _, _ = visitor.say("I'd like to book an evaluation")
    assert payload.get("requested_slot") == "full_name"
    payload, _, _ = visitor.say("Morgan Ellis")
    payload, _, _ = visitor.say(f"morgan.{stack.run}@example.com")
    assert payload.get("requested_slot") == "state"

    started = time.monotonic()
    stack.kill("rasa1", signal.SIGKILL)  # a crash: no graceful shutdown
    FIGURES["faults_injected"] += 1
    # The surviving instance reads the conversation from PostgreSQL: same form, same step.
    assert stack.form_state(visitor.sender) == ("booking_form", "state")
    # Through the load balancer (which skips the dead instance) the booking goes on.
    payload, _, _ = visitor.say("Oregon")
    assert payload.get("requested_slot") == "adult", payload

    stack.start_part("rasa1")
    stack.wait_ready("rasa1", 300)
    FIGURES["rasa_restart_seconds"] = round(time.monotonic() - started, 1)
    # The restarted instance, asked directly, resumes at the step the tracker store holds.
    direct = f"{stack.instance(1)}/webhooks/rest/webhook"
    payload, _, replies = visitor.say("yes", url=direct)
    assert payload.get("requested_slot") == "appointment_time", payload
    times = [
        b["payload"]
        for r in replies
        for b in (r.get("buttons") or [])
        if "appointment_time" in b["payload"] and '"more"' not in b["payload"]
    ]
    payload, _, _ = visitor.say(times[0], url=direct)
    assert payload.get("requested_slot") == "consent"
    payload, _, _ = visitor.say("yes", url=direct)
    assert payload.get("requested_slot") == "confirm"
    payload, _, _ = visitor.say("yes", url=direct)
    reference = payload.get("booking", {}).get("reference")
    assert reference, payload
    with stack.engine.connect() as conn:
        row = conn.execute(
            sa.text("select sender_id, status from bookings where reference = :r"), {"r": reference}
        ).first()
    assert row is not None and row.sender_id == visitor.sender and row.status == "booked"


def test_postgresql_unavailable_for_a_few_seconds(stack):
    unavailable = knowledge_base().phrases["unavailable"]
    visitor = Visitor(stack.webhook, "fault-db")
    payload, _, _ = visitor.say("what is tms")
    assert payload["topic"] == "tms.overview"

    stack.cut_database()
    FIGURES["faults_injected"] += 1
    cut_at = time.monotonic()
    outage_replies = 0
    answered = ["what is tms"]
    while time.monotonic() - cut_at < 5:
        started = time.monotonic()
        payload, text, _ = visitor.say("does tms hurt")  # status 200 and one payload: asserted
        assert unavailable in text and "fallback" in payload.get("flags", []), text
        assert time.monotonic() - started < 30, "a visitor waited too long for the error reply"
        outage_replies += 1
        time.sleep(0.5)  # a visitor's pace (30 messages a minute is the rate limit)
    # A crisis during the outage still gets the crisis resources.
    payload, text, _ = visitor.say("i want to kill myself")
    assert payload["topic"] == "safety.crisis" and "988" in text
    stack.restore_database()

    # Recovers by itself: pooled connections that died are replaced on the next attempts.
    deadline, recovered_after = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        payload, text, _ = visitor.say("does tms hurt")
        if unavailable not in text:
            recovered_after = round(time.monotonic() - cut_at, 1)
            answered.append("does tms hurt")
            break
        time.sleep(1)
    assert recovered_after is not None, "no recovery within 60 s of PostgreSQL coming back"
    assert payload["topic"].startswith("tms.")
    for name in ["actions", "lb"] + [f"rasa{i}" for i in range(1, INSTANCES + 1)]:
        assert stack.alive(name), f"{name} crashed during the database outage"
    # Every instance is back to normal (the load balancer alternates between them).
    for _ in range(2 * INSTANCES):
        payload, text, _ = visitor.say("is tms safe")
        assert unavailable not in text
        answered.append("is tms safe")
    # The stored conversation is exactly the answered turns: nothing from the outage half-stored,
    # nothing answered out of context from an empty tracker.
    stored = [e["text"] for e in stack.events(visitor.sender) if e.get("event") == "user"]
    assert stored == answered, stored
    FIGURES["db_outage_replies_during_cut"] = outage_replies
    FIGURES["db_outage_recovered_after_seconds"] = recovered_after
