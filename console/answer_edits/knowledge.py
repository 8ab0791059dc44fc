"""The one place the console reads the assistant's knowledge base (practice/knowledge/): topics as written in YAML, and an answer rendered as a visitor
would get it (clinic placeholders filled, sources cited, the clinician deferral added)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from practice.knowledge.answer_text import compose, defers_to_clinician
from practice.knowledge.loader import TOPIC_FIELDS, KnowledgeBase, Topic
from practice.paths import clinic_file, knowledge_dir


def load(folder: Path | None = None) -> KnowledgeBase:
    return KnowledgeBase(folder or knowledge_dir(), clinic_file())


def raw_topics(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    text = ((folder or knowledge_dir()) / "topics.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["topics"]


def defers(topic_id: str) -> bool:
    return defers_to_clinician(topic_id)


@dataclass
class Rendered:
    answer: str  # what the visitor reads: lead, citations, deferral, booking offer
    detail: str | None
    sources: list[dict[str, str]]  # the source cards: title, url


def render(kb: KnowledgeBase, topic_id: str, answer: str, detail: str | None, sources: list[str]) -> Rendered:
    """The entry rendered as the assistant would say it (raises on a bad placeholder or an
    unknown source)."""
    base = kb.topics[topic_id]
    topic = Topic(
        id=topic_id,
        intent=base.intent,
        answer=kb.render(answer),
        sources=[kb.sources[s] for s in sources],
        offer_booking=base.offer_booking,
        detail=kb.render(detail) if detail else None,
    )
    return Rendered(
        answer=compose(kb, topic),
        detail=compose(kb, topic, topic.detail) if topic.detail else None,
        sources=[s.as_payload() for s in topic.sources],
    )


__all__ = ["TOPIC_FIELDS", "KnowledgeBase", "Rendered", "defers", "load", "raw_topics", "render"]
