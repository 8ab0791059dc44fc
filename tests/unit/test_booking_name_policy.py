"""BookingNamePolicy: a name typed at the booking name question is the name, whatever the NLU read.

The end-to-end check (a live booking with such names) is in tests/integration/test_booking_names.py.
"""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.policies.booking_name_policy import BookingNamePolicy, name_to_take
from rasa_ext.policies.risk_policy import RiskPolicy

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def said(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9})


def asked(slot: str, *events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "visitor",
        [
            ActionExecuted("action_listen"),
            said("book", "booking_evaluation"),
            ActionExecuted("booking_form"),
            ActiveLoop("booking_form"),
            SlotSet("requested_slot", slot),
            ActionExecuted("action_listen"),
            *events,
        ],
        slots=DOMAIN.slots,
    )


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Lee Moreno", "stop"),
        ("Avery Stone", "deny"),
        ("Harper Quinn", "stop"),
        ("Emery Walsh", "out_of_scope"),
        ("Will Price", "affirm"),
        ("june summers", "chitchat_goodbye"),
        ("Hope Rivers", "nlu_fallback"),
        ("María José García", "tms_overview"),
        ("Grace O'Neil-Park", "handoff_human"),
    ],
)
def test_a_name_misread_as_another_intent_is_taken_as_the_name(text, intent):
    assert name_to_take(asked("full_name", said(text, intent))) == text


@pytest.mark.parametrize(
    "text,intent",
    [
        ("stop", "stop"),
        ("cancel please", "stop"),
        ("never mind", "stop"),
        ("forget it", "stop"),
        ("maybe later", "stop"),
        ("no thanks", "deny"),
        ("I changed my mind", "stop"),
        ("quit booking", "stop"),
        ("what is TMS", "tms_overview"),
        ("does it hurt?", "tms_procedure"),
        ("Nope", "deny"),
        ("Lee", "stop"),  # one word: could be a refusal, left to the NLU
        ("call 911", "safety_emergency"),
    ],
)
def test_refusals_questions_and_single_words_are_left_to_the_rules(text, intent):
    assert name_to_take(asked("full_name", said(text, intent))) is None


@pytest.mark.parametrize("intent", ["safety_crisis", "safety_emergency"])
def test_a_crisis_is_never_taken_as_a_name(intent):
    assert name_to_take(asked("full_name", said("Emery Walsh", intent))) is None


def test_only_at_the_name_question_of_the_booking_form():
    assert name_to_take(asked("contact", said("Lee Moreno", "stop"))) is None
    outside = DialogueStateTracker.from_events(
        "visitor", [ActionExecuted("action_listen"), said("Lee Moreno", "stop")], slots=DOMAIN.slots
    )
    assert name_to_take(outside) is None
    # Already mapped by the form's from_text slot mapping: nothing to add.
    assert name_to_take(asked("full_name", said("Lee Moreno", "inform"))) is None


def _policy(cls, tmp_path):
    return cls.create(
        cls.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_prediction_runs_the_form_with_the_name_set_and_outranks_rules(tmp_path):
    prediction = _policy(BookingNamePolicy, tmp_path).predict_action_probabilities(
        asked("full_name", said("Lee Moreno", "stop")), DOMAIN
    )
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "booking_form"
    assert prediction.max_confidence == pytest.approx(1.0) and prediction.is_no_user_prediction
    assert prediction.optional_events == [SlotSet("full_name", "Lee Moreno")]
    assert 6 < prediction.policy_priority < RiskPolicy.get_default_config()["priority"]


def test_no_opinion_gives_no_events(tmp_path):
    prediction = _policy(BookingNamePolicy, tmp_path).predict_action_probabilities(
        asked("full_name", said("stop", "stop")), DOMAIN
    )
    assert prediction.max_confidence == pytest.approx(0.0) and not prediction.optional_events
