"""CrisisPolicy: crisis is answered before anything else, even inside the booking form."""
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.crisis_policy import next_safety_action

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def tracker_with(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("visitor", [ActionExecuted("action_listen"), *events],
                                            slots=DOMAIN.slots)


def said(intent: str) -> UserUttered:
    return UserUttered("...", {"name": intent, "confidence": 1.0})


def in_booking_form(*events):
    return tracker_with(
        said("booking_evaluation"), ActionExecuted("booking_form"), ActiveLoop("booking_form"),
        SlotSet("requested_slot", "full_name"), ActionExecuted("action_listen"), *events,
    )


@pytest.mark.parametrize("intent,response", [("safety_crisis", "utter_crisis"),
                                             ("safety_emergency", "utter_emergency")])
def test_crisis_is_answered_at_once(intent, response):
    assert next_safety_action(tracker_with(said(intent))) == response


@pytest.mark.parametrize("intent,response", [("safety_crisis", "utter_crisis"),
                                             ("safety_emergency", "utter_emergency")])
def test_crisis_wins_inside_booking_form(intent, response):
    assert next_safety_action(in_booking_form(said(intent))) == response


def test_booking_form_ends_after_the_crisis_reply():
    tracker = in_booking_form(said("safety_crisis"), ActionExecuted("utter_crisis"))
    assert next_safety_action(tracker) == "action_deactivate_loop"


def test_no_opinion_on_ordinary_messages_or_after_the_crisis_reply_outside_forms():
    assert next_safety_action(tracker_with(said("tms_overview"))) is None
    assert next_safety_action(in_booking_form(said("inform"))) is None
    assert next_safety_action(tracker_with(said("safety_crisis"), ActionExecuted("utter_crisis"))) is None


def test_policy_predicts_crisis_response_with_full_confidence(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.crisis_policy import CrisisPolicy

    policy = CrisisPolicy.create(CrisisPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                 Resource("crisis"), ExecutionContext(GraphSchema({}), "test"))
    prediction = policy.predict_action_probabilities(in_booking_form(said("safety_crisis")), DOMAIN)
    assert prediction.max_confidence == pytest.approx(1.0)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "utter_crisis"
    assert prediction.policy_priority > 6  # above RulePolicy, which would run the form
