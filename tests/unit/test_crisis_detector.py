"""The deterministic crisis safety net (practice/safety/crisis_detector.py + the lexicon).

The message tables (crisis_cases.yml, beside this file) were written independently of
knowledge/crisis_lexicon.yml, in visitors' words, so that they catch gaps in the lexicon rather
than restate it. When a line fails, make a lexicon pattern cover the whole family of phrasings
it belongs to; never special-case it.

Deliberate decisions pinned here (see the lexicon's header):
- informational questions naming suicide / self-harm / overdose, and asking for 988, get the
  crisis resources (a false alarm costs far less than a miss);
- negation inside a signal stays a signal ("I don't want to live anymore"); a plain denial of a
  topic word does not ("I'm not suicidal, just asking about TMS");
- questions about seizures or doses are not emergencies; a seizure now or pills taken are.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from practice.safety.crisis_detector import (
    CRISIS,
    EMERGENCY,
    IDIOM,
    CrisisDetector,
    Detection,
    LexiconError,
    detect,
    get_detector,
    load_lexicon,
    normalise,
)

# The message tables live in crisis_cases.yml beside this file (how they were written: its header).
CASES = yaml.safe_load(Path(__file__).with_name("crisis_cases.yml").read_text(encoding="utf-8"))

EMERGENCY_LINES: list[str] = CASES["emergency"]
CRISIS_LINES: list[str] = CASES["crisis"]
# Deliberate: informational questions that name the topic get the crisis resources.
INFORMATIONAL_CRISIS_LINES: list[str] = CASES["informational_crisis"]
# Deliberate: ambivalence and denials of intent are answered, not argued with.
AMBIVALENT_CRISIS_LINES: list[str] = CASES["ambivalent_crisis"]

BENIGN_IDIOM_LINES: list[str] = CASES["benign_idiom"]
IDIOM_ONLY_LINES: list[str] = CASES["idiom_only"]
BENIGN_NEGATION_LINES: list[str] = CASES["benign_negation"]
BENIGN_QUESTION_LINES: list[str] = CASES["benign_question"]
BENIGN_LINES = BENIGN_IDIOM_LINES + BENIGN_NEGATION_LINES + BENIGN_QUESTION_LINES

# Misses of blind batches, each now a family pattern, and their benign neighbours.
BLIND_BATCH_CRISIS_LINES: list[str] = CASES["blind_batch_crisis"]
BLIND_BATCH_BENIGN_LINES: list[str] = CASES["blind_batch_benign"]

# Written after every table above passed and run against the lexicon before any change.
FRESH_ALARM_LINES: list[tuple[str, str]] = [(text, kind) for text, kind in CASES["fresh_alarm"]]
FRESH_BENIGN_LINES: list[str] = CASES["fresh_benign"]


@pytest.mark.parametrize("text", BLIND_BATCH_CRISIS_LINES)
def test_blind_batch_miss_is_now_detected(text):
    assert get_detector().detect(text).kind == CRISIS


@pytest.mark.parametrize("text", BLIND_BATCH_BENIGN_LINES)
def test_blind_batch_neighbour_raises_no_alarm(text):
    assert get_detector().detect(text).kind not in (CRISIS, EMERGENCY)


def test_tables_are_large_enough():
    alarms = EMERGENCY_LINES + CRISIS_LINES + INFORMATIONAL_CRISIS_LINES + AMBIVALENT_CRISIS_LINES
    assert len(alarms) >= 150
    assert len(BENIGN_LINES) >= 100
    assert len(FRESH_ALARM_LINES) >= 40 and len(FRESH_BENIGN_LINES) >= 40


@pytest.mark.parametrize("text", EMERGENCY_LINES)
def test_emergency_is_detected_as_emergency(text):
    assert detect(text).kind == EMERGENCY


@pytest.mark.parametrize("text", CRISIS_LINES)
def test_crisis_is_detected_as_crisis(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", INFORMATIONAL_CRISIS_LINES)
def test_informational_question_naming_suicide_or_overdose_gets_crisis_resources(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", AMBIVALENT_CRISIS_LINES)
def test_ambivalence_and_denied_intent_are_still_answered_as_crisis(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", BENIGN_LINES)
def test_benign_line_raises_no_alarm(text):
    assert not detect(text).is_alarm


@pytest.mark.parametrize("text", IDIOM_ONLY_LINES)
def test_idiom_only_message_is_labelled_idiom(text):
    assert detect(text).kind == IDIOM


def test_plain_benign_message_is_nothing():
    assert detect("how long does a TMS session take") == Detection(None, None)


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "...", "😂"])
def test_empty_or_symbol_only_message_is_not_an_alarm(text):
    assert not detect(text).is_alarm


def test_emergency_wins_over_crisis():
    assert detect("I want to die and I already took them").kind == EMERGENCY
    assert detect("i'm suicidal and i swallowed a bottle of pills").kind == EMERGENCY


def test_idiom_next_to_a_signal_does_not_hide_it():
    assert detect("this traffic is killing me").kind == IDIOM
    assert detect("this traffic is killing me and honestly I want to die").kind == CRISIS
    assert detect("I'm dying to know, I took too many pills").kind == EMERGENCY


def test_denial_covers_only_its_own_clause():
    assert not detect("I'm not suicidal").is_alarm
    assert detect("I'm not suicidal. I want to kill myself").kind == CRISIS
    assert detect("not sure if I'm suicidal").kind == CRISIS
    assert detect("no, I am suicidal").kind == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "I never had suicidal thoughts until I started Zoloft",
        "I never had suicidal thoughts, but now I do",
        "I have never thought about killing myself until now",
        "no suicidal thoughts but my daughter is struggling",
        "I'm not suicidal, my son is.",
    ],
)
def test_denial_limited_in_time_or_moved_to_someone_else_is_not_a_denial(text):
    assert detect(text).kind == CRISIS


def test_hypothetical_seizure_question_is_not_an_emergency_but_a_seizure_now_is():
    assert not detect("what should I do if someone is having a seizure").is_alarm
    assert detect("someone is having a seizure").kind == EMERGENCY
    assert detect("what do I do if he is having a seizure right now").kind == EMERGENCY


def test_crisis_at_the_end_of_a_long_message_is_found():
    filler = "I have a question about TMS scheduling and insurance coverage. " * 1500
    assert detect(filler + "I want to end my life").kind == CRISIS
    assert detect("I took too many pills. " + filler).kind == EMERGENCY
    assert not detect(filler).is_alarm


def test_detection_names_a_family_and_never_the_words():
    detection = detect("I'm going to hang myself")
    assert detection.kind == CRISIS
    assert detection.pattern in get_detector().family_names(CRISIS)
    assert set(vars(detection)) == {"kind", "pattern", "mention", "sure"}  # a family name and flags, no words
    assert "hang" not in detection.pattern


def test_every_family_name_is_unique_and_method_free():
    detector = get_detector()
    names = [n for kind in (EMERGENCY, CRISIS, IDIOM) for n in detector.family_names(kind)]
    assert len(names) == len(set(names))
    methods = {"hang", "hanging", "jump", "gun", "shoot", "rope", "bleach", "cut", "cutting"}
    for name in names:
        assert not methods & set(name.split("_")), name


def test_lexicon_is_compiled_once_per_process():
    assert get_detector() is get_detector()


@pytest.mark.parametrize("text, kind", FRESH_ALARM_LINES)
def test_fresh_batch_alarm_is_detected_with_its_kind(text, kind):
    assert detect(text).kind == kind


@pytest.mark.parametrize("text", FRESH_BENIGN_LINES)
def test_fresh_batch_benign_line_raises_no_alarm(text):
    assert not detect(text).is_alarm


# ----------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("I don't want to live", "i do not want to live"),
        ("I can't, I won't", "i can not | i will not"),
        ("my mom's pills", "my mom s pills"),
        ("I\u2019m done", "i am done"),
        ("i wannnnna dieeee", "i want to die"),
        ("killlll myselfff", "kill myself"),
        ("k1ll mys3lf", "kill myself"),
        ("0verdose", "overdose"),
        ("30pills", "30 pills"),
        ("500mg at 10am", "500mg at 10am"),
        ("OD'd", "overdosed"),
        ("that is odd", "that is odd"),
        ("self-harm", "self harm"),
        ("ｓｕｉｃｉｄｅ", "suicide"),
        ("s\u0443icide", "suicide"),  # Cyrillic u
        ("d\u0301ie", "die"),  # combining accent
        ("s u i c i d e", "suicide"),
        ("sucide", "suicide"),
        ("Hello!!  World?", "hello | world"),
        ("I want to die!!!", "i want to die"),
        ("help me$", "help me"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


# ----------------------------------------------------------------------------- speed-up safety
def _detectors():
    lexicon = load_lexicon()
    return CrisisDetector(lexicon, gate_above=0), CrisisDetector(lexicon, gate_above=10**9)


def test_matching_near_anchors_agrees_with_matching_the_whole_text():
    """Long messages are matched only around each pattern's anchor words; that shortcut must
    never change a result."""
    gated, whole = _detectors()
    pool = (
        EMERGENCY_LINES
        + CRISIS_LINES
        + BENIGN_LINES
        + [text for text, _ in FRESH_ALARM_LINES]
        + FRESH_BENIGN_LINES
    )
    rng = random.Random(20261125)
    separators = [". ", ", ", " ", " and ", "\n", "... ", " - "]
    samples = list(pool)
    for _ in range(400):
        parts = rng.sample(pool, rng.randint(2, 10))
        samples.append("".join(p + rng.choice(separators) for p in parts))
    for text in samples:
        assert gated.detect(text) == whole.detect(text), text


def test_every_pattern_has_anchor_words():
    """A pattern without anchor words (e.g. one made only of gaps) still works but reads
    every long message whole; keep them anchored so 100 kB messages stay fast."""
    detector = get_detector()
    unanchored = [
        (family.name, index)
        for families in detector._families.values()
        for family in families
        for index, pattern in enumerate(family.patterns)
        if pattern.words is None
    ]
    assert unanchored == []


# ----------------------------------------------------------------------------- lexicon checks
def test_lexicon_rejects_a_bare_yaml_no():
    lexicon = load_lexicon()
    lexicon["negation"] = {**lexicon["negation"], "np_cues": [False, "zero"]}
    with pytest.raises(LexiconError):
        CrisisDetector(lexicon)


def test_lexicon_rejects_an_unknown_macro():
    lexicon = load_lexicon()
    lexicon["crisis"] = lexicon["crisis"] + [{"name": "broken", "patterns": [r"\b{NOPE}\b"]}]
    with pytest.raises(LexiconError):
        CrisisDetector(lexicon)


def test_a_remembered_answer_is_the_computed_one_and_long_messages_are_not_remembered():
    detector = CrisisDetector(load_lexicon())
    texts = ["I want to end it all", "what is tms", "I'm dying to know the cost", "i took 30 pills"]
    first = [detector.detect(t) for t in texts]
    assert first == [detector._detect(t) for t in texts]
    assert [d.kind for d in first] == [CRISIS, None, IDIOM, EMERGENCY]
    assert [detector.detect(t) for t in texts] == first  # from memory now
    assert detector._recent.cache_info().hits == len(texts)
    long_text = "tell me about tms " * 200 + "I want to kill myself"
    assert detector.detect(long_text).kind == CRISIS
    assert detector.detect(long_text).kind == CRISIS
    assert detector._recent.cache_info().currsize == len(texts)


@pytest.mark.parametrize(
    "text,retracts",
    [
        ("jk jk just a bad day. how much does an eval cost", True),
        ("lol nvm i'm fine", True),
        ("era broma, estoy bien", True),
        ("I didn't mean it, forget what I said", True),
        ("how much does an evaluation cost?", False),
        ("yes", False),
        ("kind of. sometimes. at night mostly", False),
    ],
)
def test_taking_back_what_was_said_is_recognised(text, retracts):
    assert get_detector().retracts(text) is retracts


@pytest.mark.parametrize(
    "text,leans",
    [
        ("kinda. what should I do", True),
        ("yes, how do I get help", True),
        ("sí, a veces", True),
        ("I do", True),
        ("maybe? idk", True),
        ("it's for a research paper, what does the evidence say?", False),
        ("do you see patients in Washington?", False),
        ("I was wondering how long tms takes", False),
        ("no, nothing like that", False),
    ],
)
def test_an_answer_to_the_check_in_that_leans_to_yes_is_recognised(text, leans):
    assert get_detector().leans_yes(text) is leans


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to suicide prevention training at work next week",
        "what happens if I am suicidal during treatment?",
        "I was suicidal in college, I'm fine now",
        "suicidal thoughts: can TMS help?",
        "I'm not suicidal, just curious about TMS",
        "I work with suicidal patients all day",
        "my husband worries I'm suicidal because I sleep all day but I'm not",
        "now I'm worried she thinks I'm suicidal",
        "my brother tells people i'm suicidal to get attention. i'm not, i'm tired",
    ],
)
def test_a_topic_a_question_or_the_past_is_never_a_sure_statement(text):
    """`sure` families bypass the risk model's doubt, so they hold present statements only."""
    assert not detect(text).sure
