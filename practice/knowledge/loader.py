"""Loads the knowledge base (knowledge/*.yml) and the clinic configuration once.

Everything the assistant says about a topic comes from these files; the actions only
render it. Loaded lazily and cached so the action server does no file I/O per turn.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from practice.knowledge.content_review import (
    REVIEW_FIELDS,
    ReviewRecord,
    medication_class_reviews,
    parse_review,
)
from practice.knowledge.schema import PhrasesFile, SourcesFile, TopicsFile, read_checked, read_clinic
from practice.paths import CLINIC_FILE, KNOWLEDGE_DIR

FALLBACK_TOPIC = "fallback"
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
# What a topic entry may hold; anything else is a typo that would silently be ignored.
TOPIC_FIELDS = {"intent", "sources", "offer_booking", "answer", "detail", "reviewed", "reviewed_against"}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    publisher: str | None = None
    reviewed: str | None = None

    def as_payload(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}

    def citation(self) -> str:
        who = f" ({self.publisher})" if self.publisher else ""
        return f"{self.title}{who}: {self.url}"


@dataclass(frozen=True)
class Topic:
    id: str
    intent: str
    answer: str  # the lead: answers the question in a few short sentences
    sources: list[Source] = field(default_factory=list)
    offer_booking: bool = False
    detail: str | None = None  # said when the visitor asks for more ("Tell me more")


def _read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def intent_for_topic(topic_id: str) -> str:
    """Topic ids use dots (tms.side_effects); Rasa intents use underscores."""
    return topic_id.replace(".", "_", 1)


def _as_text(fields: dict[str, Any]) -> dict[str, Any]:
    """YAML values as text (a date or a number reads as written); absent ones stay None."""
    return {k: str(v) if v is not None else None for k, v in fields.items()}


class KnowledgeBase:
    """The knowledge files and clinic.yml, each checked against its schema (schema.py) first:
    a file of the wrong shape stops the loading with the file and the field named."""

    def __init__(self, knowledge_dir: Path = KNOWLEDGE_DIR, clinic_file: Path = CLINIC_FILE):
        self.clinic: dict[str, Any] = read_clinic(clinic_file)
        raw_sources = read_checked(SourcesFile, knowledge_dir / "sources.yml")[0]["sources"]
        self.sources = {
            sid: Source(id=sid, **_as_text(s))
            for sid, s in raw_sources.items()
        }
        self._templates = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        self._compiled: dict[str, jinja2.Template] = {}  # template text -> compiled, once
        raw_topics = read_checked(TopicsFile, knowledge_dir / "topics.yml")[0]["topics"]
        self.reviews: list[ReviewRecord] = []
        self.topics = {tid: self._build_topic(tid, t) for tid, t in raw_topics.items()}
        self.reviews += medication_class_reviews(
            _read_yaml(knowledge_dir / "medications.yml"), self.sources
        )
        self._by_intent = {t.intent: t for t in self.topics.values()}
        self.phrases: dict[str, str] = {
            k: self.render(v)
            for k, v in read_checked(PhrasesFile, knowledge_dir / "phrases.yml")[0]["phrases"].items()
        }

    def _build_topic(self, topic_id: str, raw: dict[str, Any]) -> Topic:
        unknown = sorted(set(raw) - TOPIC_FIELDS)
        if unknown:
            raise ValueError(f"topic {topic_id}: unknown fields {unknown}")
        missing = [s for s in raw.get("sources") or [] if s not in self.sources]
        if missing:
            raise ValueError(f"topic {topic_id}: unknown sources {missing}")
        if any(f in raw for f in REVIEW_FIELDS):
            self.reviews.append(
                parse_review(f"topic {topic_id}", raw, self.sources, raw.get("sources") or [])
            )
        return Topic(
            id=topic_id,
            intent=raw.get("intent") or intent_for_topic(topic_id),
            answer=self.render(raw["answer"]),
            sources=[self.sources[s] for s in raw.get("sources") or []],
            offer_booking=bool(raw.get("offer_booking", False)),
            detail=self.render(raw["detail"]) if raw.get("detail") else None,
        )

    def render(self, template: str, **extra: Any) -> str:
        """Fills {{ clinic.* }} placeholders so clinic facts live only in clinic.yml.

        Each template is compiled once (compiling is ~1 ms, rendering ~20 us): booking
        messages render their wording on every turn."""
        text = template.strip()
        compiled = self._compiled.get(text)
        if compiled is None:
            compiled = self._compiled[text] = self._templates.from_string(text)
        return compiled.render(clinic=self.clinic, **extra)

    def topic(self, topic_id: str) -> Topic:
        return self.topics[topic_id]

    def topic_for_intent(self, intent: str | None) -> Topic:
        if intent in self._by_intent:
            return self._by_intent[intent]
        return self.topics[FALLBACK_TOPIC]


@functools.lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return KnowledgeBase()
