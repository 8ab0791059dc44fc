"""No answer contradicts another on seizures.

Checked over everything a visitor can read (each topic's lead and detail as rendered with
sources and deferral, and each medication note): none may say TMS does not cause seizures
(a seizure is a rare side effect), and every seizure rate quoted is the same figure.
"""

from __future__ import annotations

import re

import pytest

from actions.answers import compose
from practice.knowledge.loader import KnowledgeBase
from practice.medications.catalog import load_catalog

KB = KnowledgeBase()
_NEGATED_SEIZURE = re.compile(
    r"\b(?:does not|doesn't|do not|don't|never|cannot|can't|won't|will not|without)\s+"
    r"(?:\w+\s+){0,2}(?:cause|causing|trigger|triggering|induce|inducing|lead to|risk)\s+"
    r"(?:a\s+|any\s+)?seizures?\b"
    r"|\bno\s+(?:risk\s+of\s+)?seizures?\b|\bseizure[- ]free\b",
    re.I,
)
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s+seizures?\s+per\s+([\d,]+)\s+sessions", re.I)


def rendered_texts() -> list[tuple[str, str]]:
    texts = []
    for topic in KB.topics.values():
        texts.append((topic.id, compose(KB, topic)))
        if topic.detail:
            texts.append((f"{topic.id} (detail)", compose(KB, topic, body=topic.detail)))
    for med_class in load_catalog().classes.values():
        texts.append((f"medication class {med_class.id}", med_class.note))
    return texts


def seizure_denials(text: str) -> list[str]:
    return [m.group(0) for m in _NEGATED_SEIZURE.finditer(text)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Unlike ECT, TMS does not cause a seizure.",
        "Unlike electroconvulsive therapy (ECT), rTMS doesn't cause seizures or require sedation.",
        "There is no risk of seizures with TMS.",
        "TMS will never trigger a seizure.",
    ],
)
def test_the_check_catches_an_answer_that_denies_seizures(sentence: str) -> None:
    assert seizure_denials(sentence)


def test_the_check_allows_the_correct_wording() -> None:
    assert not seizure_denials("TMS is not meant to cause a seizure. A seizure is a rare side effect of TMS.")


@pytest.mark.parametrize("name, text", rendered_texts())
def test_no_answer_says_tms_cannot_cause_a_seizure(name: str, text: str) -> None:
    assert not seizure_denials(text), name


def test_every_quoted_seizure_rate_is_the_same_figure() -> None:
    rates = {(m.group(1), m.group(2)) for _, text in rendered_texts() for m in _RATE.finditer(text)}
    assert rates == {("0.3", "10,000")}


def test_overview_and_serious_risks_agree_that_a_seizure_is_a_rare_side_effect() -> None:
    overview = KB.topic("tms.overview")
    risks = KB.topic("tms.serious_risks")
    assert re.search(r"seizure is a rare side effect", overview.detail)
    assert re.search(r"not meant\s+to cause a seizure", overview.detail)
    assert re.search(r"Serious side effects are rare\. The most serious is a seizure", risks.answer)
    assert re.search(r"0\.7 per 1,000 people", risks.answer)
