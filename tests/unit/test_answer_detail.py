"""A short answer first, the detail on request: what the widget shows for "Tell me more".

Runs action_answer as the action server would, on the real knowledge base: the lead carries
a "Tell me more" quick reply whose payload names the topic; the payload (or a typed "tell me
more", read against the last topic answered) brings that topic's detail, still with its
sources written out, the deferral and the contract payload.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import DETAIL_ENTITY, DETAIL_INTENT, ActionAnswer, detail_payload
from practice.knowledge.loader import FALLBACK_TOPIC, knowledge_base

KB = knowledge_base()
TOPICS_WITH_DETAIL = sorted(t.id for t in KB.topics.values() if t.detail)


def run_action(
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    last_topic: str | None = None,
    text: str = "",
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    tracker = Tracker(
        "visitor-1",
        {"last_topic": last_topic},
        latest,
        [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def parse_payload(payload: str) -> dict[str, Any]:
    """How Rasa reads a button payload ("/intent{json}") before any NLU runs."""
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.nlu.training_data.message import Message

    message = Message.build(text=payload)
    parsed = RegexMessageHandler().process([message])[0]
    return {"intent": parsed.get("intent"), "entities": parsed.get("entities") or []}


def test_topics_with_more_to_say_include_the_clinical_ones() -> None:
    for topic_id in (
        "tms.overview",
        "tms.side_effects",
        "tms.serious_risks",
        "tms.daily_life",
        "tms.effectiveness",
        "meds.combination",
    ):
        assert topic_id in TOPICS_WITH_DETAIL


@pytest.mark.parametrize("topic_id", TOPICS_WITH_DETAIL)
def test_lead_offers_tell_me_more_for_the_same_topic(topic_id: str) -> None:
    topic = KB.topic(topic_id)
    messages, _ = run_action(topic.intent)
    (message,) = messages
    assert message["text"].startswith(topic.answer)
    assert topic.detail not in message["text"]
    more = [b for b in message["buttons"] if b["title"] == KB.phrases["more_button"]]
    assert more and more[0]["payload"] == detail_payload(topic_id)
    parsed = parse_payload(more[0]["payload"])
    assert parsed["intent"]["name"] == DETAIL_INTENT
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [(DETAIL_ENTITY, topic_id)]


@pytest.mark.parametrize("topic_id", TOPICS_WITH_DETAIL)
def test_tell_me_more_payload_gives_the_detail_with_sources_and_deferral(topic_id: str) -> None:
    topic = KB.topic(topic_id)
    entities = [{"entity": DETAIL_ENTITY, "value": topic_id}]
    messages, events = run_action(
        DETAIL_INTENT, entities, last_topic="clinic.contact", text=detail_payload(topic_id)
    )
    (message,) = messages
    assert message["text"].startswith(topic.detail)
    for source in topic.sources:
        assert source.url in message["text"]
    if topic_id.startswith(("tms.", "meds.")):
        assert KB.phrases["deferral"] in message["text"]
    custom = message["custom"]
    assert custom["topic"] == topic_id
    assert custom["sources"] == [s.as_payload() for s in topic.sources]
    assert not any(b["title"] == KB.phrases["more_button"] for b in message["buttons"])
    assert {"event": "slot", "timestamp": None, "name": "last_topic", "value": topic_id} in events


def test_typed_tell_me_more_answers_the_last_topic() -> None:
    messages, _ = run_action(DETAIL_INTENT, last_topic="tms.daily_life", text="tell me more")
    (message,) = messages
    assert message["text"].startswith(KB.topic("tms.daily_life").detail)
    assert message["custom"]["topic"] == "tms.daily_life"


def test_tell_me_more_without_more_says_so_and_gives_the_contact_details() -> None:
    messages, _ = run_action(DETAIL_INTENT, last_topic="clinic.contact", text="tell me more")
    (message,) = messages
    assert message["text"].startswith(KB.phrases["no_more_detail"])
    assert KB.clinic["contact"]["phone"] in message["text"]
    assert message["custom"]["topic"] == "clinic.contact"


def test_tell_me_more_with_nothing_before_it_is_a_fallback_turn() -> None:
    messages, _ = run_action(DETAIL_INTENT, text="tell me more")
    (message,) = messages
    assert message["text"].startswith(KB.phrases["no_more_detail"])
    assert message["custom"]["topic"] == FALLBACK_TOPIC


def test_an_unknown_topic_in_the_payload_is_not_trusted() -> None:
    entities = [{"entity": DETAIL_ENTITY, "value": "tms.made_up"}]
    messages, _ = run_action(
        DETAIL_INTENT, entities, last_topic="tms.overview", text='/more_detail{"detail_topic": "tms.made_up"}'
    )
    assert messages[0]["custom"]["topic"] == "tms.overview"
    assert re.search(r"\bnot meant\s+to cause a seizure\b", messages[0]["text"])
