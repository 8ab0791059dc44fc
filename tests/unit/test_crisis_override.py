"""CrisisOverride, the last NLU component: the crisis lexicon overrides the ML prediction."""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.crisis_override import CRISIS_OVERRIDE_KEY, CrisisOverride


def _message(text: str, ranking: List[Tuple[str, float]], top: Optional[Tuple[str, float]] = None) -> Message:
    """A message as DIET + FallbackClassifier leave it: `top` is the predicted intent (the
    fallback one when FallbackClassifier fired), `ranking` the DIET ranking."""
    ranking_dicts = [{"name": name, "confidence": conf} for name, conf in ranking]
    top_name, top_conf = top or ranking[0]
    if top is not None and top[0] == "nlu_fallback":
        ranking_dicts.insert(0, {"name": top_name, "confidence": top_conf})
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": top_name, "confidence": top_conf}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking_dicts, add_to_output=True)
    return message


@pytest.fixture(scope="module")
def component() -> CrisisOverride:
    return CrisisOverride.create(CrisisOverride.get_default_config(), None, None, None)


def _run(component: CrisisOverride, message: Message) -> Message:
    (out,) = component.process([message])
    return out


def test_crisis_text_overrides_a_confident_non_safety_prediction(component):
    message = _run(component, _message("I want to die", [("tms_overview", 0.91), ("safety_crisis", 0.04)]))
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0] == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    assert [r["name"] for r in ranking].count("safety_crisis") == 1
    record = message.get(CRISIS_OVERRIDE_KEY)
    assert record["kind"] == "crisis"
    assert record["pattern"] == "wish_to_die"
    assert record["action"] == "override"
    assert record["previous_intent"] == pytest.approx({"name": "tms_overview", "confidence": 0.91})


def test_crisis_overrides_nlu_fallback(component):
    message = _run(
        component,
        _message(
            "honestly just wanna unalive myself",
            [("chitchat_greet", 0.2), ("out_of_scope", 0.18)],
            top=("nlu_fallback", 0.45),
        ),
    )
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "safety_crisis"
    assert message.get(CRISIS_OVERRIDE_KEY)["previous_intent"]["name"] == "nlu_fallback"


def test_emergency_text_gives_the_emergency_intent(component):
    message = _run(
        component, _message("I already took them", [("affirm", 0.7), ("safety_crisis", 0.2)])
    )
    assert message.get(INTENT) == pytest.approx({"name": "safety_emergency", "confidence": 1.0})
    assert message.get(CRISIS_OVERRIDE_KEY)["kind"] == "emergency"


def test_emergency_predicted_by_ml_is_not_lowered_to_crisis(component):
    message = _run(
        component,
        _message("I want to die", [("safety_emergency", 0.8), ("safety_crisis", 0.15)]),
    )
    assert message.get(INTENT) == pytest.approx({"name": "safety_emergency", "confidence": 1.0})


def test_crisis_inside_a_booking_answer_still_overrides(component):
    message = _run(
        component,
        _message("my name is Dana and I want to kill myself", [("inform", 0.95), ("booking_evaluation", 0.02)]),
    )
    assert message.get(INTENT)["name"] == "safety_crisis"


def test_idiom_only_message_loses_an_ml_crisis_prediction(component):
    message = _run(
        component,
        _message(
            "this traffic is killing me lol, anyway what is tms",
            [("safety_crisis", 0.6), ("tms_overview", 0.3), ("chitchat_greet", 0.05)],
        ),
    )
    assert message.get(INTENT) == pytest.approx({"name": "tms_overview", "confidence": 0.3})
    assert all(r["name"] != "safety_crisis" for r in message.get(INTENT_RANKING_KEY))
    record = message.get(CRISIS_OVERRIDE_KEY)
    assert record["kind"] == "idiom"
    assert record["action"] == "downgrade"
    assert record["previous_intent"]["name"] == "safety_crisis"


