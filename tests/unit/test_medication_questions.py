"""What a medication question asks, read from its wording (practice/medications/questions.py):
each kind of self-managed change with its neighbours on the other side, whose medication,
and medications tried before.
"""

from pathlib import Path

import pytest
import yaml

from practice.medications.catalog import find_medications
from practice.medications.class_words import find_class_words
from practice.medications.questions import (
    general_medication_spans,
    mentions_tms,
    refers_to_own,
    self_managed_change,
    treatment_history,
)

# The self-managed change tables live in medication_questions.yml beside this file.
CASES = yaml.safe_load(Path(__file__).with_name("medication_questions.yml").read_text(encoding="utf-8"))


def change(text: str):
    named = [(m.start, m.end) for m in find_medications(text)]
    spans = named + [(w.start, w.end) for w in find_class_words(text)]
    return self_managed_change(text, spans + general_medication_spans(text), named)


@pytest.mark.parametrize("text,kind", [tuple(case) for case in CASES["self_managed_changes"]])
def test_self_managed_changes(text, kind):
    assert change(text) == kind


@pytest.mark.parametrize("text", CASES["not_changes"])
def test_questions_about_the_medication_itself_are_not_changes(text):
    assert change(text) is None


@pytest.mark.parametrize(
    "text,word,own",
    [
        ("can I keep taking my antidepressant during TMS", "antidepressant", True),
        ("my mom's antidepressant and tms", "antidepressant", True),
        ("i'm currently on depression meds, is tms ok", "depression", True),
        ("she is on two antidepressants, tms?", "antidepressants", True),
        ("I take an antidepressant, is tms ok", "antidepressant", True),
        ("can I do TMS and take antidepressants", "antidepressants", False),
        ("can i take antidepressants during tms", "antidepressants", False),
        ("anti depressants with tms?", "anti", False),
    ],
)
def test_own_medication(text, word, own):
    assert refers_to_own(text, text.index(word)) is own


@pytest.mark.parametrize(
    "text,history",
    [
        ("I failed Zoloft and Lexapro, am I a candidate", True),
        ("I've tried three antidepressants", True),
        ("lexapro didn't help, will tms", True),
        ("I used to take prozac", True),
        ("I've been on zoloft for years, can I keep it during tms", False),
        ("I'm on lexapro, does tms work with it", False),
    ],
)
def test_medications_tried_before(text, history):
    assert treatment_history(text) is history


@pytest.mark.parametrize(
    "text,tms",
    [
        ("is it ok during rTMS", True),
        ("the magnet therapy", True),
        ("theta burst", True),
        ("transcranial stimulation", True),
        ("brain zapping", True),
        ("my sessions", False),
        ("items", False),
        ("a magnet", False),
    ],
)
def test_tms_mentions(text, tms):
    assert mentions_tms(text) is tms
