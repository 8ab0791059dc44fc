"""The one builder of the response contract payload (docs/response_contract.md).

Every turn's reply carries exactly one `custom` object built here, so the widget, the staff
console and the tests can rely on its shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from practice.knowledge.answer_text import defers_to_clinician
from practice.knowledge.loader import Source

__all__ = ["defers_to_clinician", "payload"]


def payload(
    topic: str,
    sources: Iterable[Source] = (),
    medications: list[dict[str, str]] | None = None,
    medication_classes: list[str] | None = None,
    requested_slot: str | None = None,
    booking: dict[str, Any] | None = None,
    flags: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "topic": topic,
        "sources": [s.as_payload() for s in sources],
        "defer_to_clinician": defers_to_clinician(topic),
    }
    if medications is not None:
        body["medications"] = medications
    if medication_classes is not None:
        body["medication_classes"] = medication_classes
    if requested_slot:
        body["requested_slot"] = requested_slot
    if booking:
        body["booking"] = booking
    if flags:
        body["flags"] = flags
    return body
