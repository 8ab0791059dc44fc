"""What a medication question asks, read from its wording (practice/medications/questions.py):
each kind of self-managed change with its neighbours on the other side, whose medication,
and medications tried before.
"""
import pytest

from practice.medications.catalog import find_medications
from practice.medications.class_words import find_class_words
from practice.medications.questions import (
    general_medication_spans,
    mentions_tms,
    refers_to_own,
    self_managed_change,
    treatment_history,
)


def change(text: str):
    named = [(m.start, m.end) for m in find_medications(text)]
    spans = named + [(w.start, w.end) for w in find_class_words(text)]
    return self_managed_change(text, spans + general_medication_spans(text), named)


@pytest.mark.parametrize("text,kind", [
    ("should I lower my wellbutrin dose before tms", "dose"),
    ("should i double my lamictal", "dose"),
    ("can i take an extra xanax before tms", "dose"),
    ("can i take 2 klonopin before my session", "dose"),
    ("how many mg of adderall can I take", "dose"),
    ("how much seroquel should i take", "dose"),
    ("how many xanax is too many before a session", "dose"),
    ("can i cut my seroquel in half", "dose"),
    ("can I go up to 100mg of zoloft", "dose"),
    ("does the dose of zoloft matter for tms", "dose"),
    ("how do I taper off xanax", "taper"),
    ("should i wean off my benzos", "taper"),
    ("i want to slowly come off my lexapro", "taper"),
    ("can I skip my zoloft on tms days", "skip"),
    ("should I skip lexapro the morning of tms", "skip"),
    ("is it fine to miss a dose of my abilify", "dose"),
    ("i forgot my lamictal today, is tms ok", "skip"),
    ("should I switch from zoloft to lexapro", "switch"),
    ("can I drink alcohol on lexapro", "alcohol"),
    ("is a glass of wine ok with my seroquel", "alcohol"),
    ("can i smoke weed on my meds", "alcohol"),
    ("how quickly can I come off my venlafaxine by myself", "stop_alone"),
    ("can I stop my prozac on my own", "stop_alone"),
    ("I want to quit lamictal cold turkey", "stop_alone"),
    ("can I drop my antidepressant without telling my psychiatrist", "stop_alone"),
    ("how fast can I get off effexor", "stop_alone"),
])
def test_self_managed_changes(text, kind):
    assert change(text) == kind


@pytest.mark.parametrize("text", [
    "can i take my usual klonopin the night before a tms session",
    "can I take my morning dose of lexapro before tms",
    "I'm on zoloft 50mg, is tms ok",
    "does wellbutrin raise my seizure risk with tms",
    "will lexapro lower my seizure threshold",
    "does zoloft mess up my tms",
    "does tms mean i have to give up my antidepressant",
    "can I skip tms on days I take klonopin",
    "can I drink coffee on adderall before tms",
    "would I switch to TMS instead of my antidepressant",
    "should i stop zoloft before tms",
    "how soon after tms can i stop my medication",
    "my brother quit his meds cold turkey to prep for tms, is that normal",
    "is it ok to use my benzo before tms",
    "how many tms sessions will I need while on zoloft",
    "how many antidepressants do you have to try before tms",
])
def test_questions_about_the_medication_itself_are_not_changes(text):
    assert change(text) is None


@pytest.mark.parametrize("text,word,own", [
    ("can I keep taking my antidepressant during TMS", "antidepressant", True),
    ("my mom's antidepressant and tms", "antidepressant", True),
    ("i'm currently on depression meds, is tms ok", "depression", True),
    ("she is on two antidepressants, tms?", "antidepressants", True),
    ("I take an antidepressant, is tms ok", "antidepressant", True),
    ("can I do TMS and take antidepressants", "antidepressants", False),
    ("can i take antidepressants during tms", "antidepressants", False),
    ("anti depressants with tms?", "anti", False),
])
def test_own_medication(text, word, own):
    assert refers_to_own(text, text.index(word)) is own


@pytest.mark.parametrize("text,history", [
    ("I failed Zoloft and Lexapro, am I a candidate", True),
    ("I've tried three antidepressants", True),
    ("lexapro didn't help, will tms", True),
    ("I used to take prozac", True),
    ("I've been on zoloft for years, can I keep it during tms", False),
    ("I'm on lexapro, does tms work with it", False),
])
def test_medications_tried_before(text, history):
    assert treatment_history(text) is history


@pytest.mark.parametrize("text,tms", [
    ("is it ok during rTMS", True), ("the magnet therapy", True), ("theta burst", True),
    ("transcranial stimulation", True), ("brain zapping", True), ("my sessions", False),
    ("items", False), ("a magnet", False),
])
def test_tms_mentions(text, tms):
    assert mentions_tms(text) is tms
