"""Each knowledge entry says when it was last reviewed and against which sources, and the
suite fails once a review is older than the practice's review interval (clinic.yml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from practice.knowledge.content_review import (
    DEFAULT_REVIEW_MONTHS,
    ReviewRecord,
    due_date,
    overdue,
    parse_review,
    review_months,
)
from practice.knowledge.loader import CLINIC_FILE, KNOWLEDGE_DIR, KnowledgeBase

KB = KnowledgeBase()
# Their wording follows utter_crisis / utter_emergency in domain.yml and is reviewed with the
# risk handling (docs/content.md, "What is left").
RISK_ENTRIES = {"safety.crisis", "safety.emergency", "safety.check_in"}
SOURCES = {"a", "b", "c"}


def _raw(name: str) -> dict:
    with open(KNOWLEDGE_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_every_topic_and_medication_class_records_its_review() -> None:
    recorded = {r.entry for r in KB.reviews}
    topics = {f"topic {t}" for t in KB.topics if t not in RISK_ENTRIES}
    classes = {f"medication class {c['id']}" for c in _raw("medications.yml")["classes"]}
    assert topics | classes <= recorded, sorted((topics | classes) - recorded)


def test_no_entry_is_older_than_the_clinic_review_interval() -> None:
    months = review_months(KB.clinic)
    late = overdue(KB.reviews, months, dt.date.today())
    assert not late, "re-review these entries against their sources and update `reviewed`: " + ", ".join(
        f"{r.entry} (reviewed {r.reviewed}, due {due_date(r, months)})" for r in late
    )


def test_review_interval_is_read_from_the_clinic_file_with_a_12_month_default() -> None:
    with open(CLINIC_FILE, encoding="utf-8") as handle:
        clinic = yaml.safe_load(handle)
    assert review_months(clinic) == clinic.get("content_review_months", 12)
    assert review_months({}) == DEFAULT_REVIEW_MONTHS == 12
    assert review_months({"content_review_months": 6}) == 6
    for bad in (0, -3, "twelve", True, 1.5):
        with pytest.raises(ValueError):
            review_months({"content_review_months": bad})


def test_a_review_older_than_the_interval_is_overdue() -> None:
    record = ReviewRecord("topic tms.overview", dt.date(2025, 1, 31), ("a",))
    assert due_date(record, 12) == dt.date(2026, 1, 31)
    assert overdue([record], 12, dt.date(2026, 1, 31)) == []
    assert overdue([record], 12, dt.date(2026, 2, 1)) == [record]
    assert overdue([record], 24, dt.date(2026, 2, 1)) == []


def test_review_record_parses_a_date_and_the_sources_read() -> None:
    record = parse_review(
        "topic x", {"reviewed": dt.date(2026, 1, 2), "reviewed_against": ["a", "b"]}, SOURCES, cited=["a"]
    )
    assert record == ReviewRecord("topic x", dt.date(2026, 1, 2), ("a", "b"))


@pytest.mark.parametrize(
    "raw, cited, message",
    [
        ({"reviewed_against": ["a"]}, [], "must be a date"),
        ({"reviewed": "last spring", "reviewed_against": ["a"]}, [], "must be a date"),
        ({"reviewed": dt.date.today() + dt.timedelta(days=1), "reviewed_against": []}, [], "future"),
        ({"reviewed": dt.date(2026, 1, 2)}, [], "list of source ids"),
        ({"reviewed": dt.date(2026, 1, 2), "reviewed_against": ["z"]}, [], "unknown sources"),
        ({"reviewed": dt.date(2026, 1, 2), "reviewed_against": ["a"]}, ["a", "c"], "does not include"),
    ],
)
def test_review_record_refuses_what_would_hide_an_unreviewed_entry(raw, cited, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_review("topic x", raw, SOURCES, cited)


def test_knowledge_loader_refuses_a_bad_review_and_unknown_fields(tmp_path: Path) -> None:
    for name in ("sources.yml", "phrases.yml", "medications.yml"):
        (tmp_path / name).write_text((KNOWLEDGE_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    topics = _raw("topics.yml")
    topics["topics"]["tms.overview"]["reviewed_against"] = ["mayo_tms"]  # cites three
    (tmp_path / "topics.yml").write_text(yaml.safe_dump(topics), encoding="utf-8")
    with pytest.raises(ValueError, match="tms.overview"):
        KnowledgeBase(knowledge_dir=tmp_path)
    topics = _raw("topics.yml")
    topics["topics"]["tms.overview"]["detial"] = "typo"
    (tmp_path / "topics.yml").write_text(yaml.safe_dump(topics), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown fields"):
        KnowledgeBase(knowledge_dir=tmp_path)


def test_every_source_records_when_it_was_checked() -> None:
    for source_id, source in _raw("sources.yml")["sources"].items():
        assert isinstance(source.get("reviewed"), dt.date), source_id
