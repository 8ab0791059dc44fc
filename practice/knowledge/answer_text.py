"""An answer's text as a visitor reads it: the body, its sources written out, the deferral.

One composition for the action server's replies and the console's preview of an edited answer.
"""
from __future__ import annotations

from typing import Optional

from practice.knowledge.loader import KnowledgeBase, Topic


def defers_to_clinician(topic: str) -> bool:
    """Every informational and safety answer says the visitor's clinician decides."""
    return topic.startswith(("tms.", "meds.", "safety."))


def compose(kb: KnowledgeBase, topic: Topic, body: Optional[str] = None) -> str:
    """The answer text: body, its cited sources written out, then the deferral."""
    parts = [body if body is not None else topic.answer]
    if topic.sources:
        lines = [kb.phrases["sources_heading"]] + [f"- {s.citation()}" for s in topic.sources]
        parts.append("\n".join(lines))
    if defers_to_clinician(topic.id):
        parts.append(kb.phrases["deferral"])
    if topic.offer_booking:
        parts.append(kb.phrases["booking_offer"])
    return "\n\n".join(parts)
