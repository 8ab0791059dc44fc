"""Masks contact details (emails, phone numbers) in conversation text shown to staff.

Only the bookings view shows contact details; transcripts, the list, exports and the audit
log never do. Besides the patterns, the values the visitor gave for the booking's personal
slots (name, contact) are masked wherever they appear in that conversation.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

EMAIL_MASK = "[email hidden]"
PHONE_MASK = "[phone hidden]"
VALUE_MASK = "[hidden]"

EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# US numbers in their usual spellings (503-555-0142, (503) 555 0142, +1 503.555.0142,
# 5035550142) and any other run of 7+ digits with separators: better one false mask than a
# leaked number. Short numbers (times, ages, "988", "741741") stay visible.
PHONE = re.compile(
    r"(?<![\w])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}(?![\w])"
    r"|(?<![\w\-./:])(?!\d{4}-\d{1,2}-\d{1,2}(?!\d))(?!\d{1,2}/\d{1,2}/\d{2,4}(?!\d))"
    r"\+?\d(?:[\s.\-()]*\d){6,}(?![\w])"
)
# Crisis lines and the like are not personal data and must stay readable for staff.
_KEEP = re.compile(r"^(?:1[\s.\-]?800[\s.\-]?222[\s.\-]?1222|988|741741|911)$")

# Booking slots whose values identify a person (actions/booking; names per PRODUCT.md).
PERSONAL_SLOTS = ("full_name", "contact", "manage_contact", "name", "email", "phone")


# The practice's own published phone and email (clinic.yml contact) are not personal data.
_public: set = set()


def set_public_contacts(values: Iterable[str]) -> None:
    _public.clear()
    _public.update(_digits_or_lower(v) for v in values if v)


def _digits_or_lower(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if "@" not in value and len(digits) >= 7:
        return digits[-10:]
    return value.strip().lower()


def _phone(match: "re.Match[str]") -> str:
    text = match.group(0)
    if _KEEP.match(text.strip()) or _digits_or_lower(text) in _public:
        return text
    return PHONE_MASK


def _email(match: "re.Match[str]") -> str:
    return match.group(0) if match.group(0).strip().lower() in _public else EMAIL_MASK


def mask(text: Optional[str], extra_values: Iterable[str] = ()) -> str:
    """The text with emails, phone numbers and the given personal values replaced."""
    if not text:
        return text or ""
    for value in sorted({v for v in extra_values if v and len(v.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(value.strip()), VALUE_MASK, text, flags=re.IGNORECASE)
    text = EMAIL.sub(_email, text)
    return PHONE.sub(_phone, text)


def contains_contact(text: str) -> bool:
    return bool(EMAIL.search(text or "")) or any(
        not _KEEP.match(m.group(0).strip()) for m in PHONE.finditer(text or "")
    )
