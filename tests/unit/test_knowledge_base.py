"""The knowledge base (knowledge/topics.yml + clinic.yml) as visitors will read it.

Loads the real files through KnowledgeBase and protects what docs/product_rules.md makes
non-negotiable: every catalog topic is answered, tms/meds answers cite and link their
sources and defer to a clinician, clinic facts come only from clinic.yml, and no answer
tells anyone to start, stop or change a medication, diagnoses, or rules on candidacy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.answers import booking_buttons, compose
from practice.knowledge.loader import (
    CLINIC_FILE,
    FALLBACK_TOPIC,
    KNOWLEDGE_DIR,
    KnowledgeBase,
    intent_for_topic,
)
from practice.paths import PROJECT_ROOT

# The topic catalog's ids, copied here on purpose: adding a topic to knowledge/topics.yml or
# dropping one is a deliberate change made in both places.
TOPIC_IDS = [
    "tms.overview",
    "tms.procedure",
    "tms.side_effects",
    "tms.serious_risks",
    "tms.candidates",
    "tms.safety_screening",
    "tms.daily_life",
    "tms.effectiveness",
    "tms.conditions",
    "tms.accelerated",
    "tms.insurance",
    "tms.availability",
    "meds.overview",
    "meds.combination",
    "meds.specific",
    "meds.stopping",
    "meds.management",
    "booking.evaluation",
    "booking.what_to_expect",
    "booking.manage",
    "clinic.services",
    "clinic.mbct",
    "clinic.telehealth",
    "clinic.location",
    "clinic.insurance",
    "clinic.contact",
    "clinic.privacy",
    "safety.crisis",
    "safety.emergency",
    "safety.medical_advice",
    "handoff.human",
    "chitchat.greet",
    "chitchat.goodbye",
    "chitchat.thanks",
    "chitchat.bot_challenge",
    "chitchat.capabilities",
    "fallback",
]

# Answered from the clinic configuration, so no article to cite (docs/response_contract.md).
SOURCELESS_CLINICAL_TOPICS = {"meds.management"}
SOURCED_TOPICS = [
    t for t in TOPIC_IDS if t.startswith(("tms.", "meds.")) and t not in SOURCELESS_CLINICAL_TOPICS
]
TOPICS_GIVING_CONTACT_DETAILS = [
    "clinic.contact",
    "handoff.human",
    "fallback",
    "booking.evaluation",
    "booking.manage",
    "chitchat.bot_challenge",
]
TOPICS_OFFERING_BOOKING = [
    "tms.candidates",
    "tms.availability",
    "tms.safety_screening",
    "meds.management",
    "safety.medical_advice",
    "clinic.services",
    "booking.what_to_expect",
]
TOPICS_NEVER_OFFERING_BOOKING = [
    "safety.crisis",
    "safety.emergency",
    "chitchat.goodbye",
    "chitchat.thanks",
    "fallback",
]
MAX_ANSWER_CHARS = 900  # read on a phone: a few sentences, not an article

# ----------------------------------------------------------------------------- advice check
# (pattern, negatable). A negatable pattern is allowed when a negation sits in the three
# words just before it in the same clause ("never stop or change a medication on your
# own", "please don't stop taking"). Candidacy and diagnosis statements are never allowed,
# negated or not: "you are not a candidate" is as much a ruling as "you are a candidate".
_MEDS = r"(?:medications?|medicines?|meds|antidepressants?|pills|doses?|dosage|prescriptions?)"
ADVICE_PATTERNS = [
    (
        r"\byou should (?:stop|start|keep|increase|decrease|reduce|lower|raise|double|change"
        r"|switch|quit|taper|skip|come off)\b",
        True,
    ),
    (r"\b(?:stop|quit|start|begin) taking\b", True),
    (
        r"\b(?:stop|quit|start|change|switch)(?: or (?:stop|change|start|switch))?"
        rf" (?:your|any|a|the|all|all your) {_MEDS}",
        True,
    ),
    (
        r"\b(?:increase|decrease|reduce|lower|raise|double|halve|cut|skip|adjust)"
        rf" (?:your|the) {_MEDS}",
        True,
    ),
    (r"\btaper (?:off|down)\b", True),
    (r"\byou (?:can|may) (?:safely )?(?:stop|quit|skip|come off)\b", True),
    (r"\byou(?: are|'re| aren't)(?: not)? (?:an? )?(?:\w+ )?candidate\b", False),
    (r"\byou (?:(?:do not|don't|would|will|would not|wouldn't|probably|likely) )?qualify\b", False),
    (
        r"(?<!whether )(?<!if )\b(?:tms|it) (?:is|would be|will be) (?:safe|right|suitable)"
        r" for you\b",
        False,
    ),
    (
        r"\byou (?:(?:probably|likely|may|might|clearly|don't|do not) )?(?:have|suffer from)"
        r" (?:major )?(?:depression|bipolar|anxiety|ocd|ptsd|adhd|schizophrenia|an? \w+ disorder)\b",
        False,
    ),
]
_NEGATION = re.compile(r"\b(?:never|not|no|don't|do not|doesn't|can't|cannot|won't)\b", re.I)
_CLAUSE_END = re.compile(r"[.!?;:\n]")


def _negated(text: str, start: int) -> bool:
    clause = _CLAUSE_END.split(text[:start])[-1]
    return bool(_NEGATION.search(" ".join(clause.split()[-3:])))


def advice_violations(text: str) -> list[str]:
    """The phrases in `text` that tell someone what to do with a medication, or rule on them."""
    found: list[str] = []
    for pattern, negatable in ADVICE_PATTERNS:
        for match in re.finditer(pattern, text, re.I):
            if negatable and _negated(text, match.start()):
                continue
            found.append(match.group(0))
    return found


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase()


@pytest.fixture(scope="module")
def raw_topics() -> dict:
    with open(KNOWLEDGE_DIR / "topics.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["topics"]


def _clinic() -> dict:
    with open(CLINIC_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ----------------------------------------------------------------------------- catalog
def test_every_catalog_topic_has_exactly_one_answer(kb: KnowledgeBase) -> None:
    missing = sorted(set(TOPIC_IDS) - set(kb.topics))
    unknown = sorted(set(kb.topics) - set(TOPIC_IDS))
    assert not missing, f"topics without an answer: {missing}"
    assert not unknown, f"answers for topics not in the catalog: {unknown}"


def test_every_source_id_resolves(raw_topics: dict) -> None:
    with open(KNOWLEDGE_DIR / "sources.yml", encoding="utf-8") as handle:
        known = set(yaml.safe_load(handle)["sources"])
    unknown = {tid: sorted(set(entry.get("sources") or []) - known) for tid, entry in raw_topics.items()}
    assert not {tid: ids for tid, ids in unknown.items() if ids}


def test_topic_intents_exist_in_domain_and_fallback_catches_nlu_fallback(
    kb: KnowledgeBase,
) -> None:
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        domain_intents = set(yaml.safe_load(handle)["intents"])
    intents = [t.intent for t in kb.topics.values()]
    assert len(intents) == len(set(intents)), "two topics share an intent"
    for topic in kb.topics.values():
        if topic.id == FALLBACK_TOPIC:
            continue
        assert topic.intent == intent_for_topic(topic.id)
        assert topic.intent in domain_intents, f"{topic.id}: intent {topic.intent} not in domain"
    assert kb.topic(FALLBACK_TOPIC).intent == "nlu_fallback"
    assert kb.topic_for_intent("nlu_fallback").id == FALLBACK_TOPIC
    assert kb.topic_for_intent("out_of_scope").id == FALLBACK_TOPIC


# ----------------------------------------------------------------------------- text quality
@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_answer_renders_to_clean_short_text(kb: KnowledgeBase, topic_id: str) -> None:
    answer = kb.topic(topic_id).answer
    assert answer and answer == answer.strip()
    assert not re.search(r"\{\{|\}\}|\{%|%\}", answer), "unrendered template syntax"
    assert "  " not in answer, "double space (check the {%- -%} around a template block)"
    assert not any(line != line.rstrip() for line in answer.splitlines()), "trailing spaces"
    assert len(answer) <= MAX_ANSWER_CHARS


@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_answer_leaves_citations_and_deferral_to_the_renderer(kb: KnowledgeBase, topic_id: str) -> None:
    answer = kb.topic(topic_id).answer
    assert kb.phrases["deferral"] not in answer
    assert kb.phrases["sources_heading"] not in answer
    assert "not medical advice" not in answer.lower()


# ----------------------------------------------------------------------------- sources + deferral
@pytest.mark.parametrize("topic_id", SOURCED_TOPICS)
def test_clinical_answer_links_every_source_and_defers(kb: KnowledgeBase, topic_id: str) -> None:
    topic = kb.topic(topic_id)
    assert topic.sources, f"{topic_id} cites no source"
    text = compose(kb, topic)
    for source in topic.sources:
        assert source.url in text
    assert kb.phrases["deferral"] in text


def test_meds_management_is_answered_from_the_clinic_and_still_defers(kb: KnowledgeBase) -> None:
    assert kb.phrases["deferral"] in compose(kb, kb.topic("meds.management"))


def test_crisis_topics_give_the_crisis_lines_and_cite_them(kb: KnowledgeBase) -> None:
    crisis = kb.topic("safety.crisis")
    assert {s.id for s in crisis.sources} >= {"lifeline_988", "samhsa_988"}
    for needed in ("988", "988lifeline.org", "HOME", "741741", "911"):
        assert needed in crisis.answer
    emergency = kb.topic("safety.emergency")
    assert emergency.sources
    for needed in ("911", "1-800-222-1222", "988"):
        assert needed in emergency.answer
    assert emergency.answer.index("911") < emergency.answer.index("988"), "911 comes first"


# ----------------------------------------------------------------------------- clinic facts
@pytest.mark.parametrize("topic_id", TOPICS_GIVING_CONTACT_DETAILS)
def test_contact_details_come_from_clinic_config(kb: KnowledgeBase, topic_id: str) -> None:
    answer = kb.topic(topic_id).answer
    assert kb.clinic["contact"]["phone"] in answer
    assert kb.clinic["contact"]["email"] in answer


def test_no_clinic_fact_is_typed_into_topics_file() -> None:
    raw = (KNOWLEDGE_DIR / "topics.yml").read_text(encoding="utf-8")
    clinic = _clinic()
    facts = [
        clinic["name"],
        clinic["contact"]["phone"],
        clinic["contact"]["email"],
        clinic["contact"]["hours"],
        clinic["based_in"],
        clinic["website"],
        *clinic["licensed_states"].values(),
    ]
    typed = [fact for fact in facts if fact.lower() in raw.lower()]
    assert not typed, f"use {{{{ clinic.* }}}} placeholders instead of: {typed}"


def test_answers_follow_a_changed_clinic_config(tmp_path: Path) -> None:
    """Every template branch must render (StrictUndefined) and track clinic.yml."""
    clinic = _clinic()
    clinic["name"] = "Example Psychiatry"
    clinic["contact"].update(phone="(555) 010-9999", email="hello@example.org", live_chat_staffed=True)
    clinic["delivers_tms"] = True
    clinic["insurance"]["known"] = True
    clinic["licensed_states"] = {"OR": "Oregon", "WA": "Washington", "ID": "Idaho"}
    clinic["services"] = [s for s in clinic["services"] if s["id"] != "mbct"]
    path = tmp_path / "clinic.yml"
    path.write_text(yaml.safe_dump(clinic), encoding="utf-8")

    changed = KnowledgeBase(knowledge_dir=KNOWLEDGE_DIR, clinic_file=path)

    assert set(changed.topics) == set(TOPIC_IDS)
    assert "Idaho" in changed.topic("clinic.location").answer
    assert "(555) 010-9999" in changed.topic("clinic.contact").answer
    assert "Example Psychiatry" in changed.topic("chitchat.greet").answer
    assert "nobody" not in changed.topic("handoff.human").answer.lower()
    assert clinic["tms_note"].strip() not in changed.topic("tms.availability").answer
    assert "doesn't offer MBCT" in changed.topic("clinic.mbct").answer
    assert "mindfulness" not in changed.topic("clinic.services").answer.lower()
    for topic in changed.topics.values():
        assert "  " not in topic.answer, topic.id


def test_default_clinic_says_tms_is_not_given_here_and_chat_is_not_watched(
    kb: KnowledgeBase,
) -> None:
    assert kb.clinic["delivers_tms"] is False
    assert " ".join(kb.clinic["tms_note"].split()) in kb.topic("tms.availability").answer
    assert kb.clinic["contact"]["live_chat_staffed"] is False
    assert re.search(r"\bnobody\b.*\blive\b", kb.topic("handoff.human").answer)


# ----------------------------------------------------------------------------- honesty, scope
def test_greeting_is_honest_about_what_the_assistant_is(kb: KnowledgeBase) -> None:
    greet = kb.topic("chitchat.greet").answer.lower()
    for needed in ("automated", "not a clinician", "988", "911", "reviewed", "evaluation"):
        assert needed in greet


def test_bot_challenge_admits_automation_and_gives_a_way_to_a_person(kb: KnowledgeBase) -> None:
    answer = kb.topic("chitchat.bot_challenge").answer
    assert "automated" in answer.lower() and "not a clinician" in answer.lower()
    assert kb.clinic["contact"]["phone"] in answer


def test_privacy_answer_covers_storage_review_and_deletion(kb: KnowledgeBase) -> None:
    answer = kb.topic("clinic.privacy").answer
    assert str(kb.clinic["privacy"]["retention_days"]) in answer
    assert kb.clinic["privacy"]["deletion_request"].strip() in answer
    assert "reviewed" in answer and kb.clinic["contact"]["email"] in answer


def test_meds_specific_without_a_name_asks_which_medication(kb: KnowledgeBase) -> None:
    answer = kb.topic("meds.specific").answer
    assert re.search(r"which medication[^?]*\?", answer, re.I)


@pytest.mark.parametrize("topic_id", TOPICS_OFFERING_BOOKING)
def test_booking_offered_where_an_evaluation_is_the_next_step(kb: KnowledgeBase, topic_id: str) -> None:
    topic = kb.topic(topic_id)
    assert topic.offer_booking and booking_buttons(kb, topic)
    assert kb.phrases["booking_offer"] in compose(kb, topic)


@pytest.mark.parametrize("topic_id", TOPICS_NEVER_OFFERING_BOOKING)
def test_no_booking_button_on_crisis_or_conversation_turns(kb: KnowledgeBase, topic_id: str) -> None:
    assert not booking_buttons(kb, kb.topic(topic_id))


# ----------------------------------------------------------------------------- no medical advice
@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_answer_gives_no_medication_instruction_diagnosis_or_candidacy_ruling(
    kb: KnowledgeBase, topic_id: str
) -> None:
    text = compose(kb, kb.topic(topic_id))
    assert not advice_violations(text)


ADVICE = [
    "You should stop taking your antidepressant before TMS.",
    "Stop taking Xanax the night before your session.",
    "Increase your dose if you feel worse.",
    "If TMS works, you can safely stop your meds.",
    "Switch your medication to bupropion.",
    "You are a good candidate for TMS.",
    "Sadly, you're not a candidate for TMS.",
    "You would qualify for TMS.",
    "You should keep taking lithium during TMS.",
    "TMS is safe for you.",
    "You probably have bipolar disorder.",
]
NOT_ADVICE = [
    "Never stop or change a medication on your own.",
    "Please don't stop or change any medication on your own, before or during TMS.",
    "Do not stop taking a medicine without talking to your prescriber.",
    "I can't tell you whether it is right for you.",
    "Tell your TMS team about every medication you take.",
    "They can often adjust the settings to make sessions more comfortable.",
    "Whether it fits a particular person is decided in an evaluation.",
    "Many people keep taking their antidepressant during TMS.",
]


@pytest.mark.parametrize("sentence", ADVICE)
def test_advice_check_catches_instructions_and_rulings(sentence: str) -> None:
    assert advice_violations(sentence)


@pytest.mark.parametrize("sentence", NOT_ADVICE)
def test_advice_check_allows_warnings_against_changing_medication(sentence: str) -> None:
    assert not advice_violations(sentence)


def test_hedged_evidence_stays_hedged(kb: KnowledgeBase) -> None:
    """Numbers from studies are reported as approximate, never as a promise."""
    assert re.search(r"\babout 0\.3\b", kb.topic("tms.serious_risks").answer)
    effectiveness = kb.topic("tms.effectiveness").answer
    assert re.search(r"\broughly 40 to 60%", effectiveness)
    assert "not everyone" in effectiveness
    promise = re.compile(r"\b(?:guarantee[sd]?|cures?|100% (?:safe|effective))\b", re.I)
    for topic in kb.topics.values():
        assert not promise.search(topic.answer), topic.id
