"""What the public channels do before and after Rasa handles a visitor's message.

Rasa answers whatever text it is given, and when the action server is down it answers
nothing. A visitor must always get a reply that follows the response contract, so the
channels screen the input here and, if Rasa produced no contract payload, add one.
"""
from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, Dict, List, Optional

from actions.knowledge import knowledge_base
from components.crisis_detector import detect

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
# Control characters other than newline/tab carry no meaning for NLU and can break logs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Matches if the message has at least one letter or digit in any script.
_HAS_WORD = re.compile(r"\w", re.UNICODE)


def clean(text: Any) -> str:
    """Normalises a visitor's message: str, NFC, no control characters, trimmed."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub(" ", text).strip()


def crisis_kind(text: str) -> Optional[str]:
    """'crisis' / 'emergency' if the deterministic safety net fires on the text."""
    kind = detect(text).kind
    return kind if kind in ("crisis", "emergency") else None


def _canned(phrase: str) -> Dict[str, Any]:
    return {"text": knowledge_base().phrases[phrase], "custom": _fallback_payload()}


def _fallback_payload() -> Dict[str, Any]:
    return {"topic": "fallback", "sources": [], "defer_to_clinician": False, "flags": ["fallback"]}


def screen(text: str) -> Optional[str]:
    """Why the message should not go to Rasa at all: 'empty', 'too_long', or None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return "too_long"
    if not _HAS_WORD.search(text):
        # Emoji-only text still goes to Rasa (it may be a greeting); pure whitespace does not.
        return "empty" if not text else None
    return None


def screened_reply(reason: str, text: str, crisis_response: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The reply for a message Rasa does not see. A crisis signal always wins."""
    if crisis_kind(text):
        return [dict(crisis_response)]
    return [_canned("empty_message" if reason == "empty" else "too_long")]


def rate_limited_reply(text: str, crisis_response: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The reply when a visitor is over the rate limit (components/rate_limit.py).

    A crisis signal still gets the crisis resources; anything else the `rate_limited` phrase
    with a contract payload flagged `rate_limited`.
    """
    if crisis_kind(text):
        return [dict(crisis_response)]
    payload = {**_fallback_payload(), "flags": ["rate_limited"]}
    return [{"text": knowledge_base().phrases["rate_limited"], "custom": payload}]


def ensure_contract(
    messages: List[Dict[str, Any]], text: str, crisis_response: Dict[str, Any]
) -> List[Dict[str, Any]]:
    """Adds a reply when Rasa produced no contract payload (e.g. action server down)."""
    if any(isinstance(m.get("custom"), dict) for m in messages):
        return messages
    if crisis_kind(text):
        return messages + [dict(crisis_response)]
    return messages + [_canned("unavailable")]
