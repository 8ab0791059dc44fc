"""Crisis first, in every state: a dialogue policy that answers safety intents at once.

With a form active, Rasa's RulePolicy runs the form before any rule, so a crisis message
mid-booking would first go to the action server (and get no reply at all if it is down).
This policy predicts the crisis response straight after the visitor's message, ahead of
the form, and then ends the form, so the crisis turn holds nothing else and needs no
custom action. The NLU's CrisisOverride (deterministic lexicon) and the intent classifier set the intent.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

CRISIS_RESPONSES = {"safety_crisis": "utter_crisis", "safety_emergency": "utter_emergency"}


def next_safety_action(tracker: DialogueStateTracker) -> Optional[str]:
    """The action crisis-first requires now, or None when this policy has no opinion."""
    latest_action = tracker.latest_action_name
    if latest_action == ACTION_LISTEN_NAME:
        return CRISIS_RESPONSES.get(tracker.latest_message.intent.get("name"))
    if latest_action in CRISIS_RESPONSES.values() and tracker.active_loop_name:
        return ACTION_DEACTIVATE_LOOP_NAME
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CrisisPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # The highest: above RulePolicy (6), which would run a form, and BookingNamePolicy (7).
        return {"priority": 8}

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource  # nothing to learn: the behaviour is fixed by design

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = next_safety_action(tracker)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        # Marked as a "no user" prediction so that it competes with RulePolicy's active-form
        # prediction, which Rasa ranks above every other kind; priority then decides.
        return self._prediction(confidence_scores_for(action, 1.0, domain), is_no_user_prediction=True)
