"""RiskClassifier: the last NLU component; it judges each message's risk and sets the intent.

Two detectors, one decision (``practice.safety.risk_model.decide``):

- the learned risk model (trained here, at ``rasa train``, on the corpus in ``data/risk/``)
  gives calibrated probabilities of none / possible / crisis / emergency;
- the lexicon (``practice/safety/crisis_detector.py``) is the precise, deterministic backstop: what
  it names as a crisis is a crisis even if the model disagrees, unless the model is sure it is
  nothing, and then the visitor is still asked (a check-in), never ignored.

What it does to the message:

- clear risk sets the intent to ``safety_crisis`` / ``safety_emergency`` with confidence 1.0,
  first in the ranking, whatever the intent classifier said (nlu_fallback included), so the
  crisis reply comes at once, in any state, forms included;
- otherwise an intent classifier's safety intent is replaced by its best other intent (or
  nlu_fallback): the risk level, not the intent classifier, decides who gets the crisis reply;
- every message gets a ``risk`` record (level, kind, the model's probabilities, which detector
  decided, whether the message is Spanish). It is part of /model/parse and of the tracker's
  parse_data: ``RiskPolicy`` adds it up over the conversation and asks a check-in question,
  and staff see why a turn was flagged. The matched words are never recorded.

If the trained model cannot be loaded, the lexicon alone decides (logged once at load).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

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

from practice.safety.crisis_detector import EMERGENCY, LEXICON_PATH, get_detector
from practice.safety.risk_model import (
    CLEAR,
    CORPUS_DIR,
    NO_SCORES,
    NONE,
    AnswerModel,
    RiskDecision,
    RiskModel,
    RiskThresholds,
    assess_message,
    corpus_digest,
    decide,
    is_spanish,
    load_corpus,
    load_followups,
    model_text,
    with_ordinary_messages,
)

logger = logging.getLogger(__name__)

RISK_KEY = "risk"
SAFETY_INTENTS = ("safety_crisis", "safety_emergency")


def risk_training_lines(
    training_data: TrainingData, safety_intents: Iterable[str] = SAFETY_INTENTS
) -> Tuple[List[str], List[str], List[str]]:
    """(texts, labels, families) the risk model learns from: the corpus (data/risk/) and the
    assistant's everyday NLU messages, safety intents left out (``with_ordinary_messages``).
    One place for ``rasa train``, the cross-validation and the safety evaluation."""
    skip = set(safety_intents)
    ordinary = [
        (m.get(TEXT), m.get(INTENT))
        for m in training_data.intent_examples
        if m.get(TEXT) and m.get(INTENT) not in skip
    ]
    return with_ordinary_messages(load_corpus(CORPUS_DIR), ordinary)


# Intents that ask for information the assistant can give after a crisis reply or a check-in.
QUESTION_PREFIXES = ("tms_", "meds_", "clinic_", "booking_what_to_expect")
MODEL_FILE = "risk_model.skops"
ANSWER_MODEL_FILE = "check_in_answer_model.skops"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RiskClassifier(GraphComponent, IntentClassifier):
    """Sets each message's risk record and, for clear risk, the safety intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 1.0,
            "thresholds": {},  # RiskThresholds fields; chosen by scripts/risk_cv.py
            "crisis_intent": SAFETY_INTENTS[0],
            "emergency_intent": SAFETY_INTENTS[1],
            # An intent classifier's safety intent lowered to its next best intent needs at
            # least this confidence, else nlu_fallback.
            "downgrade_threshold": 0.2,
            "question_min_confidence": 0.1,
            "question_margin": 2.0,
            "random_seed": 42,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The corpus and the lexicon (its normalisation is the model's input) are read from
        # files, not from the graph: a change to either must retrain.
        lexicon = hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()
        return f"{corpus_digest(CORPUS_DIR)}:{lexicon}"

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[RiskModel] = None,
        answer_model: Optional[AnswerModel] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **(config or {})}
        self.thresholds = RiskThresholds(**(self.config.get("thresholds") or {}))
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.answer_model = answer_model
        self._detector = get_detector()
        self._safety_intents = {self.config["crisis_intent"], self.config["emergency_intent"]}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskClassifier:
        return cls(config, model_storage, resource)

    # ------------------------------------------------------------------ training
    def train(self, training_data: TrainingData) -> Resource:
        texts, labels, _ = risk_training_lines(training_data, self._safety_intents)
        self.model = RiskModel.train(
            texts, labels, C=float(self.config["C"]), seed=self.config["random_seed"]
        )
        answers, yes = load_followups(CORPUS_DIR)
        self.answer_model = AnswerModel.train(answers, yes, seed=self.config["random_seed"])
        with self._model_storage.write_to(self._resource) as model_dir:
            self.model.save(model_dir / MODEL_FILE)
            self.answer_model.save(model_dir / ANSWER_MODEL_FILE)
        logger.info("RiskClassifier: trained on %d lines of %s.", len(texts), CORPUS_DIR)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RiskClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                model: Optional[RiskModel] = RiskModel.load(model_dir / MODEL_FILE)
                answer_model: Optional[AnswerModel] = AnswerModel.load(model_dir / ANSWER_MODEL_FILE)
        except (ValueError, FileNotFoundError) as error:
            logger.error("RiskClassifier: no risk model loaded (%s); the lexicon alone decides.", error)
            model, answer_model = None, None
        return cls(config, model_storage, resource, model, answer_model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # ------------------------------------------------------------------ prediction
    def assess(self, text: str, normalised: Optional[str] = None) -> RiskDecision:
        """The risk decision for one text (``normalised``: its ``model_text``, if computed)."""
        return assess_message(text, self.model, self.thresholds, normalised)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            normalised = model_text(text)  # one normalisation for both models
            try:
                decision = self.assess(text, normalised)
            except Exception:  # pragma: no cover - judging risk must never break NLU
                logger.exception("Risk assessment failed; the lexicon alone decides.")
                decision = decide(NO_SCORES, self._detector.detect(text), self.thresholds)
            record: Dict[str, Any] = {**decision.as_dict(), "spanish": is_spanish(text)}
            if self.answer_model is not None and len(text) <= 300:
                record["answer_yes"] = round(self.answer_model.p_yes_model_text(normalised), 4)
            previous = dict(message.get(INTENT) or {})
            record["previous_intent"] = {
                INTENT_NAME_KEY: previous.get(INTENT_NAME_KEY),
                PREDICTED_CONFIDENCE_KEY: previous.get(PREDICTED_CONFIDENCE_KEY),
            }
            record["question"] = self._question(message)
            # An answer is read from its first 300 characters, normalised once for both checks
            # (a message that short already is: ``normalised`` is then its whole text).
            head = text[:300]
            head_normalised = normalised if len(text) <= 300 else self._detector.normalise(head)
            record["retraction"] = self._detector.retracts(head, head_normalised)
            record["leans_yes"] = self._detector.leans_yes(head, head_normalised)
            if decision.level == CLEAR:
                self._raise_alarm(message, decision)
                record["action"] = "override"
            elif previous.get(INTENT_NAME_KEY) in self._safety_intents:
                self._downgrade(message)
                record["action"] = "downgrade"
            message.set(RISK_KEY, record, add_to_output=True)
        return messages

    def _question(self, message: Message) -> Optional[Dict[str, Any]]:
        """The informational question a message asks besides any risk or answer, or None.

        "i'm going to end it tonight, is tms covered by insurance" is ranked first as a crisis
        by the intent classifier, "no, nothing like that. how long does tms take" as a "no";
        the question is the best informational intent in the ranking when it is at least
        ``question_min_confidence`` and ``question_margin`` times the next informational one.
        """
        informational = [
            e
            for e in (message.get(INTENT_RANKING_KEY) or [])
            if str(e.get(INTENT_NAME_KEY)).startswith(QUESTION_PREFIXES)
        ]
        if not informational:
            return None
        best = float(informational[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        runner_up = (
            float(informational[1].get(PREDICTED_CONFIDENCE_KEY) or 0.0) if len(informational) > 1 else 0.0
        )
        if best < self.config["question_min_confidence"] or best < self.config["question_margin"] * runner_up:
            return None
        return {INTENT_NAME_KEY: informational[0][INTENT_NAME_KEY], PREDICTED_CONFIDENCE_KEY: round(best, 4)}

    def _raise_alarm(self, message: Message, decision: RiskDecision) -> None:
        name = self.config["emergency_intent"] if decision.kind == EMERGENCY else self.config["crisis_intent"]
        intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [e for e in (message.get(INTENT_RANKING_KEY) or []) if e.get(INTENT_NAME_KEY) != name]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(intent)] + ranking, add_to_output=True)
        logger.info("Risk: clear (%s, by %s) -> intent %s.", decision.kind, decision.source, name)

    def _downgrade(self, message: Message) -> None:
        others = [
            e
            for e in (message.get(INTENT_RANKING_KEY) or [])
            if e.get(INTENT_NAME_KEY) not in self._safety_intents
            and e.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
        ]
        threshold = float(self.config["downgrade_threshold"])
        if others and (others[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= threshold:
            intent, ranking = dict(others[0]), others
        else:
            intent = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: threshold}
            ranking = [dict(intent)] + others
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def risk_of(parse_data: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The risk record of a parsed message (an empty 'none' record for older turns)."""
    record = (parse_data or {}).get(RISK_KEY)
    return record if isinstance(record, dict) else {"level": NONE, "signal": 0.0}
