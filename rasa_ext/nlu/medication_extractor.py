"""Rasa NLU component: finds the medications a visitor names and normalises them.

Runs right after SpacyTokenizer. The spaCy pipeline built by scripts/build_spacy_pipeline.py
already marks exact names (generic, brand, multi-word, any case) with its EntityRuler; this
component takes those, then looks at the remaining words for plurals and misspellings
("welbutrin", "seroquil") with practice/medications/catalog.py, and adds one `medication` entity
per medication named:

    {"entity": "medication", "value": "bupropion", "start": 19, "end": 31,
     "text": "welbutrin xl", "confidence_entity": 0.917, "extractor": "MedicationExtractor",
     "additional_info": {"mention": "welbutrin xl", "name": "Wellbutrin XL",
                         "class": "ndri", "edit_distance": 1}}

`value` is the generic name; `text` and `additional_info.mention` are what the visitor typed;
`additional_info.class` is the class id from knowledge/medications.yml. Rasa keeps these keys
in /model/parse and in the tracker, so the actions read them from latest_message.

Words for a whole class or family ("my benzo", "sleeping pills", "my antidepressant";
practice/medications/class_words.py) outside those names get a `medication_class` entity:

    {"entity": "medication_class", "value": "benzodiazepine", "start": 3, "end": 8,
     "text": "benzo", "additional_info": {"mention": "benzo", "classes": ["benzodiazepine"],
                                          "family": false, "edit_distance": 0}}

`value` is the class id, or the family id for a family word, whose `classes` are its members.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE, SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TEXT,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from practice.medications.catalog import ENTITY, MedicationMatcher, Mention, Token, default_matcher
from practice.medications.class_words import (
    CLASS_ENTITY,
    ClassMention,
    ClassWordMatcher,
    default_class_word_matcher,
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class MedicationExtractor(GraphComponent, EntityExtractorMixin):
    """Adds a `medication` entity (value: generic name) for each medication named."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Also match misspellings (edit distance) on words the EntityRuler left alone.
            "fuzzy": True,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "yaml"]

    def __init__(
        self,
        config: dict[str, Any],
        matcher: Optional[MedicationMatcher] = None,
        class_words: Optional[ClassWordMatcher] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._matcher = matcher
        self._class_words = class_words

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MedicationExtractor:
        # The matcher loads English word lists (about a second): do it when the model loads,
        # not on the first visitor's message.
        return cls(config, default_matcher(), default_class_word_matcher())

    @property
    def matcher(self) -> MedicationMatcher:
        if self._matcher is None:
            self._matcher = default_matcher()
        return self._matcher

    @property
    def class_words(self) -> ClassWordMatcher:
        if self._class_words is None:
            self._class_words = default_class_word_matcher()
        return self._class_words

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples pass through unchanged: nothing here is learned."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            mentions = self.find(text, message.get(SPACY_DOCS[TEXT]))
            words = self.find_class_words(text, mentions)
            found = self.add_extractor_name(
                [self._entity(text, m) for m in mentions] + [self._class_entity(w) for w in words]
            )
            existing = [
                e
                for e in message.get(ENTITIES, [])
                if e.get(ENTITY_ATTRIBUTE_TYPE) not in (ENTITY, CLASS_ENTITY) or not _overlaps_any(e, found)
            ]
            message.set(ENTITIES, existing + found, add_to_output=True)
        return messages

    def find(self, text: str, doc: Any = None) -> list[Mention]:
        """Medications in the text: the EntityRuler's spans, then the words left over."""
        matcher = self.matcher
        if doc is None or len(doc.text) != len(text):
            # No spaCy doc (or lower-casing changed the length): match on the text alone.
            return self._filter(matcher.find(text))
        tokens: list[Token] = [(t.idx, t.idx + len(t.text), text[t.idx : t.idx + len(t.text)]) for t in doc]
        mentions: list[Mention] = []
        covered: set[int] = set()
        for ent in doc.ents:
            if ent.label_ != "MEDICATION":
                continue
            typed = text[ent.start_char : ent.end_char]
            name = matcher.lookup_exact(typed)
            if name is None or (ent.ent_id_ and ent.ent_id_ != name.generic):
                continue  # pipeline built from an older medications.yml: trust the file
            mentions.append(Mention(ent.start_char, ent.end_char, typed, name, 0))
            covered.update(range(ent.start, ent.end))
        rest = matcher.find_in_tokens(text, tokens, covered)
        return self._filter(sorted(mentions + rest, key=lambda m: m.start))

    def find_class_words(self, text: str, mentions: list[Mention]) -> list[ClassMention]:
        """Class and family words outside the medication names already found."""
        words = self.class_words.find(text, [(m.start, m.end) for m in mentions])
        if self._config.get("fuzzy", True):
            return words
        return [w for w in words if w.distance == 0]

    def _filter(self, mentions: list[Mention]) -> list[Mention]:
        if self._config.get("fuzzy", True):
            return mentions
        return [m for m in mentions if m.distance == 0]

    @staticmethod
    def _entity(text: str, mention: Mention) -> dict[str, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: ENTITY,
            ENTITY_ATTRIBUTE_START: mention.start,
            ENTITY_ATTRIBUTE_END: mention.end,
            ENTITY_ATTRIBUTE_VALUE: mention.generic,
            ENTITY_ATTRIBUTE_TEXT: mention.text,
            ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: mention.confidence,
            "additional_info": {
                "mention": mention.text,
                "name": mention.name.name,
                "class": mention.class_id,
                "edit_distance": mention.distance,
            },
        }

    @staticmethod
    def _class_entity(word: ClassMention) -> dict[str, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: CLASS_ENTITY,
            ENTITY_ATTRIBUTE_START: word.start,
            ENTITY_ATTRIBUTE_END: word.end,
            ENTITY_ATTRIBUTE_VALUE: word.target,
            ENTITY_ATTRIBUTE_TEXT: word.text,
            ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: word.confidence,
            "additional_info": _class_entity_info(word),
        }


def _class_entity_info(word: ClassMention) -> dict[str, Any]:
    return {
        "mention": word.text,
        "classes": list(word.classes),
        "family": word.is_family,
        "edit_distance": word.distance,
    }


def _overlaps_any(entity: dict[str, Any], others: list[dict[str, Any]]) -> bool:
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if start is None or end is None:
        return False
    return any(start < o[ENTITY_ATTRIBUTE_END] and o[ENTITY_ATTRIBUTE_START] < end for o in others)
