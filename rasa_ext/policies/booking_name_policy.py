"""While the booking form asks for the visitor's name, a reply shaped like a name is the name.

The NLU reads some names as other intents ("Lee Moreno" as stop, "Avery Stone" as deny):
the form's slot mapping ignores those intents (domain.yml `not_intent`), so the booking would
end or stall for those visitors. When the form is waiting for `full_name` and the text passes
the booking name check (actions/booking/fields.clean_name: letters only, no "stop"/"cancel"/
"no"/question words, two or more words), this policy fills `full_name` with it and runs the
form, whose validator checks the name again as for any other answer.

Safety first: a crisis or emergency intent is never taken as a name (RiskPolicy answers it,
and has the higher priority), and a visitor who types "stop", "cancel" or "never mind" is not
either, so those still end the booking.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from practice.booking.fields import clean_name

FORM = "booking_form"
NAME_SLOT = "full_name"
# Intents this policy never overrides: crisis comes first, and `inform` is already mapped.
LEFT_ALONE = {"safety_crisis", "safety_emergency", "inform"}


def name_to_take(tracker: DialogueStateTracker) -> Optional[str]:
    """The text to store as the visitor's name now, or None when this policy has no opinion."""
    if tracker.latest_action_name != ACTION_LISTEN_NAME or tracker.active_loop_name != FORM:
        return None
    if tracker.get_slot(REQUESTED_SLOT) != NAME_SLOT:
        return None
    message = tracker.latest_message
    if message is None or message.intent.get("name") in LEFT_ALONE:
        return None
    text = (message.text or "").strip()
    name = clean_name(text)
    if name is None or len(name.split()) < 2:  # one word ("Stop", "Nope") stays ambiguous
        return None
    return text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BookingNamePolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy (6), whose rule for e.g. `stop` would end the form; below
        # RiskPolicy (8).
        return {"priority": 7}

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        name = name_to_take(tracker)
        if name is None:
            return self._prediction(self._default_predictions(domain))
        # The SlotSet is applied only if this prediction wins; the form then validates it.
        return self._prediction(
            confidence_scores_for(FORM, 1.0, domain),
            optional_events=[SlotSet(NAME_SLOT, name)],
            is_no_user_prediction=True,
        )
