"""Answers a topic question from the knowledge base, with sources and the deferral.

A topic's answer is short enough for the chat widget (its lead). When the topic has more
(`detail`), the reply carries a "Tell me more" quick reply whose payload asks for that
topic's detail (intent `more_detail`, entity `detail_topic`); a typed "tell me more" asks
for the detail of the last topic answered.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from practice.knowledge.answer_text import compose
from practice.knowledge.loader import FALLBACK_TOPIC, KnowledgeBase, Topic, knowledge_base

BOOKING_PAYLOAD = "/booking_evaluation"
# The risk record's source for a factual mention of suicide, self-harm or overdose, and the
# flag staff see on the answer it got (rasa_ext/nlu/risk_classifier.py).
MENTION_SOURCE = "lexicon_mention"
MENTION_FLAG = "crisis_mention"
DETAIL_INTENT = "more_detail"
DETAIL_ENTITY = "detail_topic"
CALLBACK_TOPIC = "handoff.human"
CALLBACK_OFFERED = "callback_offered"


def detail_payload(topic_id: str) -> str:
    return f'/{DETAIL_INTENT}{{"{DETAIL_ENTITY}": "{topic_id}"}}'


def booking_buttons(kb: KnowledgeBase, topic: Topic) -> List[Dict[str, str]]:
    if not topic.offer_booking:
        return []
    return [{"title": kb.phrases["booking_button"], "payload": BOOKING_PAYLOAD}]


def more_buttons(kb: KnowledgeBase, topic: Topic) -> List[Dict[str, str]]:
    if not topic.detail:
        return []
    return [{"title": kb.phrases["more_button"], "payload": detail_payload(topic.id)}]


def factual_mention_line(kb: KnowledgeBase, tracker: Optional[Tracker]) -> Optional[str]:
    """The 988 line for a message that names suicide, self-harm or overdose as a topic.

    The risk classifier marks such a message (risk source ``lexicon_mention``: a factual
    question, a family history, a past long gone); it gets its answer with this line added.
    """
    risk = ((tracker.latest_message if tracker else None) or {}).get("risk") or {}
    if risk.get("source") != MENTION_SOURCE:
        return None
    return kb.phrases["mention_crisis_line_es" if risk.get("spanish") else "mention_crisis_line"]


def with_mention_line(
    kb: KnowledgeBase, tracker: Optional[Tracker], text: str, flags: Optional[List[str]]
) -> Tuple[str, Optional[List[str]]]:
    """The answer text and flags, with the 988 line and the staff flag for a factual mention."""
    line = factual_mention_line(kb, tracker)
    if line is None:
        return text, flags
    return f"{text}\n\n{line}", [*(flags or []), MENTION_FLAG]


def utter_topic(
    dispatcher: CollectingDispatcher,
    topic: Topic,
    tracker: Optional[Tracker] = None,
    offer_callback: bool = False,
    **extra: Any,
) -> None:
    kb = knowledge_base()
    text, flags = with_mention_line(
        kb, tracker, compose(kb, topic), ["fallback"] if topic.id == FALLBACK_TOPIC else None
    )
    buttons = more_buttons(kb, topic) + booking_buttons(kb, topic)
    if offer_callback:  # "talk to a person": offer to take a call-back request (actions/callback.py)
        from actions import callback

        text, buttons = f"{text}\n\n{callback.say('offer')}", buttons + callback.offer_buttons()
    dispatcher.utter_message(
        text=text,
        buttons=buttons,
        json_message=contract.payload(topic.id, topic.sources, flags=flags, **extra),
    )


def utter_detail(dispatcher: CollectingDispatcher, topic: Topic) -> None:
    """The topic's detail, with its sources and the deferral like every answer; a topic
    with nothing more says so and points to the contact details."""
    kb = knowledge_base()
    if topic.detail:
        text = compose(kb, topic, body=topic.detail)
    else:
        text = "\n\n".join([kb.phrases["no_more_detail"], kb.phrases["contact_line"]])
        if contract.defers_to_clinician(topic.id):
            text += "\n\n" + kb.phrases["deferral"]
    dispatcher.utter_message(
        text=text,
        buttons=booking_buttons(kb, topic),
        json_message=contract.payload(topic.id, topic.sources),
    )


def detail_topic(kb: KnowledgeBase, tracker: Tracker) -> Topic:
    """The topic the visitor wants more on: the button's entity, else the last topic answered."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == DETAIL_ENTITY and entity.get("value") in kb.topics:
            return kb.topic(entity["value"])
    last = tracker.get_slot("last_topic")
    return kb.topic(last) if last in kb.topics else kb.topic(FALLBACK_TOPIC)


class ActionAnswer(Action):
    """Maps the predicted intent to its topic and answers it."""

    def name(self) -> Text:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        offer = False
        if intent == DETAIL_INTENT:
            topic = detail_topic(knowledge_base(), tracker)
            utter_detail(dispatcher, topic)
        else:
            topic = knowledge_base().topic_for_intent(intent)
            offer = topic.id == CALLBACK_TOPIC and not (tracker.active_loop or {}).get("name")
            utter_topic(dispatcher, topic, tracker, offer_callback=offer)
        # Any other answer closes an open "which medication?" question.
        events = [SlotSet("last_topic", topic.id), SlotSet("pending_medication_question", None)]
        if offer or tracker.get_slot(CALLBACK_OFFERED):  # the offer holds for the next answer only
            events.append(SlotSet(CALLBACK_OFFERED, True if offer else None))
        return events


class ActionCoreFallback(Action):
    """When no rule fits the conversation, answer as fallback and forget the message.

    Reverting the user turn (as Rasa's own default fallback does) returns the dialogue
    to a state the rules know, so the policies cannot loop on the fallback.
    """

    def name(self) -> Text:
        return "action_core_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        utter_topic(dispatcher, knowledge_base().topic(FALLBACK_TOPIC), tracker)
        return [UserUtteranceReverted()]
