"""The risk model, its corpus and how it combines with the lexicon (practice/safety/risk_model.py)."""

from pathlib import Path

import numpy as np
import pytest

from practice.safety.crisis_detector import NOTHING, Detection
from practice.safety.risk_model import (
    CLEAR,
    LABELS,
    NONE,
    POSSIBLE,
    AnswerModel,
    RiskModel,
    RiskScores,
    RiskThresholds,
    corpus_digest,
    decide,
    is_spanish,
    load_corpus,
    load_followups,
    model_text,
)

THRESHOLDS = RiskThresholds(clear=0.4, possible=0.5, lexicon_check_in=0.9)
LEXICON_CRISIS = Detection("crisis", "wish_to_die")
LEXICON_EMERGENCY = Detection("emergency", "overdose_taken")


def scores(none=0.0, possible=0.0, crisis=0.0, emergency=0.0) -> RiskScores:
    return RiskScores(none=none, possible=possible, crisis=crisis, emergency=emergency)


# ---------------------------------------------------------------- decide: the combination


def test_model_alone_reaches_clear_risk_without_any_lexicon_word():
    decision = decide(scores(none=0.1, possible=0.3, crisis=0.6), NOTHING, THRESHOLDS)
    assert (decision.level, decision.kind, decision.source) == (CLEAR, "crisis", "model")


def test_lexicon_alarm_is_clear_risk_even_when_the_model_is_unsure():
    decision = decide(scores(none=0.6, possible=0.3, crisis=0.1), LEXICON_CRISIS, THRESHOLDS)
    assert (decision.level, decision.source) == (CLEAR, "lexicon")


def test_the_model_never_silences_the_lexicon():
    decision = decide(scores(none=0.999, possible=0.0005, crisis=0.0005), LEXICON_CRISIS, THRESHOLDS)
    assert (decision.level, decision.source) == (POSSIBLE, "lexicon_doubted")
    unsure = decide(scores(none=0.85, possible=0.1, crisis=0.05), LEXICON_CRISIS, THRESHOLDS)
    assert unsure.level == CLEAR


def test_a_sure_lexicon_family_is_never_doubted_into_a_check_in():
    stated = Detection("crisis", "stated_suicidal", sure=True)
    decision = decide(scores(none=0.99, possible=0.005, crisis=0.005), stated, THRESHOLDS)
    assert (decision.level, decision.kind, decision.source) == (CLEAR, "crisis", "lexicon")


def test_emergency_from_either_detector_is_an_emergency():
    assert decide(scores(none=0.2, crisis=0.3, emergency=0.5), NOTHING, THRESHOLDS).kind == "emergency"
    assert decide(scores(none=0.1, crisis=0.9), LEXICON_EMERGENCY, THRESHOLDS).kind == "emergency"
    assert decide(scores(none=0.1, crisis=0.6, emergency=0.3), NOTHING, THRESHOLDS).kind == "crisis"


def test_possible_risk_between_the_thresholds_and_none_below():
    assert decide(scores(none=0.4, possible=0.45, crisis=0.15), NOTHING, THRESHOLDS).level == POSSIBLE
    assert decide(scores(none=0.7, possible=0.2, crisis=0.1), NOTHING, THRESHOLDS).level == NONE


def test_decision_record_names_no_matched_words():
    record = decide(scores(none=0.1, crisis=0.9), LEXICON_CRISIS, THRESHOLDS).as_dict()
    assert record["pattern"] == "wish_to_die" and record["level"] == CLEAR
    assert set(record["scores"]) == set(LABELS)
    assert record["signal"] == pytest.approx(0.9, abs=1e-3)


# ---------------------------------------------------------------- the corpus


def test_corpus_has_every_label_in_thousands_of_lines():
    texts, labels, families = load_corpus()
    assert len(texts) >= 5000
    for label in LABELS:
        assert labels.count(label) >= 300, label
    assert labels.count(NONE) >= labels.count("crisis")  # at least as many benign lines
    assert len({t.lower() for t in texts}) == len(texts)
    assert all(f.split(".")[0] in LABELS for f in families)


def test_followups_hold_yes_and_no_answers():
    texts, yes = load_followups()
    assert sum(yes) >= 100 and len(yes) - sum(yes) >= 100


def test_corpus_errors_name_the_file(tmp_path: Path):
    (tmp_path / "bad.yml").write_text("crisis:\n  family: not a list\n")
    with pytest.raises(ValueError, match="bad.yml"):
        load_corpus(tmp_path)


