"""Answers "can I take <medication> with TMS?" by the medication's class, with its sources.

The NLU pipeline (rasa_ext/nlu/medication_extractor.py) marks each medication the visitor
named with a `medication` entity whose value is the generic name. This action groups them
by class and answers from knowledge/medications.yml: the class note in plain words, how
strong the evidence is, the class's sources written out, and always the reminder to tell the
TMS team and the prescriber about every medication and never to change one alone.

- A class named by a word for it ("my benzo", "sleeping pills": a `medication_class`
  entity): that class's note, as for a named medication. A family word ("my antidepressant"):
  the family's note, its groups, and an offer to say more once the medication is named.
- No medication named: ask which one (the meds.specific answer) and remember the question in
  the slot `pending_medication_question`, so the next message ("Zoloft") completes it.

The payload's `medication_classes` lists the class ids the answer covers, in the order named:
the classes of the named medications, the classes named by a word, a family's member classes.
- A medicine that is not in the file ("my thyroid pill", "levothyroxine"): say there is no
  information on it here and defer to the prescriber. Never guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from actions.answers import booking_buttons, compose, with_mention_line
from practice.knowledge.loader import KnowledgeBase, Source, Topic, knowledge_base
from practice.medications.catalog import (
    ENTITY,
    MedicationCatalog,
    MedicationName,
    Mention,
    default_matcher,
    load_catalog,
    normalise,
)
from practice.medications.class_words import (
    CLASS_ENTITY,
    ClassMention,
    default_class_word_matcher,
)

# Build the matcher (English word lists, about a second) when the action server starts,
# not on a visitor's first medication question.
default_matcher()

TOPIC = "meds.specific"
PENDING_SLOT = "pending_medication_question"
# Cited when no class applies (asking which medication, or one not in the file).
DEFAULT_SOURCE_IDS = ("combo_meta_2014",)


def recognised_medications(
    latest_message: dict[str, Any], catalog: MedicationCatalog | None = None
) -> list[Mention]:
    """The medications the visitor named, one per generic name, in the order named.

    Read from the NLU's `medication` entities; if there are none (an older model, or a
    message injected without NLU), the same matcher runs on the text.
    """
    catalog = catalog or load_catalog()
    text = latest_message.get("text") or ""
    mentions: list[Mention] = []
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") != ENTITY:
            continue
        mention = _mention_from_entity(entity, text, catalog)
        if mention:
            mentions.append(mention)
    if not mentions and text:
        mentions = default_matcher().find(text)
    unique: dict[str, Mention] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        unique.setdefault(mention.generic, mention)
    return list(unique.values())


def recognised_class_words(
    latest_message: dict[str, Any], mentions: Sequence[Mention] = ()
) -> list[ClassMention]:
    """The class and family words the visitor used, one per class or family, in the order
    used, leaving out those a named medication already answers more precisely ("Zoloft, my
    SSRI": the Zoloft answer is the SSRI answer).

    Read from the NLU's `medication_class` entities; if there are none, the same matcher
    runs on the text (as for medications)."""
    matcher = default_class_word_matcher()
    text = latest_message.get("text") or ""
    words: list[ClassMention] = []
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") != CLASS_ENTITY:
            continue
        start, end = entity.get("start"), entity.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        found = matcher.lookup(text[start:end])
        if found and found[0].target == entity.get("value"):
            words.append(ClassMention(start, end, text[start:end], found[0], found[1]))
    if not any(e.get("entity") == CLASS_ENTITY for e in latest_message.get("entities") or []):
        words = matcher.find(text, [(m.start, m.end) for m in mentions])
    named = {m.class_id for m in mentions}
    unique: dict[str, ClassMention] = {}
    for word in sorted(words, key=lambda w: w.start):
        if set(word.classes) & named:
            continue
        unique.setdefault(word.target, word)
    return list(unique.values())


def covered_classes(mentions: Sequence[Mention], words: Sequence[ClassMention]) -> list[str]:
    """The class ids an answer covers, in the order named, each once."""
    ids: list[str] = []
    for class_id in [m.class_id for m in mentions] + [c for w in words for c in w.classes]:
        if class_id not in ids:
            ids.append(class_id)
    return ids


def _mention_from_entity(entity: dict[str, Any], text: str, catalog: MedicationCatalog) -> Mention | None:
    generic = catalog.lookup(str(entity.get("value") or ""))
    if generic is None or generic.generic != normalise(str(entity.get("value"))):
        return None  # not a generic name from the file: never guess
    info = entity.get("additional_info") or {}
    start, end = entity.get("start"), entity.get("end")
    typed = info.get("mention") or entity.get("text")
    if not typed and isinstance(start, int) and isinstance(end, int):
        typed = text[start:end]
    typed = typed or generic.name
    listed = catalog.lookup(str(info.get("name") or "")) or catalog.lookup(typed)
    if listed is None or listed.generic != generic.generic:
        listed = generic
    distance = 0
    if normalise(typed) != normalise(listed.name):
        distance = int(info.get("edit_distance") or 0)
    return Mention(
        start if isinstance(start, int) else 0,
        end if isinstance(end, int) else 0,
        typed,
        listed,
        distance,
    )


def display_name(name: MedicationName) -> str:
    """ "Lexapro (escitalopram)" for another name, "sertraline" for a generic name."""
    return name.name if name.is_generic else f"{name.name} ({name.generic})"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class MedicationAnswer:
    """Builds the text and the contract payload for one meds.specific turn."""

    def __init__(self, kb: KnowledgeBase, catalog: MedicationCatalog) -> None:
        self.kb = kb
        self.catalog = catalog
        self.topic = kb.topics.get(TOPIC)

    def default_sources(self) -> list[Source]:
        if self.topic and self.topic.sources:
            return list(self.topic.sources)
        return [self.kb.sources[s] for s in DEFAULT_SOURCE_IDS]

    def class_sources(self, mentions: Sequence[Mention], words: Sequence[ClassMention] = ()) -> list[Source]:
        ids: list[str] = []
        groups = [self.catalog.classes[m.class_id].sources for m in mentions] + [
            self._described(w).sources for w in words
        ]
        for sources in groups:
            for source_id in sources:
                if source_id not in ids:
                    ids.append(source_id)
        return [self.kb.sources[s] for s in ids]

    def _described(self, word: ClassMention) -> Any:
        """The class or the family a class word stands for."""
        if word.is_family:
            return self.catalog.families[word.target]
        return self.catalog.classes[word.target]

    def phrase(self, key: str, **values: Any) -> str:
        return self.kb.render(self.catalog.phrases[key], **values)

    def answer(
        self,
        mentions: Sequence[Mention],
        unlisted: Sequence[str],
        words: Sequence[ClassMention] = (),
    ) -> tuple[str, list[Source]]:
        """The body (before sources and deferral) and the sources to cite."""
        paragraphs: list[str] = []
        if len(mentions) + len(words) > 1:
            paragraphs.append(self.phrase("intro_several"))
        by_class: dict[str, list[Mention]] = {}
        for mention in mentions:
            by_class.setdefault(mention.class_id, []).append(mention)
        for class_id, members in by_class.items():
            paragraphs.append(self._class_paragraph(class_id, members))
        for word in words:
            paragraphs.append(self._word_paragraph(word))
        for mention in mentions:
            if mention.distance:
                paragraphs.append(self.phrase("read_as", typed=mention.text, name=display_name(mention.name)))
        if unlisted:
            paragraphs.append(self.phrase("unknown", names=_join(list(unlisted))))
        paragraphs.append(self.phrase("tell_the_team"))
        if mentions or words:
            sources = self.class_sources(mentions, words)
        else:
            sources = self.default_sources()
        return "\n\n".join(paragraphs), sources

    def _word_paragraph(self, word: ClassMention) -> str:
        described = self._described(word)
        evidence = self.catalog.evidence[described.evidence]
        if not word.is_family:
            intro = self.phrase("class_word", typed=word.text, label=described.label)
            return " ".join([intro, described.note, evidence])
        groups = _join([self.catalog.classes[c].label for c in described.classes])
        intro = self.phrase("family_word", typed=word.text, label=described.label, groups=groups)
        return " ".join([intro, described.note, evidence, self.phrase("family_which")])

    def _class_paragraph(self, class_id: str, members: Sequence[Mention]) -> str:
        med_class = self.catalog.classes[class_id]
        names = _join([display_name(m.name) for m in members])
        verb = "is" if len(members) == 1 else "are"
        return " ".join(
            [
                f"{names[0].upper()}{names[1:]} {verb} in the {med_class.label} group.",
                med_class.note,
                self.catalog.evidence[med_class.evidence],
            ]
        )

    def render(self, body: str, sources: Sequence[Source]) -> str:
        """The full text in the same shape as every other answer (actions.answers.compose)."""
        base = self.topic or Topic(id=TOPIC, intent="meds_specific", answer=body)
        topic = Topic(
            id=TOPIC,
            intent=base.intent,
            answer=body,
            sources=list(sources),
            offer_booking=base.offer_booking,
        )
        return compose(self.kb, topic)

    def buttons(self) -> list[dict[str, str]]:
        return booking_buttons(self.kb, self.topic) if self.topic else []

    def ask_which(self) -> str:
        return self.topic.answer if self.topic else self.phrase("tell_the_team")


class ActionAnswerMedications(Action):
    """Answers a question about the medication(s) the visitor named, by class."""

    def name(self) -> str:
        return "action_answer_medications"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        catalog = load_catalog()
        builder = MedicationAnswer(kb, catalog)
        latest = tracker.latest_message or {}
        mentions = recognised_medications(latest, catalog)
        words = recognised_class_words(latest, mentions)
        unlisted = default_matcher().find_unlisted(latest.get("text") or "", [*mentions, *words])

        pending: bool | None = None
        if mentions or words or unlisted:
            body, sources = builder.answer(mentions, unlisted, words)
        else:
            body, sources = builder.ask_which(), builder.default_sources()
            pending = True
        medications = [{"name": m.generic, "mention": m.text, "class": m.class_id} for m in mentions]
        text, flags = with_mention_line(kb, tracker, builder.render(body, sources), None)
        dispatcher.utter_message(
            text=text,
            buttons=builder.buttons(),
            json_message=contract.payload(
                TOPIC,
                sources,
                medications=medications,
                medication_classes=covered_classes(mentions, words),
                flags=flags,
            ),
        )
        return [SlotSet("last_topic", TOPIC), SlotSet(PENDING_SLOT, pending)]
