"""The channels' screening (practice/message_guard.py) costs a bounded amount per message,
runs the crisis screen once per message, and still finds crisis language in an over-long one."""

import asyncio
import time
from types import SimpleNamespace

import pytest

from practice import message_guard
from practice.safety.crisis_detector import detect as real_detect
from rasa_ext.channels.socketio_channel import GuardedSocketIOInput

CRISIS = "i want to kill myself"


@pytest.fixture
def screenings(monkeypatch):
    """How often a message is screened (the real screen, counted)."""
    calls = []
    real = message_guard.crisis_kind

    def counting(text):
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(message_guard, "crisis_kind", counting)
    return calls


@pytest.fixture
def detect_calls(monkeypatch):
    """The real detector, with the length of every text it is given recorded."""
    calls = []

    def recording(text, *args, **kwargs):
        calls.append(len(text))
        return real_detect(text, *args, **kwargs)

    monkeypatch.setattr(message_guard, "detect", recording)
    return calls


@pytest.mark.parametrize("size", [1_000_000, 10_000_000])
def test_screening_a_huge_message_reads_a_bounded_part(detect_calls, size):
    raw = ("tell me about tms " * (size // 18 + 1))[:size]
    message_guard.crisis_kind("warm up: the lexicon is compiled on first use")
    detect_calls.clear()
    started = time.process_time()
    text = message_guard.clean(raw)
    assert message_guard.screen(text) == "too_long"
    assert message_guard.crisis_kind(text) is None
    elapsed = time.process_time() - started
    assert max(detect_calls) <= message_guard.SCREEN_CHARS
    assert elapsed < 0.5, f"{elapsed:.2f} s of CPU for one {size}-character message"


@pytest.mark.parametrize("where", ["start", "end"])
def test_crisis_language_in_an_over_long_message_is_still_found(where):
    filler = "tell me about tms " * 60_000  # ~1 MB
    raw = f"{CRISIS}. {filler}" if where == "start" else f"{filler} {CRISIS}"
    text = message_guard.clean(raw)
    assert message_guard.screen(text) == "too_long"
    assert message_guard.crisis_kind(text) == "crisis"


def test_a_message_just_over_the_limit_is_screened_whole():
    raw = "tell me about tms " * (message_guard.MAX_MESSAGE_CHARS // 18) + f" {CRISIS} " + "ok " * 40
    text = message_guard.clean(raw)
    assert text == raw.strip() and message_guard.screen(text) == "too_long"
    assert message_guard.crisis_kind(text) == "crisis"


def _turn(channel, text, sender="visitor-" + "a" * 16):
    # No model loaded (the server's state before its first start): the channel's own replies.
    channel._app = SimpleNamespace(ctx=SimpleNamespace(agent=None))

    async def rasa_said_nothing(_message):
        return None

    return asyncio.run(channel._turn(rasa_said_nothing, sender, text, "198.51.100.1"))


@pytest.mark.parametrize(
    "text", ["what is tms", CRISIS, "x" * 50_000, "   "], ids=["question", "crisis", "over-long", "blank"]
)
def test_the_crisis_screen_runs_once_per_message(screenings, detect_calls, monkeypatch, text):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    monkeypatch.setattr("rasa_ext.channels.rate_limit._limiter", None)
    channel = GuardedSocketIOInput.from_credentials({})
    _, replies = _turn(channel, text)
    assert len([r for r in replies if isinstance(r.get("custom"), dict)]) == 1
    assert len(screenings) == 1, screenings
    assert sum(detect_calls) <= 2 * message_guard.SCREEN_CHARS


def test_the_crisis_screen_runs_once_for_a_rate_limited_message(screenings, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr("rasa_ext.channels.rate_limit._limiter", None)
    channel = GuardedSocketIOInput.from_credentials({})
    _turn(channel, "hello", sender="limited-" + "b" * 16)
    screenings.clear()
    _, replies = _turn(channel, CRISIS, sender="limited-" + "b" * 16)
    assert replies[0]["custom"]["topic"] == "safety.crisis"
    assert len(screenings) == 1