def test_idiom_only_message_with_no_good_alternative_goes_to_fallback(component):
    message = _run(
        component,
        _message("my feet are killing me", [("safety_crisis", 0.9), ("safety_emergency", 0.06), ("deny", 0.02)]),
    )
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "nlu_fallback"
    assert all(r["name"] not in ("safety_crisis", "safety_emergency") for r in message.get(INTENT_RANKING_KEY))


def test_idiom_with_a_real_signal_keeps_the_alarm(component):
    message = _run(
        component,
        _message("this traffic is killing me and honestly I want to die", [("safety_crisis", 0.7), ("out_of_scope", 0.2)]),
    )
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    assert message.get(CRISIS_OVERRIDE_KEY)["action"] == "override"


def test_idiom_with_a_non_safety_prediction_is_left_alone(component):
    original = [("chitchat_greet", 0.8), ("out_of_scope", 0.1)]
    message = _run(component, _message("I'm dead tired, hi", original))
    assert message.get(INTENT) == pytest.approx({"name": "chitchat_greet", "confidence": 0.8})
    assert message.get(CRISIS_OVERRIDE_KEY) is None


@pytest.mark.parametrize(
    "text, ranking",
    [
        ("what are the side effects of TMS", [("tms_side_effects", 0.93), ("tms_serious_risks", 0.04)]),
        ("can TMS cause seizures?", [("tms_serious_risks", 0.88), ("safety_emergency", 0.05)]),
        ("what happens if I miss a dose", [("meds_stopping", 0.7), ("safety_medical_advice", 0.2)]),
        ("I'm not suicidal, just asking about TMS", [("tms_overview", 0.6), ("safety_crisis", 0.3)]),
    ],
)
def test_normal_message_prediction_is_untouched(component, text, ranking):
    message = _message(text, ranking)
    before = (dict(message.get(INTENT)), [dict(r) for r in message.get(INTENT_RANKING_KEY)])
    _run(component, message)
    assert (message.get(INTENT), message.get(INTENT_RANKING_KEY)) == before
    assert message.get(CRISIS_OVERRIDE_KEY) is None


def test_ml_crisis_prediction_without_lexicon_signal_stands(component):
    """Both layers can raise the alarm: the lexicon never lowers an ML crisis on its own."""
    message = _run(
        component, _message("everything feels so heavy lately", [("safety_crisis", 0.75), ("out_of_scope", 0.1)])
    )
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 0.75})
    assert message.get(CRISIS_OVERRIDE_KEY) is None


def test_override_appears_in_the_parse_output(component):
    message = _run(component, _message("kms", [("chitchat_greet", 0.5), ("out_of_scope", 0.3)]))
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT]["name"] == "safety_crisis"
    assert output[CRISIS_OVERRIDE_KEY]["kind"] == "crisis"


def test_every_message_of_a_batch_is_processed(component):
    messages = [
        _message("I took too many pills", [("meds_overview", 0.6)]),
        _message("hello", [("chitchat_greet", 0.99)]),
        _message("I want to end it all", [("stop", 0.5)]),
    ]
    out = component.process(messages)
    assert [m.get(INTENT)["name"] for m in out] == ["safety_emergency", "chitchat_greet", "safety_crisis"]


def test_message_without_a_prior_prediction_is_handled(component):
    message = Message(data={TEXT: "i want to die"})
    _run(component, message)
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "safety_crisis"


def test_training_data_passes_through_unchanged(component):
    data = TrainingData([Message(data={TEXT: "I want to die", INTENT: "safety_crisis"})])
    assert component.process_training_data(data) is data


def test_intent_names_are_configurable():
    component = CrisisOverride({"crisis_intent": "crisis", "emergency_intent": "emergency"})
    message = _run(component, _message("I want to die", [("tms_overview", 0.9)]))
    assert message.get(INTENT)["name"] == "crisis"
