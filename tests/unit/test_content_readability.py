"""Every answer reads at grade 8 or lower and its lead fits a small chat window.

Grade: Flesch-Kincaid (textstat), computed by scripts/content_report.py, which also prints
the table in docs/content.md. The crisis and emergency entries are left out: visitors read
utter_crisis / utter_emergency (domain.yml), which are maintained with the risk handling.
"""

from __future__ import annotations

import pytest

from practice.knowledge.loader import KnowledgeBase
from practice.medications.catalog import load_catalog
from scripts.content_report import MAX_GRADE, MAX_LEAD_WORDS, grade, text_for_grading, words

KB = KnowledgeBase()
RISK_ENTRIES = {"safety.crisis", "safety.emergency", "safety.check_in"}
GRADED_TOPICS = sorted(t for t in KB.topics if t not in RISK_ENTRIES)
CATALOG = load_catalog()


@pytest.mark.parametrize("topic_id", GRADED_TOPICS)
def test_lead_reads_at_grade_8_or_lower(topic_id: str) -> None:
    answer = KB.topic(topic_id).answer
    assert grade(answer) <= MAX_GRADE, f"{topic_id}: grade {grade(answer):.1f}: {answer}"


@pytest.mark.parametrize("topic_id", GRADED_TOPICS)
def test_lead_is_at_most_60_words(topic_id: str) -> None:
    answer = KB.topic(topic_id).answer
    assert words(answer) <= MAX_LEAD_WORDS, f"{topic_id}: {words(answer)} words"


@pytest.mark.parametrize("topic_id", sorted(t for t in GRADED_TOPICS if KB.topic(t).detail))
def test_detail_reads_at_grade_8_or_lower(topic_id: str) -> None:
    detail = KB.topic(topic_id).detail
    assert grade(detail) <= MAX_GRADE, f"{topic_id}: grade {grade(detail):.1f}: {detail}"


@pytest.mark.parametrize("class_id", sorted(CATALOG.classes))
def test_medication_note_reads_at_grade_8_or_lower_and_is_short(class_id: str) -> None:
    med_class = CATALOG.classes[class_id]
    said = f"{med_class.note} {CATALOG.evidence[med_class.evidence]}"
    assert grade(said) <= MAX_GRADE, f"{class_id}: grade {grade(said):.1f}"
    assert words(med_class.note) <= MAX_LEAD_WORDS


def test_grading_counts_contact_details_as_words_and_list_lines_as_sentences() -> None:
    text = "Call (503) 555-0142 or email care@example.com.\n- one\n- two"
    assert text_for_grading(text) == "Call link or email link. one. two."


def test_the_measure_tells_plain_from_dense_text() -> None:
    plain = "You sit in a chair. A coil sits on your head. It makes a clicking sound."
    dense = (
        "Repetitive transcranial magnetic stimulation modulates corticolimbic "
        "connectivity through electromagnetic induction in the dorsolateral prefrontal cortex."
    )
    assert grade(plain) <= 4 < MAX_GRADE < grade(dense)


def test_docs_table_is_the_current_measurement() -> None:
    """docs/content.md carries the table scripts/content_report.py prints; regenerate it after
    editing an answer."""
    from practice.paths import PROJECT_ROOT
    from scripts.content_report import markdown, medication_rows, topic_rows

    table = markdown(topic_rows(KB) + medication_rows())
    assert table in (PROJECT_ROOT / "docs" / "content.md").read_text(encoding="utf-8")
