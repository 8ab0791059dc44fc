"""MedicationIntentRouter: a TMS question that names a medication is a medication question.

"Does Abilify change how well TMS works?" reads to the intent classifier like `tms_effectiveness`, and the
visitor would get the general effectiveness answer without a word about Abilify. The
medication extractor (components/medication_extractor.py) finds the name deterministically
(measured: no false positives on 4,353 non-medication sentences), so when it has found one and
the classifier chose a general TMS or medication intent (or was unsure), this component
switches the intent to `meds_specific`, whose answer covers each named medication's class.

Left alone: safety intents (crisis first), `safety_medical_advice` (a personal decision about
a medication gets the "ask your clinician" answer), `meds_management` ("refill my Lamictal"),
`inform` (a name given when asked "which medication?"), booking and chit-chat intents. Runs
before RiskClassifier, so a crisis signal still wins. The change is recorded on the message
as `medication_intent` (previous intent and confidence) for staff.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MEDICATION_INTENT_KEY = "medication_intent"
TARGET = "meds_specific"
# Intents whose general answer would ignore the named medication.
REROUTED_PREFIXES = ("tms_",)
REROUTED = {"meds_overview", "meds_combination", "meds_stopping", DEFAULT_NLU_FALLBACK_INTENT_NAME}


def names_a_medication(message: Message) -> bool:
    return any(e.get(ENTITY_ATTRIBUTE_TYPE) == "medication" for e in message.get(ENTITIES) or [])


def should_reroute(intent_name: Any) -> bool:
    name = str(intent_name or "")
    return name in REROUTED or name.startswith(REROUTED_PREFIXES)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MedicationIntentRouter(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MedicationIntentRouter:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # nothing is learned

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            previous = dict(message.get(INTENT) or {})
            if not names_a_medication(message) or not should_reroute(previous.get(INTENT_NAME_KEY)):
                continue
            # Keep the classifier's confidence so low-confidence turns stay visible to staff.
            confidence = float(previous.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            intent = {INTENT_NAME_KEY: TARGET, PREDICTED_CONFIDENCE_KEY: confidence}
            ranking = [dict(intent)] + [
                entry for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != TARGET
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(MEDICATION_INTENT_KEY, {"previous_intent": previous}, add_to_output=True)
            logger.debug("Medication named: intent %s -> %s", previous.get(INTENT_NAME_KEY), TARGET)
        return messages
