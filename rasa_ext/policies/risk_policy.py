"""Risk first, in every state: the dialogue policy for the three risk levels.

The NLU's RiskClassifier judges each message (``risk`` in its parse data) and sets the
safety intent for clear risk. This policy turns that into the conversation:

- **Clear risk** (a safety intent): the crisis or emergency reply at once, ahead of any form
  (a form is then ended: the crisis turn holds nothing else). If the message also asked a
  question, a short offer to come back to it follows; "yes" to that offer answers it.
- **Possible risk**: a check-in question with 988 in the same reply and yes / no buttons.
  Risk is judged on the conversation, not the last message alone: each visitor turn's signal
  (the model's P(not none)) is added up over the recent turns, each older turn counting
  ``decay`` times less, since the last check-in or crisis reply. A check-in is asked when the
  message itself is possible risk, or when it carries some signal (``signal_floor``) and the
  sum reaches ``check_in_threshold``: two ambiguous turns in a row add up, one alone does not.
- **Right after a crisis reply**: taking it back ("jk", "I'm fine, just a bad day"; the
  lexicon's ``retraction``) gets the check-in question; a yes gets the crisis reply again.
- **The answer to a check-in**: yes (the check-in answer model, ``answer_yes``), or any risk
  signal in the answer, gets the crisis reply; anything else gets an acknowledgement and the
  visitor's question answered (``action_check_in_declined``), then a form resumes. An answer
  that only asks a new question is not a yes unless it begins by leaning to yes (the
  lexicon's ``check_in_yes``): the answer model reads most questions as yes.

Replies go in Spanish when the visitor writes in Spanish. Predictions are marked "no user"
so that they compete with a form's own prediction, which Rasa ranks above every other kind;
the priority (above RulePolicy and BookingNamePolicy) then decides.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.nlu.risk_classifier import risk_of

CRISIS_INTENT, EMERGENCY_INTENT = "safety_crisis", "safety_emergency"
CRISIS, EMERGENCY, CHECK_IN, OFFER = (
    "utter_crisis",
    "utter_emergency",
    "utter_check_in",
    "utter_offer_question",
)
SPANISH = "_es"
CHECK_IN_DECLINED = "action_check_in_declined"
ANSWER_EARLIER_QUESTION = "action_answer_earlier_question"
AFFIRM = "affirm"


def _base(action: Optional[str]) -> Optional[str]:
    return action[: -len(SPANISH)] if action and action.endswith(SPANISH) else action


CRISIS_REPLIES = {CRISIS, EMERGENCY}
# Intents of a message that asks nothing: after a crisis reply, a "yes" among them confirms it.
NOT_A_QUESTION = {AFFIRM, "inform", "out_of_scope", "nlu_fallback"}


def turns(tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
    """The conversation as visitor turns: each user message with the actions that followed."""
    result: List[Dict[str, Any]] = []
    for event in tracker.applied_events():
        if isinstance(event, UserUttered):
            result.append({"message": event, "actions": []})
        elif isinstance(event, ActionExecuted) and result and event.action_name != ACTION_LISTEN_NAME:
            result[-1]["actions"].append(event.action_name)
    return result


def is_question(parse_data: Dict[str, Any]) -> bool:
    """True when the message also asked an informational question (RiskClassifier's record)."""
    return bool(risk_of(parse_data).get("question"))


# A message answered with one of these is about the visitor's safety, not the form's question.
ANSWERS_THAT_ARE_NOT_FORM_ANSWERS = {CRISIS, EMERGENCY, CHECK_IN, CHECK_IN_DECLINED}


def undo_form_answer(tracker: DialogueStateTracker) -> List[SlotSet]:
    """Slot events that put back what Rasa's slot mappings took from the latest message.

    Rasa fills a form's requested slot from the visitor's text as soon as the message arrives
    ("honestly what's the point of any of it" as the booking name). When that message, or the
    answer to a check-in about it, is answered by this policy, the form must ask again.
    """
    events = list(tracker.applied_events())
    last_user = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    if last_user is None:
        return []
    before: Dict[str, Any] = {}
    for event in events[:last_user]:
        if isinstance(event, SlotSet):
            before[event.key] = event.value
    taken = {e.key for e in events[last_user:] if isinstance(e, SlotSet) and e.key != "requested_slot"}
    return [SlotSet(name, before.get(name)) for name in sorted(taken)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RiskPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # The highest: above RulePolicy (6), which would run a form, and BookingNamePolicy (7).
            "priority": 8,
            "decay": 0.6,
            "window": 3,
            "signal_floor": 0.3,
            "check_in_threshold": 0.55,
            "answer_yes_threshold": 0.5,
        }

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource  # nothing to learn: the behaviour is fixed by design

    # ------------------------------------------------------------------ the decision
    def next_action(self, tracker: DialogueStateTracker) -> Optional[str]:
        """The action the risk levels require now, or None when this policy has no opinion."""
        history = turns(tracker)
        if not history:
            return None
        current = history[-1]
        done = current["actions"]
        parse = current["message"].parse_data or {}
        spanish = bool(risk_of(parse).get("spanish"))
        latest = _base(tracker.latest_action_name)
        if latest == ACTION_LISTEN_NAME:
            return self._answer_to_message(history, parse, spanish)
        if latest in CRISIS_REPLIES:
            if tracker.active_loop_name:
                return ACTION_DEACTIVATE_LOOP_NAME
            return self._after_crisis(done, parse, spanish)
        if latest == ACTION_DEACTIVATE_LOOP_NAME and any(_base(a) in CRISIS_REPLIES for a in done):
            return self._after_crisis(done, parse, spanish)
        if latest in (CHECK_IN, OFFER, ANSWER_EARLIER_QUESTION):
            return ACTION_LISTEN_NAME
        if latest == CHECK_IN_DECLINED:
            return tracker.active_loop_name or ACTION_LISTEN_NAME
        return None

    def _answer_to_message(
        self, history: List[Dict[str, Any]], parse: Dict[str, Any], spanish: bool
    ) -> Optional[str]:
        intent = (parse.get("intent") or {}).get("name")
        risk = risk_of(parse)
        previous_actions = [_base(a) for a in history[-2]["actions"]] if len(history) > 1 else []
        asked_check_in = bool(previous_actions) and previous_actions[-1] == CHECK_IN
        # The check-in answer model reads most questions as a yes ("does tms hurt"), so a yes
        # counts differently after a check-in and after a crisis reply (below).
        says_yes = float(risk.get("answer_yes") or 0.0) >= self.config["answer_yes_threshold"]
        if intent == EMERGENCY_INTENT:
            return self._in(EMERGENCY, spanish)
        if intent == CRISIS_INTENT:
            return self._in(CRISIS, spanish or (asked_check_in and self._was_spanish(history[-2])))
        if asked_check_in:
            # An answer that only asks a new question ("it's for a research paper, what does the
            # evidence say?") is not a yes, unless it begins by leaning to yes ("kinda. what
            # should I do").
            new_question = (
                bool(risk.get("question")) and not risk.get("leans_yes") and intent not in NOT_A_QUESTION
            )
            if (says_yes and not new_question) or intent == AFFIRM or risk.get("level") != "none":
                return self._in(CRISIS, spanish or self._was_spanish(history[-2]))
            return CHECK_IN_DECLINED
        if previous_actions and previous_actions[-1] == OFFER and intent == AFFIRM:
            return ANSWER_EARLIER_QUESTION
        if CRISIS_REPLIES.intersection(previous_actions) and previous_actions[-1] != OFFER:
            # Right after a crisis reply: taking it back gets the direct question, and a yes
            # ("yes", "kind of, at night mostly") confirms it: the crisis reply stands.
            if risk.get("retraction"):
                return self._in(CHECK_IN, spanish or self._was_spanish(history[-2]))
            # Here a yes counts only when the message asks nothing the assistant answers.
            if intent == AFFIRM or (says_yes and intent in NOT_A_QUESTION):
                return self._in(CRISIS, spanish or self._was_spanish(history[-2]))
        if self.should_check_in(history):
            return self._in(CHECK_IN, spanish)
        return None

    def should_check_in(self, history: List[Dict[str, Any]]) -> bool:
        """Possible risk in this message, or ambiguous signals that add up over recent turns."""
        risk = risk_of(history[-1]["message"].parse_data)
        if risk.get("level") == "possible":
            return True
        signal = float(risk.get("signal") or 0.0)
        if signal < self.config["signal_floor"]:
            return False
        total, weight = 0.0, 1.0
        for turn in reversed(history[-self.config["window"] :]):
            if turn is not history[-1] and any(
                _base(a) in CRISIS_REPLIES | {CHECK_IN, CHECK_IN_DECLINED} for a in turn["actions"]
            ):
                break  # signals before a check-in or crisis reply were already acted on
            total += weight * float(risk_of(turn["message"].parse_data).get("signal") or 0.0)
            weight *= self.config["decay"]
        return total >= self.config["check_in_threshold"]

    def _after_crisis(self, done: List[str], parse: Dict[str, Any], spanish: bool) -> str:
        if is_question(parse) and not any(_base(a) == OFFER for a in done):
            return self._in(OFFER, spanish)
        return ACTION_LISTEN_NAME

    @staticmethod
    def _was_spanish(turn: Dict[str, Any]) -> bool:
        return any(str(a).endswith(SPANISH) for a in turn["actions"])

    @staticmethod
    def _in(response: str, spanish: bool) -> str:
        return response + SPANISH if spanish else response

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self.next_action(tracker)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain))
        undo = (
            undo_form_answer(tracker)
            if tracker.active_loop_name and _base(action) in ANSWERS_THAT_ARE_NOT_FORM_ANSWERS
            else []
        )
        return self._prediction(
            confidence_scores_for(action, 1.0, domain), optional_events=undo, is_no_user_prediction=True
        )
