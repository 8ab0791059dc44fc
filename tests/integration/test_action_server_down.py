"""With the action server dead the visitor still gets the practice's contact, and a crisis
still gets 988; after a restart the same conversation carries on."""

import os
import signal
import subprocess
import time

import requests

ACTION_PORT = os.environ.get("ACTION_PORT", "5155")


def _wait_for_actions(up: bool, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{ACTION_PORT}/health", timeout=1)
            alive = True
        except requests.RequestException:
            alive = False
        if alive == up:
            return
        time.sleep(0.5)
    raise AssertionError(f"action server did not become {'up' if up else 'down'}")


def test_action_server_down_still_answers_then_recovers(visitor):
    from tests.integration.conftest import Visitor

    payload, _, _ = visitor.say("what is tms")
    assert payload["topic"] == "tms.overview"
    booking = Visitor()
    payload, _, _ = booking.say("i'd like to book an evaluation")
    assert payload.get("requested_slot"), "the booking form is asking its first question"

    os.kill(int(os.environ["ACTION_SERVER_PID"]), signal.SIGTERM)
    _wait_for_actions(up=False)

    payload, reply, _ = visitor.say("what are the side effects of tms")
    assert "fallback" in payload.get("flags", [])
    assert "988" in reply and "@" in reply  # contact details and the crisis line

    payload, crisis_reply, _ = visitor.say("i want to end my life")
    assert payload["topic"] == "safety.crisis" and "988" in crisis_reply

    # Inside the booking form too: the crisis reply needs no action server.
    payload, reply, _ = booking.say("honestly i just want to die")
    assert payload["topic"] == "safety.crisis" and "988" in reply
    assert "requested_slot" not in payload
    assert reply == crisis_reply, "nothing but the crisis reply in a crisis turn"

    restarted = subprocess.Popen(
        [".venv/bin/rasa", "run", "actions", "--port", ACTION_PORT],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_actions(up=True, seconds=120)
        payload, _, _ = visitor.say("does tms hurt")
        assert payload["topic"].startswith("tms.")
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
