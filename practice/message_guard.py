"""What the public channels do before and after Rasa handles a visitor's message.

Rasa answers whatever text it is given, and when the action server is down it answers
nothing. A visitor must always get a reply that follows the response contract, so the
channels screen the input here and, if Rasa produced no contract payload, add one.
"""

from __future__ import annotations

import logging
import os
import re
import time
import unicodedata
from typing import Any

from practice.knowledge.loader import knowledge_base
from practice.safety.crisis_detector import detect

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
# The largest request body a chat channel reads (REST webhook, socket.io packet, feedback).
# The load balancer, nginx and the ingress refuse the same size first (deploy/, scripts/).
# Bodies up to it are read and get a contract reply (an over-long message the too-long reply,
# screened for crisis language at bounded cost); anything larger is refused with 413 unread.
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024)))
# A message over MAX_MESSAGE_CHARS is still screened for crisis language, on its first and
# last SCREEN_CHARS characters only, so the cost of one message is bounded whatever its size.
SCREEN_CHARS = max(4000, MAX_MESSAGE_CHARS)
# Control characters other than newline/tab carry no meaning for NLU and can break logs;
# lone surrogates (possible in JSON: "\ud800") cannot be encoded and break the tokenizer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Matches if the message has at least one letter or digit in any script.
_HAS_WORD = re.compile(r"\w", re.UNICODE)
# Rasa reads "/restart" as its restart command (default intent -> action_restart).
RESTART_COMMAND = re.compile(r"^\s*/restart\s*$", re.I)


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def clean(text: Any) -> str:
    """Normalises a visitor's message: str, NFC, no control characters, trimmed.

    Text longer than two SCREEN_CHARS is cut to its first and last SCREEN_CHARS characters
    (joined by a newline): it is too long for Rasa either way (`screen`), and what remains is
    what the crisis screen reads."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > 2 * SCREEN_CHARS:
        return _clean(text[:SCREEN_CHARS]) + "\n" + _clean(text[-SCREEN_CHARS:])
    return _clean(text)


def crisis_kind(text: str) -> str | None:
    """'crisis' / 'emergency' if the deterministic safety net fires on the text (its first
    and last SCREEN_CHARS characters when longer: bounded work per message)."""
    if len(text) <= 2 * SCREEN_CHARS:
        kind = detect(text).kind
    else:
        kind = detect(text[:SCREEN_CHARS]).kind
        if kind not in ("crisis", "emergency"):
            kind = detect(text[-SCREEN_CHARS:]).kind
    return kind if kind in ("crisis", "emergency") else None


def _canned(phrase: str) -> dict[str, Any]:
    return {"text": knowledge_base().phrases[phrase], "custom": _fallback_payload()}


def _fallback_payload() -> dict[str, Any]:
    return {"topic": "fallback", "sources": [], "defer_to_clinician": False, "flags": ["fallback"]}


def screen(text: str) -> str | None:
    """Why the message should not go to Rasa at all: 'empty', 'too_long', or None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return "too_long"
    if not _HAS_WORD.search(text):
        # Emoji-only text still goes to Rasa (it may be a greeting); pure whitespace does not.
        return "empty" if not text else None
    return None


def screened_reply(reason: str, kind: str | None, crisis_response: dict[str, Any]) -> list[dict[str, Any]]:
    """The reply for a message Rasa does not see. A crisis signal (`kind`, from
    `crisis_kind`: each message is screened once) always wins."""
    if kind:
        return [dict(crisis_response)]
    return [_canned("empty_message" if reason == "empty" else "too_long")]


def rate_limited_reply(kind: str | None, crisis_response: dict[str, Any]) -> list[dict[str, Any]]:
    """The reply when a visitor is over the rate limit (rasa_ext/channels/rate_limit.py).

    A crisis signal (`kind`) still gets the crisis resources; anything else the
    `rate_limited` phrase with a contract payload flagged `rate_limited`.
    """
    if kind:
        return [dict(crisis_response)]
    payload = {**_fallback_payload(), "flags": ["rate_limited"]}
    return [{"text": knowledge_base().phrases["rate_limited"], "custom": payload}]


_last_store_warning = 0.0


def conversation_store_down(agent: Any) -> bool:
    """True if the conversation store (Rasa's SQL tracker store) cannot be reached now.

    Rasa wraps its tracker store in a FailSafeTrackerStore: when the database is down it
    answers from an empty in-memory tracker, out of context (a booking in progress is
    forgotten), and the turn is never stored (staff never see it). The channels ask first and
    give the `unavailable` reply instead (the crisis reply for a crisis). One `SELECT 1` on the
    store's pool; a connection that died while the database was away is replaced once.
    """
    global _last_store_warning
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # the store inside the FailSafeTrackerStore
    engine = getattr(store, "engine", None)
    if engine is None or not hasattr(engine, "connect"):
        return False
    for _ in range(2):
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return False
        except Exception as error:
            failure = error
    if time.monotonic() - _last_store_warning > 10:
        _last_store_warning = time.monotonic()
        logger.warning(
            "conversation store unreachable (%s): answering with the unavailable reply",
            type(failure).__name__,
        )
    return True


def ensure_contract(
    messages: list[dict[str, Any]], text: str, kind: str | None, crisis_response: dict[str, Any]
) -> list[dict[str, Any]]:
    """Adds a reply when Rasa produced no contract payload (e.g. action server down)."""
    if any(isinstance(m.get("custom"), dict) for m in messages):
        return messages
    if kind:
        return messages + [dict(crisis_response)]
    if RESTART_COMMAND.match(text):  # Rasa restarted the conversation and had nothing to say
        payload = {**_fallback_payload(), "topic": "chitchat.capabilities", "flags": ["restarted"]}
        return messages + [{"text": knowledge_base().phrases["restarted"], "custom": payload}]
    return messages + [_canned("unavailable")]
