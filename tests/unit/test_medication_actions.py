"""action_answer_medications: what a visitor reads when they name their medication(s).

Messages go through the real MedicationExtractor (as in /model/parse) to build the
tracker's latest message, then through the action, and the reply is checked against
docs/product_rules.md: by class, hedged, sources linked, the never-change line, the contract payload.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.medications import PENDING_SLOT, ActionAnswerMedications, recognised_medications
from practice.knowledge.loader import knowledge_base
from practice.medications.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
NEVER_CHANGE = re.compile(
    r"tell your TMS team and your prescriber about every medication and supplement.*"
    r"Never start, stop or change a medication on your own",
    re.S,
)


def parse(text: str, intent: str = "meds_specific") -> dict[str, Any]:
    """The parse data Rasa would put in the tracker (entities from the real extractor)."""
    from rasa.shared.nlu.training_data.message import Message

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    message = Message.build(text=text)
    MedicationExtractor({}).process([message])
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.93},
        "entities": message.get("entities") or [],
    }


def run(
    text: str,
    intent: str = "meds_specific",
    slots: dict[str, Any] | None = None,
    latest: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    latest = latest or parse(text, intent)
    tracker = Tracker(
        "visitor-1",
        {"last_topic": None, PENDING_SLOT: None, **(slots or {})},
        latest,
        [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerMedications().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def payload_and_text(messages: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    customs = [m["custom"] for m in messages if m.get("custom")]
    assert len(customs) == 1, "exactly one contract payload per turn"
    return customs[0], " ".join(m.get("text") or "" for m in messages)


def slot(events: list[dict[str, Any]], name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    assert values, f"slot {name} not set"
    return values[-1]


def assert_clinical_answer(payload: dict[str, Any], text: str) -> None:
    assert payload["topic"] == "meds.specific"
    assert payload["defer_to_clinician"] is True
    assert payload["sources"], "meds.* answers always cite a source"
    for source in payload["sources"]:
        assert source["url"].startswith("https://") and source["url"] in text
    assert knowledge_base().phrases["deferral"] in text
    assert not advice_violations(text), advice_violations(text)
    assert "{{" not in text and "}}" not in text


def advice_violations(text: str) -> list[str]:
    from tests.unit.test_knowledge_base import advice_violations as check

    return check(text)


# ----------------------------------------------------------------------------- one medication
def test_single_medication_is_answered_by_its_class_with_its_sources() -> None:
    messages, events = run("can I take Wellbutrin during TMS")
    payload, text = payload_and_text(messages)
    assert_clinical_answer(payload, text)
    assert payload["medications"] == [{"name": "bupropion", "mention": "Wellbutrin", "class": "ndri"}]
    ndri = CATALOG.classes["ndri"]
    assert "Wellbutrin (bupropion) is in the NDRI antidepressant group." in text
    assert ndri.note in text
    assert CATALOG.evidence["low"] in text  # "The evidence here is limited."
    assert [s["url"] for s in payload["sources"]] == [knowledge_base().sources[s].url for s in ndri.sources]
    assert NEVER_CHANGE.search(text)
    assert slot(events, "last_topic") == "meds.specific"
    assert slot(events, PENDING_SLOT) is None


@pytest.mark.parametrize("class_id", sorted(CATALOG.classes))
def test_every_class_answer_is_hedged_sourced_and_safe(class_id: str) -> None:
    med_class = CATALOG.classes[class_id]
    generic = med_class.generics[0]
    payload, text = payload_and_text(run(f"is {generic} ok with tms")[0])
    assert_clinical_answer(payload, text)
    assert payload["medications"] == [{"name": generic, "mention": generic, "class": class_id}]
    assert med_class.label in text and med_class.note in text
    assert CATALOG.evidence[med_class.evidence] in text
    assert NEVER_CHANGE.search(text)


def test_weak_evidence_is_said_plainly() -> None:
    for level, sentence in CATALOG.evidence.items():
        if level != "moderate":
            assert re.search(r"\b(limited|very little|don't agree)\b", sentence), level


def test_misspelt_medication_says_how_it_was_read() -> None:
    payload, text = payload_and_text(run("can I keep taking welbutrin xl during tms")[0])
    assert payload["medications"] == [{"name": "bupropion", "mention": "welbutrin xl", "class": "ndri"}]
    assert 'I read "welbutrin xl" as Wellbutrin XL (bupropion)' in text


# ----------------------------------------------------------------------------- several
def test_several_medications_get_one_combined_answer() -> None:
    messages, _ = run("I'm on Lexapro and Xanax, is TMS ok?")
    payload, text = payload_and_text(messages)
    assert len(messages) == 1
    assert_clinical_answer(payload, text)
    assert payload["medications"] == [
        {"name": "escitalopram", "mention": "Lexapro", "class": "ssri"},
        {"name": "alprazolam", "mention": "Xanax", "class": "benzodiazepine"},
    ]
    assert "Lexapro (escitalopram) is in the SSRI antidepressant group." in text
    assert "Xanax (alprazolam) is in the benzodiazepine group." in text
    ids = list(CATALOG.classes["ssri"].sources) + list(CATALOG.classes["benzodiazepine"].sources)
    assert [s["url"] for s in payload["sources"]] == [knowledge_base().sources[i].url for i in ids]
    assert len(NEVER_CHANGE.findall(text)) == 1


def test_medications_of_one_class_are_grouped_and_repeats_counted_once() -> None:
    payload, text = payload_and_text(run("zoloft, lexapro and my sertraline again, plus adderal")[0])
    assert [m["name"] for m in payload["medications"]] == ["sertraline", "escitalopram", "amphetamine"]
    assert "Zoloft (sertraline) and Lexapro (escitalopram) are in the SSRI antidepressant group." in text
    assert text.count(CATALOG.classes["ssri"].note) == 1
    assert len(payload["sources"]) == len({s["url"] for s in payload["sources"]})


# ----------------------------------------------------------------------------- class words
def test_a_class_word_is_answered_by_its_class() -> None:
    messages, events = run("I take a benzo at night, will it get in the way of TMS?")
    payload, text = payload_and_text(messages)
    assert_clinical_answer(payload, text)
    benzo = CATALOG.classes["benzodiazepine"]
    assert payload["medications"] == []
    assert payload["medication_classes"] == ["benzodiazepine"]
    assert 'By "benzo" I understand the benzodiazepine group.' in text
    assert benzo.note in text and CATALOG.evidence[benzo.evidence] in text
    assert [s["url"] for s in payload["sources"]] == [knowledge_base().sources[i].url for i in benzo.sources]
    assert NEVER_CHANGE.search(text)
    assert slot(events, PENDING_SLOT) is None


@pytest.mark.parametrize("family_id", sorted(CATALOG.families))
def test_a_family_word_gets_the_family_note_and_an_offer_to_say_more(family_id: str) -> None:
    family = CATALOG.families[family_id]
    term = next(w.term for w in CATALOG.class_words.values() if w.target == family_id)
    payload, text = payload_and_text(run(f"can I keep taking my {term} during TMS")[0])
    assert_clinical_answer(payload, text)
    assert payload["medication_classes"] == list(family.classes)
    assert family.note in text and CATALOG.evidence[family.evidence] in text
    assert all(CATALOG.classes[c].label in text for c in family.classes)
    assert CATALOG.phrases["family_which"] in text
    assert [s["url"] for s in payload["sources"]] == [knowledge_base().sources[i].url for i in family.sources]


def test_names_and_class_words_together_list_every_class_once() -> None:
    payload, text = payload_and_text(
        run("I'm on Zoloft, my SSRI, plus a mood stabiliser and sleeping pills")[0]
    )
    assert [m["name"] for m in payload["medications"]] == ["sertraline"]
    assert payload["medication_classes"] == ["ssri", "mood_stabilizer", "sleep_aid"]
    assert text.count(CATALOG.classes["ssri"].note) == 1  # "my SSRI" is the Zoloft answer
    assert 'By "mood stabiliser" I understand the mood stabilizer group.' in text
    assert CATALOG.phrases["intro_several"] in text


def test_a_named_medication_answer_lists_its_class() -> None:
    payload, _ = payload_and_text(run("can I take Wellbutrin during TMS")[0])
    assert payload["medication_classes"] == ["ndri"]


def test_class_words_are_found_in_the_text_when_nlu_gave_no_entities() -> None:
    latest = {"text": "my adhd meds and tms", "intent": {"name": "meds_specific"}, "entities": []}
    payload, _ = payload_and_text(run("my adhd meds and tms", latest=latest)[0])
    assert payload["medication_classes"] == ["stimulant"]


def test_a_class_entity_that_does_not_match_its_text_is_ignored() -> None:
    latest = {
        "text": "what about foo and tms",
        "intent": {"name": "meds_specific"},
        "entities": [{"entity": "medication_class", "value": "ssri", "start": 11, "end": 14}],
    }
    payload, text = payload_and_text(run("what about foo and tms", latest=latest)[0])
    assert payload["medication_classes"] == []
    assert re.search(r"which medication", text, re.I)


# ----------------------------------------------------------------------------- unknown / none
@pytest.mark.parametrize(
    "text,named",
    [
        ("can I keep taking my thyroid pill during tms", "your thyroid pill"),
        ("I take levothyroxine, is TMS ok?", "levothyroxine"),
    ],
)
def test_medication_not_in_the_list_is_not_guessed(text: str, named: str) -> None:
    messages, events = run(text)
    payload, reply = payload_and_text(messages)
    assert_clinical_answer(payload, reply)
    assert payload["medications"] == []
    assert f"I don't have information on {named}" in reply
    assert "prescriber" in reply
    assert not any(c.label in reply for c in CATALOG.classes.values())
    assert slot(events, PENDING_SLOT) is None


def test_known_and_unknown_together_answers_the_known_and_defers_on_the_other() -> None:
    payload, text = payload_and_text(run("I take Zoloft and levothyroxine")[0])
    assert [m["name"] for m in payload["medications"]] == ["sertraline"]
    assert "I don't have information on levothyroxine" in text
    assert "SSRI antidepressant" in text


def test_no_medication_asks_which_and_remembers_the_question() -> None:
    messages, events = run(
        "/meds_specific",
        latest={
            "text": "/meds_specific",
            "intent": {"name": "meds_specific", "confidence": 1.0},
            "entities": [],
        },
    )
    payload, text = payload_and_text(messages)
    assert_clinical_answer(payload, text)
    assert payload["medications"] == []
    assert re.search(r"which medication[^?]*\?", text, re.I)
    assert [s["url"] for s in payload["sources"]] == [knowledge_base().sources["combo_meta_2014"].url]
    assert slot(events, PENDING_SLOT) is True


def test_the_next_message_naming_a_medication_completes_the_question() -> None:
    _, events = run("can I keep taking my medication during tms")
    assert slot(events, PENDING_SLOT) is True
    messages, events = run("Zoloft", intent="inform", slots={PENDING_SLOT: True})
    payload, text = payload_and_text(messages)
    assert_clinical_answer(payload, text)
    assert payload["medications"] == [{"name": "sertraline", "mention": "Zoloft", "class": "ssri"}]
    assert slot(events, PENDING_SLOT) is None


def test_follow_up_lithium_is_answered_for_lithium() -> None:
    payload, text = payload_and_text(run("lithium?", intent="inform")[0])
    assert payload["medications"] == [{"name": "lithium", "mention": "lithium", "class": "mood_stabilizer"}]
    assert "Lithium is in the mood stabilizer group." in text
    assert CATALOG.evidence["very low"] in text


# ----------------------------------------------------------------------------- entities
def test_entities_are_read_as_rasa_delivers_them() -> None:
    latest = parse("is seroquil ok")
    (entity,) = latest["entities"]
    assert {"entity", "start", "end", "value", "text", "additional_info", "extractor"} <= set(entity)
    assert [m.generic for m in recognised_medications(latest)] == ["quetiapine"]
    # without the extras only value/start/end survive: mention comes from the text
    bare = {**latest, "entities": [{k: entity[k] for k in ("entity", "start", "end", "value")}]}
    (mention,) = recognised_medications(bare)
    assert (mention.generic, mention.text) == ("quetiapine", "seroquil")


def test_an_entity_that_is_not_a_listed_generic_is_ignored() -> None:
    latest = {
        "text": "what about foo",
        "intent": {"name": "meds_specific"},
        "entities": [{"entity": "medication", "value": "foo", "start": 11, "end": 14}],
    }
    payload, text = payload_and_text(run("what about foo", latest=latest)[0])
    assert payload["medications"] == []
    assert re.search(r"which medication", text, re.I)


def test_medications_are_found_in_the_text_when_nlu_gave_no_entities() -> None:
    latest = {"text": "adderall and tms", "intent": {"name": "meds_specific"}, "entities": []}
    payload, _ = payload_and_text(run("adderall and tms", latest=latest)[0])
    assert [m["name"] for m in payload["medications"]] == ["amphetamine"]


# ----------------------------------------------------------------------------- wiring
def test_domain_declares_the_action_and_the_slot() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert "action_answer_medications" in domain["actions"]
    assert "medication" in domain["entities"]
    assert {"medication_class": {"influence_conversation": False}} in domain["entities"]
    pending = domain["slots"][PENDING_SLOT]
    assert pending["type"] == "bool" and pending["influence_conversation"] is True
    assert pending["mappings"] == [{"type": "custom"}]


def test_rules_send_medication_questions_and_follow_ups_to_the_action() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    domain = Domain.load(str(ROOT / "domain.yml"))
    steps = YAMLStoryReader(domain).read_from_file(ROOT / "data" / "rules" / "medications.yml")
    rules = {step.block_name: step for step in steps}
    assert len(rules) == 4
    for rule in rules.values():
        names = [getattr(e, "action_name", None) for e in rule.events]
        assert "action_answer_medications" in names
    condition = rules['after "which medication?", the next message completes the question']
    assert any(getattr(e, "key", None) == PENDING_SLOT and e.value is True for e in condition.events)
