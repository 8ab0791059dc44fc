"""The widget's socket.io channel (rasa_ext/channels/socketio_channel.py), without a server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from rasa_ext.channels.socketio_channel import (
    GuardedSocketIOInput,
    GuardedSocketIOOutput,
    _answered_turn,
    parse_origins,
)


class FakeSio:
    def __init__(self) -> None:
        self.emitted: list[dict[str, Any]] = []

    async def emit(self, event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        self.emitted.append({"event": event, "data": data, "room": room})


def test_origins_from_a_string_or_a_list():
    assert parse_origins("http://a:1 http://b:2/,http://c") == ["http://a:1", "http://b:2", "http://c"]
    assert parse_origins(["http://a/", " "]) == ["http://a"]
    assert parse_origins(None) == []


def test_origin_check(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:8080 http://127.0.0.1:8080")
    channel = GuardedSocketIOInput.from_credentials({"session_persistence": True})
    assert channel.session_persistence is True
    assert channel.origin_allowed("http://localhost:8080", "127.0.0.1:5005")
    assert channel.origin_allowed(None, "127.0.0.1:5005")  # not a browser
    assert channel.origin_allowed("http://127.0.0.1:5005", "127.0.0.1:5005")  # same origin
    assert not channel.origin_allowed("https://evil.example", "127.0.0.1:5005")
    assert not channel.origin_allowed("http://localhost:8080.evil.example", "127.0.0.1:5005")
    configured = GuardedSocketIOInput.from_credentials({"cors_allowed_origins": ["https://x.org"]})
    assert configured.origin_allowed("https://x.org", "h") and not configured.origin_allowed(
        "http://localhost:8080", "h"
    )


def test_output_sends_one_bubble_per_message_and_the_payload_as_custom():
    sio = FakeSio()
    output = GuardedSocketIOOutput(sio, "bot_uttered", reply_to="a" * 32)
    message = {
        "text": "Para one.\n\nPara two.",
        "buttons": [{"title": "Book", "payload": "/book"}],
        "custom": {"topic": "tms.candidates", "sources": []},
    }
    asyncio.run(output.send_response("session-1", message))
    assert [e["data"] for e in sio.emitted] == [
        {
            "text": "Para one.\n\nPara two.",
            "reply_to": "a" * 32,
            "quick_replies": [{"content_type": "text", "title": "Book", "payload": "/book"}],
        },
        {"custom": {"topic": "tms.candidates", "sources": []}, "reply_to": "a" * 32},
    ]
    assert {e["room"] for e in sio.emitted} == {"session-1"}
    assert {e["event"] for e in sio.emitted} == {"bot_uttered"}


def test_the_answered_turn_is_found_by_message_id():
    events = [
        UserUttered("hi", message_id="1" * 32, timestamp=1.0),
        ActionExecuted("utter_greet", timestamp=2.0),
        BotUttered("Hello", timestamp=3.0),
        UserUttered("side effects?", message_id="2" * 32, timestamp=4.0),
        BotUttered("Answer", data={"custom": {"topic": "tms.side_effects"}}, timestamp=5.0),
        SlotSet("last_topic", "tms.side_effects", timestamp=6.0),
        UserUttered("thanks", message_id="3" * 32, timestamp=7.0),
    ]
    assert _answered_turn(events, "2" * 32) == pytest.approx({"bot_ts": 5.0, "topic": "tms.side_effects"})
    assert _answered_turn(events, "1" * 32) == pytest.approx({"bot_ts": 3.0, "topic": None})
    assert _answered_turn(events, "f" * 32) is None
