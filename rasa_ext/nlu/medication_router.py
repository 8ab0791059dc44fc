"""MedicationIntentRouter: a question about a medication gets the answer about that medication.

"Does Abilify change how well TMS works?" reads to the intent classifier like
`tms_effectiveness`, and the visitor would get the general effectiveness answer without a word
about Abilify. The medication extractor (rasa_ext/nlu/medication_extractor.py) finds names and
class words deterministically, so this component decides from what was found, the wording
(practice/medications/questions.py) and the classifier's ranking:

1. Left alone: safety intents (crisis first), `safety_medical_advice`, `meds_management`
   ("refill my Lamictal"), booking, hand-off.
2. A self-managed change of the medication named — a dose, a taper, a skipped dose, stopping
   on one's own, mixing with alcohol — becomes `safety_medical_advice`: the visitor's
   prescriber decides that ("how quickly can I come off my venlafaxine by myself"). So does
   one of "my meds" ("can I drink on my meds during TMS"), except a taper, which without a
   name is the general meds.stopping question ("should I taper off my meds before TMS").
   Questions about the practice (`clinic_*`) change only for this.
3. Otherwise a TMS or medication question becomes `meds_specific`, whose answer covers each
   named medication's class, when the message names
   - a medication or a class word ("my benzo", "SSRIs", "sleeping pills"): from a TMS intent
     (unless the medication is one tried before: "I failed Zoloft, am I a candidate?"),
     `meds_combination`, `meds_stopping`, or a low-confidence turn; from `meds_overview`
     for a name ("what is Lexapro"), but for a class word only with TMS in the message
     ("what is an SSRI" stays the overview);
   - a family word for the visitor's own medication ("my antidepressant", "I'm on anxiety
     meds"): from `meds_combination` only. Said in general ("antidepressants and TMS?") it
     is exactly the meds.combination question, and "can I quit my antidepressant once TMS
     works" stays meds.stopping;
   and from any other intent when the message mentions TMS, or when the classifier ranked a
   TMS or medication question among its top three (a brand name plus "anything I should know
   about TMS" read as `chitchat_capabilities`); a bare name (`inform`, "klonopin") is left
   to the medication rules, which answer it the same way.

Runs before RiskClassifier, so a crisis signal still wins. Each change is recorded on the
message as `medication_intent` (previous intent and confidence, and the rule) for staff.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

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
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from practice.medications.class_words import CLASS_ENTITY
from practice.medications.questions import (
    general_medication_spans,
    mentions_tms,
    refers_to_own,
    self_managed_change,
    treatment_history,
)

logger = logging.getLogger(__name__)

MEDICATION_INTENT_KEY = "medication_intent"
TARGET = "meds_specific"
ADVICE = "safety_medical_advice"
# Never changed: the answer already fits, or the visitor wants something else done.
KEPT_PREFIXES = ("safety_", "booking_evaluation", "booking_manage")
KEPT = {"meds_management", "handoff_human", "stop"}
# Questions about the practice: a self-managed change still gets the medical-advice answer
# ("what's the best way to taper off Klonopin" misread as clinic_contact), nothing else does.
PRACTICE_PREFIX = "clinic_"
# Medication questions whose general answer would ignore the medication named.
MEDICATION_QUESTIONS = {"meds_combination", "meds_stopping"}
TMS_PREFIX = "tms_"
# How the classifier's ranking can say a message is a TMS or medication question.
RANKED_QUESTIONS = {"meds_specific", "meds_combination", "meds_stopping"}
RANKING_DEPTH = 3
RANKING_MIN_CONFIDENCE = 0.15


def is_kept(intent_name: Any) -> bool:
    name = str(intent_name or "")
    return name in KEPT or name.startswith(KEPT_PREFIXES)


def ranked_as_question(ranking: list[dict[str, Any]]) -> bool:
    """The classifier saw a TMS or medication question among its top guesses."""
    for entry in ranking[:RANKING_DEPTH]:
        name = str(entry.get(INTENT_NAME_KEY) or "")
        if (name in RANKED_QUESTIONS or name.startswith(TMS_PREFIX)) and float(
            entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0
        ) >= RANKING_MIN_CONFIDENCE:
            return True
    return False


def decide(
    text: str, intent_name: str, ranking: list[dict[str, Any]], entities: list[dict[str, Any]]
) -> Optional[tuple[str, str]]:
    """(new intent, rule) for a message, or None to keep the classifier's intent."""
    medications = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == "medication"]
    words = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == CLASS_ENTITY]
    general = general_medication_spans(text)
    if not (medications or words or general) or is_kept(intent_name):
        return None
    named = [(int(e.get("start") or 0), int(e.get("end") or 0)) for e in medications]
    spans = named + [(int(e.get("start") or 0), int(e.get("end") or 0)) for e in words]
    change = self_managed_change(text, spans + general, named)
    if change and (medications or words or change != "taper"):
        return (ADVICE, f"self-managed change: {change}") if intent_name != ADVICE else None
    if not (medications or words):
        return None
    if intent_name == TARGET or intent_name.startswith(PRACTICE_PREFIX):
        return None
    class_words = [e for e in words if not _is_family(e)]
    own_family = [e for e in words if _is_family(e) and refers_to_own(text, int(e.get("start") or 0))]
    tms = mentions_tms(text)
    if medications or class_words:
        kind = "medication" if medications else "class word"
        if intent_name.startswith(TMS_PREFIX) and not treatment_history(text):
            return TARGET, f"{kind} in a TMS question"
        if intent_name in MEDICATION_QUESTIONS:
            return TARGET, f"{kind} in a medication question"
        if intent_name == "meds_overview" and (medications or tms):
            return TARGET, f"{kind} in an overview question"
        if intent_name == DEFAULT_NLU_FALLBACK_INTENT_NAME and medications:
            return TARGET, "medication in a low-confidence turn"
    elif own_family and intent_name == "meds_combination":
        return TARGET, "own medication named by its family"
    if not (medications or class_words or own_family):
        return None
    if (
        intent_name.startswith(TMS_PREFIX)
        or intent_name in MEDICATION_QUESTIONS
        or intent_name == "meds_overview"
    ):
        return None  # decided above: these stay
    if tms:
        return TARGET, "medication and TMS named"
    # A bare name ("klonopin") is `inform`: the medication rules answer it as it is.
    if intent_name != "inform" and ranked_as_question(ranking):
        return TARGET, "ranked as a TMS or medication question"
    return None


def _is_family(entity: dict[str, Any]) -> bool:
    return bool((entity.get("additional_info") or {}).get("family"))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MedicationIntentRouter(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MedicationIntentRouter:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # nothing is learned

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            previous = dict(message.get(INTENT) or {})
            ranking = list(message.get(INTENT_RANKING_KEY) or [])
            decision = decide(
                message.get(TEXT) or "",
                str(previous.get(INTENT_NAME_KEY) or ""),
                ranking,
                list(message.get(ENTITIES) or []),
            )
            if decision is None:
                continue
            target, rule = decision
            # Keep the classifier's confidence so low-confidence turns stay visible to staff.
            confidence = float(previous.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            intent = {INTENT_NAME_KEY: target, PREDICTED_CONFIDENCE_KEY: confidence}
            ranking = [dict(intent)] + [e for e in ranking if e.get(INTENT_NAME_KEY) != target]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(
                MEDICATION_INTENT_KEY, {"previous_intent": previous, "rule": rule}, add_to_output=True
            )
            logger.debug("Medication routing (%s): %s -> %s", rule, previous.get(INTENT_NAME_KEY), target)
        return messages
