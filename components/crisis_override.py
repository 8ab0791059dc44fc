"""CrisisOverride: the deterministic crisis safety net inside the Rasa NLU pipeline.

Why: PRODUCT.md "Crisis first" says detection must not rest on the ML classifier alone. This
component runs last in the pipeline (after the intent classifier and FallbackClassifier) and applies
``components.crisis_detector`` to every message:

- a crisis or emergency signal sets the intent to ``safety_crisis`` / ``safety_emergency``
  with confidence 1.0, first in the ranking, whatever the ML predicted (nlu_fallback
  included), so the safety rules answer at once, in any state, forms included;
- a message that holds only benign idioms ("this traffic is killing me") but that the ML
  classified as a safety intent is given back its best other intent (or nlu_fallback);
- otherwise the ML prediction stands: an ML safety intent alone still raises the alarm.

Every decision is recorded as ``crisis_override`` on the message (part of /model/parse and of
the tracker's parse_data) so staff see why a turn was flagged: ``kind`` and ``pattern`` name
the signal family, never the words matched.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.crisis_detector import CRISIS, EMERGENCY, IDIOM, Detection, get_detector

logger = logging.getLogger(__name__)

CRISIS_OVERRIDE_KEY = "crisis_override"

CRISIS_INTENT_KEY = "crisis_intent"
EMERGENCY_INTENT_KEY = "emergency_intent"
DOWNGRADE_THRESHOLD_KEY = "downgrade_threshold"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisOverride(GraphComponent, IntentClassifier):
    """Overrides the predicted intent when the crisis lexicon finds a signal."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            CRISIS_INTENT_KEY: "safety_crisis",
            EMERGENCY_INTENT_KEY: "safety_emergency",
            # When an idiom-only message loses its ML safety intent, the next best intent is
            # used if at least this confident, else nlu_fallback.
            DOWNGRADE_THRESHOLD_KEY: 0.2,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Builds the component (the lexicon is compiled once per process)."""
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._detector = get_detector()
        self._intent_for_kind = {
            EMERGENCY: self.component_config[EMERGENCY_INTENT_KEY],
            CRISIS: self.component_config[CRISIS_INTENT_KEY],
        }
        self._safety_intents = set(self._intent_for_kind.values())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisOverride:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data passes through unchanged: nothing here is learned."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Applies the crisis safety net to each message (see the module docstring)."""
        for message in messages:
            try:
                detection = self._detector.detect(message.get(TEXT) or "")
            except Exception:  # pragma: no cover - the safety net must never break NLU
                logger.exception("Crisis detection failed; keeping the ML prediction.")
                continue
            if detection.is_alarm:
                self._raise_alarm(message, detection)
            elif detection.kind == IDIOM and self._predicted(message) in self._safety_intents:
                self._downgrade(message, detection)
        return messages

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _predicted(message: Message) -> Optional[Text]:
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)

    @staticmethod
    def _record(
        message: Message, detection: Detection, action: Text, previous: Dict[Text, Any]
    ) -> None:
        message.set(
            CRISIS_OVERRIDE_KEY,
            {
                "kind": detection.kind,
                "pattern": detection.pattern,
                "action": action,
                "previous_intent": {
                    INTENT_NAME_KEY: previous.get(INTENT_NAME_KEY),
                    PREDICTED_CONFIDENCE_KEY: previous.get(PREDICTED_CONFIDENCE_KEY),
                },
            },
            add_to_output=True,
        )

    def _raise_alarm(self, message: Message, detection: Detection) -> None:
        previous = dict(message.get(INTENT) or {})
        intent_name = self._intent_for_kind[detection.kind]  # type: ignore[index]
        # Emergency wins over crisis: an ML emergency is not lowered to a crisis.
        if previous.get(INTENT_NAME_KEY) == self._intent_for_kind[EMERGENCY]:
            intent_name = self._intent_for_kind[EMERGENCY]
        intent = {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            entry
            for entry in (message.get(INTENT_RANKING_KEY) or [])
            if entry.get(INTENT_NAME_KEY) != intent_name
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(intent)] + ranking, add_to_output=True)
        self._record(message, detection, "override", previous)
        logger.info(
            "Crisis safety net: %s (%s) -> intent %s.", detection.kind, detection.pattern, intent_name
        )

    def _downgrade(self, message: Message, detection: Detection) -> None:
        previous = dict(message.get(INTENT) or {})
        others = [
            entry
            for entry in (message.get(INTENT_RANKING_KEY) or [])
            if entry.get(INTENT_NAME_KEY) not in self._safety_intents
            and entry.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
        ]
        threshold = float(self.component_config[DOWNGRADE_THRESHOLD_KEY])
        if others and (others[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= threshold:
            intent = dict(others[0])
            ranking = others
        else:
            intent = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: threshold}
            ranking = [dict(intent)] + others
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        self._record(message, detection, "downgrade", previous)
        logger.info(
            "Crisis safety net: idiom only (%s); ML %s replaced by %s.",
            detection.pattern,
            previous.get(INTENT_NAME_KEY),
            intent.get(INTENT_NAME_KEY),
        )
