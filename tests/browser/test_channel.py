"""The widget's server side without a browser: rasa_ext/channels/socketio_channel.py, live.

A python-socketio client speaks to the running assistant like the widget does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
import requests
import socketio

from tests.browser.conftest import ASSISTANT_URL, WEB_URL

FEEDBACK = f"{ASSISTANT_URL}/webhooks/socketio/feedback"


class SocketVisitor:
    def __init__(self, session_id: str | None = None) -> None:
        self.client = socketio.Client(reconnection=False)
        self.messages: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.session_id: str | None = None
        self.client.on("bot_uttered", self._on_bot)
        self.client.on("session_confirm", self._on_session)
        self.client.connect(ASSISTANT_URL, transports=["polling"], wait_timeout=10)
        self.client.emit("session_request", {"session_id": session_id})
        self._wait(lambda: self.session_id is not None, 10)

    def _on_bot(self, data: dict[str, Any]) -> None:
        with self.changed:
            self.messages.append(data)
            self.changed.notify_all()

    def _on_session(self, data: str) -> None:
        with self.changed:
            self.session_id = data
            self.changed.notify_all()

    def _wait(self, predicate, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def say(self, text: Any, session_id: str | None = None, timeout: float = 90) -> list[dict]:
        """Sends a message; returns the bot messages of the turn (up to its contract payload)."""
        start = len(self.messages)
        self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.session_id})
        self._wait(lambda: any("custom" in m for m in self.messages[start:]), timeout)
        time.sleep(0.3)  # anything after the payload in the same turn
        return self.messages[start:]

    def close(self) -> None:
        # abort: don't wait up to a ping interval for the pending long-poll to return
        self.client.eio.disconnect(abort=True)


@pytest.fixture
def visitor():
    v = SocketVisitor()
    yield v
    v.close()


def test_one_contract_payload_per_turn_tagged_with_the_turn(visitor: SocketVisitor):
    replies = visitor.say("what are the side effects of tms")
    customs = [m["custom"] for m in replies if "custom" in m]
    assert len(customs) == 1, replies
    assert customs[0]["topic"] == "tms.side_effects"
    assert customs[0]["sources"] and customs[0]["defer_to_clinician"] is True
    reply_to = {m.get("reply_to") for m in replies}
    assert len(reply_to) == 1 and len(reply_to.pop()) == 32
    text = " ".join(m.get("text") or "" for m in replies)
    for source in customs[0]["sources"]:
        assert source["url"] in text


@pytest.mark.parametrize(
    "message", ["", "   ", None, 42, "x" * 5000], ids=["empty", "blank", "none", "number", "too-long"]
)
def test_screened_messages_get_a_contract_reply(visitor: SocketVisitor, message: Any):
    replies = visitor.say(message, timeout=20)
    customs = [m["custom"] for m in replies if "custom" in m]
    assert len(customs) == 1, replies
    assert customs[0]["topic"] == "fallback"
    assert all(m.get("reply_to") is None for m in replies)  # Rasa never saw it: no feedback


def test_crisis_in_an_overlong_message_still_gets_the_crisis_reply(visitor: SocketVisitor):
    replies = visitor.say("I want to kill myself. " + "x" * 5000, timeout=20)
    customs = [m["custom"] for m in replies if "custom" in m]
    assert customs and customs[0]["topic"] == "safety.crisis"
    assert "988" in " ".join(m.get("text") or "" for m in replies)


def test_a_socket_only_speaks_for_its_own_session(visitor: SocketVisitor):
    other = uuid.uuid4().hex
    replies = visitor.say("hello", session_id=other, timeout=3)
    assert replies == []


def test_session_is_reused_when_well_formed_and_replaced_otherwise():
    wanted = uuid.uuid4().hex
    first = SocketVisitor(session_id=wanted)
    assert first.session_id == wanted
    first.close()
    bad = SocketVisitor(session_id="../../etc")
    assert bad.session_id != "../../etc" and len(bad.session_id) == 32
    bad.close()


def _engineio_connect(origin: str) -> str:
    """The socket.io CONNECT of the widget's first (polling) request, with an Origin header."""
    base = f"{ASSISTANT_URL}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": origin}
    handshake = requests.get(base, headers=headers, timeout=10)
    assert handshake.status_code == 200, handshake.text
    sid = json.loads(handshake.text[1:])["sid"]
    requests.post(f"{base}&sid={sid}", data="40", headers=headers, timeout=10)
    return requests.get(f"{base}&sid={sid}", headers=headers, timeout=10).text


def test_only_configured_origins_may_connect():
    assert _engineio_connect(WEB_URL).startswith("40")
    refused = _engineio_connect("https://evil.example")
    assert refused.startswith("44"), refused


def test_feedback_is_validated(visitor: SocketVisitor):
    replies = visitor.say("what is tms")
    reply_to = replies[-1]["reply_to"]
    good = {"session_id": visitor.session_id, "message_id": reply_to, "value": "up"}
    cases = [
        ({**good, "value": "meh"}, 400),
        ({**good, "message_id": "not-an-id"}, 400),
        ({**good, "session_id": 5}, 400),
        ({**good, "session_id": uuid.uuid4().hex}, 404),
        ({**good, "message_id": uuid.uuid4().hex}, 404),
        ([good], 400),
    ]
    for body, status in cases:
        response = requests.post(FEEDBACK, json=body, timeout=10)
        assert response.status_code == status, (body, response.text)
    assert (
        requests.post(
            FEEDBACK, data="{not json", timeout=10, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        requests.post(FEEDBACK, json=good, headers={"Origin": "https://evil.example"}, timeout=10).status_code
        == 403
    )
    stored = requests.post(FEEDBACK, json=good, headers={"Origin": WEB_URL}, timeout=10)
    assert stored.status_code == 200, stored.text
    assert stored.headers.get("Access-Control-Allow-Origin") == WEB_URL