def test_digest_changes_with_the_corpus(tmp_path: Path):
    (tmp_path / "a.yml").write_text('none:\n  x: ["hello"]\n')
    before = corpus_digest(tmp_path)
    (tmp_path / "a.yml").write_text('none:\n  x: ["hello there"]\n')
    assert corpus_digest(tmp_path) != before


# ---------------------------------------------------------------- the trained model


@pytest.fixture(scope="module")
def model() -> RiskModel:
    texts, labels, _ = load_corpus()
    return RiskModel.train(texts, labels)


def test_probabilities_are_a_distribution(model):
    for text in ["", "hi", "x" * 5000, "how long is a tms session"]:
        s = model.score(text)
        assert s.none + s.possible + s.crisis + s.emergency == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "i have decided to end my life this weekend",
        "i bought a rope and i know which tree",
        "ya no quiero vivir, quiero morirme",
    ],
)
def test_plain_clear_risk_scores_high(model, text):
    assert model.score(text).clear >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "how many tms sessions does a course usually take",
        "do you take blue cross insurance",
        "what are the office hours on friday",
    ],
)
def test_plain_questions_score_low(model, text):
    assert model.score(text).signal < 0.5


def test_saved_model_loads_back_the_same(model, tmp_path: Path):
    model.save(tmp_path / "m.skops")
    loaded = RiskModel.load(tmp_path / "m.skops")
    text = "nothing ever gets better for me"
    assert loaded.score(text).as_dict() == pytest.approx(model.score(text).as_dict())


def test_check_in_answer_model_tells_yes_from_no():
    answers = AnswerModel.train(*load_followups())
    assert answers.p_yes("yes, sometimes") > 0.5
    assert answers.p_yes("no, i'm just tired, how much does it cost") < 0.5


# ---------------------------------------------------------------- language


@pytest.mark.parametrize(
    "text,spanish",
    [
        ("ya no quiero vivir, estoy muy cansada de todo", True),
        ("me muero de hambre jaja, a que hora abren", True),
        ("i don't want to live anymore", False),
        ("is tms covered by my insurance", False),
        ("", False),
    ],
)
def test_spanish_is_recognised(text, spanish):
    assert is_spanish(text) is spanish


def test_a_lexicon_alarm_the_model_doubts_gets_a_check_in():
    thresholds = RiskThresholds(clear=0.4, possible=0.5, lexicon_check_in=0.7)
    doubted = decide(scores(none=0.8, possible=0.1, crisis=0.1), LEXICON_CRISIS, thresholds)
    assert (doubted.level, doubted.source) == (POSSIBLE, "lexicon_doubted")
    believed = decide(scores(none=0.6, possible=0.2, crisis=0.2), LEXICON_CRISIS, thresholds)
    assert believed.level == CLEAR


def test_the_fast_path_gives_sklearns_probabilities(model):
    texts = ["", "i want to die", "how long is a tms session", "x" * 3000, "ya no quiero vivir"]
    assert model._fast is not None
    ours = model._predict_proba([model_text(t) for t in texts])
    theirs = model.pipeline.predict_proba([model_text(t) for t in texts])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    one_at_a_time = np.vstack([model._predict_proba([model_text(t)]) for t in texts])
    np.testing.assert_allclose(one_at_a_time, theirs, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- a doubt the alarm's own sentence overrules


class SentenceScores:
    """A stand-in model: doubtful of every whole message, and of each sentence as told."""

    def __init__(self, sentence_clear: float) -> None:
        self.sentence_clear = sentence_clear

    def score_model_texts(self, normalised):
        return [scores(none=0.95, crisis=0.05) for _ in normalised]

    def score_many(self, texts):
        return [scores(none=1 - self.sentence_clear, crisis=self.sentence_clear) for _ in texts]

    def score(self, text):
        return self.score_many([text])[0]


def test_an_alarm_sentence_the_model_calls_clear_keeps_the_crisis_reply():
    from practice.safety.risk_model import assess_message

    text = "i want to die. not sure why im typing this into a clinic website but here we are"
    kept = assess_message(text, SentenceScores(sentence_clear=0.9), THRESHOLDS)
    assert (kept.level, kept.kind, kept.source) == (CLEAR, "crisis", "lexicon_sentence")
    doubted = assess_message(text, SentenceScores(sentence_clear=0.1), THRESHOLDS)
    assert (doubted.level, doubted.source) == (POSSIBLE, "lexicon_doubted")


def test_a_one_sentence_message_is_judged_whole():
    from practice.safety.risk_model import assess_message

    decision = assess_message(
        "i would rather die than sit through another meeting", SentenceScores(0.9), THRESHOLDS
    )
    assert (decision.level, decision.source) == (POSSIBLE, "lexicon_doubted")
