"""RiskClassifier, the last NLU component: the risk level decides the safety intent."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.nlu.risk_classifier import RISK_KEY, RiskClassifier, risk_of


def _message(text: str, ranking: list[tuple[str, float]], top: tuple[str, float] | None = None) -> Message:
    """A message as the intent classifier (+ FallbackClassifier) leaves it."""
    top_name, top_conf = top or ranking[0]
    ranking_dicts = [{"name": name, "confidence": conf} for name, conf in ranking]
    if top is not None and top[0] == "nlu_fallback":
        ranking_dicts.insert(0, {"name": top_name, "confidence": top_conf})
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": top_name, "confidence": top_conf}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking_dicts, add_to_output=True)
    return message


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> RiskClassifier:
    storage = LocalModelStorage(tmp_path_factory.mktemp("risk"))
    resource = Resource("risk")
    context = ExecutionContext(GraphSchema({}), "test")
    component = RiskClassifier.create(RiskClassifier.get_default_config(), storage, resource, context)
    component.train(TrainingData())
    return RiskClassifier.load(RiskClassifier.get_default_config(), storage, resource, context)


@pytest.fixture(scope="module")
def lexicon_only(tmp_path_factory) -> RiskClassifier:
    """A component whose model could not be loaded (nothing was trained)."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("empty"))
    context = ExecutionContext(GraphSchema({}), "test")
    return RiskClassifier.load(RiskClassifier.get_default_config(), storage, Resource("none"), context)


def run(component: RiskClassifier, message: Message) -> Message:
    (out,) = component.process([message])
    return out


def test_clear_risk_overrides_a_confident_question_and_keeps_what_it_was(trained):
    message = run(trained, _message("i want to die, how long is a tms course", [("tms_procedure", 0.91)]))
    assert message.get(INTENT) == pytest.approx({"name": "safety_crisis", "confidence": 1.0})
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "safety_crisis"
    risk = message.get(RISK_KEY)
    assert risk["level"] == "clear" and risk["action"] == "override"
    assert risk["previous_intent"] == pytest.approx({"name": "tms_procedure", "confidence": 0.91})


def test_the_question_asked_beside_the_risk_is_recorded(trained):
    message = run(
        trained,
        _message(
            "im going to end it tonight, is tms covered by insurance",
            [("safety_crisis", 0.4), ("tms_insurance", 0.5), ("clinic_insurance", 0.01)],
        ),
    )
    assert message.get(RISK_KEY)["question"] == pytest.approx({"name": "tms_insurance", "confidence": 0.5})
    crisis_only = run(
        trained,
        _message(
            "i want to kill myself", [("safety_crisis", 0.95), ("clinic_contact", 0.02), ("affirm", 0.01)]
        ),
    )
    assert crisis_only.get(RISK_KEY)["question"] is None
    unclear = run(trained, _message("hmm", [("tms_overview", 0.3), ("clinic_contact", 0.25)]))
    assert unclear.get(RISK_KEY)["question"] is None
    answer = run(
        trained,
        _message(
            "no, nothing like that. how long does tms take",
            [("deny", 0.5), ("tms_procedure", 0.4), ("tms_overview", 0.05)],
        ),
    )
    assert answer.get(RISK_KEY)["question"]["name"] == "tms_procedure"


def test_clear_risk_overrides_nlu_fallback(trained):
    message = run(
        trained,
        _message(
            "i have decided to end my life this weekend",
            [("chitchat_greet", 0.2)],
            top=("nlu_fallback", 0.35),
        ),
    )
    assert message.get(INTENT)["name"] == "safety_crisis"


def test_emergency_gets_the_emergency_intent(trained):
    message = run(trained, _message("i took a whole bottle of pills an hour ago", [("meds_overview", 0.5)]))
    assert message.get(INTENT)["name"] == "safety_emergency"


def test_an_intent_classifiers_crisis_on_an_ordinary_question_is_lowered(trained):
    message = run(
        trained,
        _message("how many sessions of tms will i need", [("safety_crisis", 0.6), ("tms_procedure", 0.35)]),
    )
    assert message.get(INTENT)["name"] == "tms_procedure"
    assert message.get(RISK_KEY)["action"] == "downgrade"
    assert all(r["name"] != "safety_crisis" for r in message.get(INTENT_RANKING_KEY))


def test_lowered_crisis_with_no_good_alternative_goes_to_fallback(trained):
    message = run(
        trained, _message("what is the weather on mars", [("safety_crisis", 0.9), ("chitchat_greet", 0.05)])
    )
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_ordinary_question_is_left_alone_with_a_none_record(trained):
    message = run(trained, _message("do you take aetna insurance", [("clinic_insurance", 0.93)]))
    assert message.get(INTENT) == pytest.approx({"name": "clinic_insurance", "confidence": 0.93})
    assert message.get(RISK_KEY)["level"] == "none"


def test_possible_risk_is_recorded_not_overridden(trained):
    message = run(
        trained,
        _message(
            "honestly nothing ever gets better and i'm so tired of all of it", [("tms_effectiveness", 0.4)]
        ),
    )
    assert message.get(RISK_KEY)["level"] == "possible"
    assert message.get(INTENT)["name"] == "tms_effectiveness"


def test_spanish_and_check_in_answer_are_recorded(trained):
    risk = run(trained, _message("si, a veces lo pienso", [("affirm", 0.5)])).get(RISK_KEY)
    assert risk["spanish"] is True
    assert risk["answer_yes"] > 0.5


def test_the_record_is_part_of_the_parse_output(trained):
    message = run(trained, _message("i want to kill myself", [("tms_overview", 0.5)]))
    assert RISK_KEY in message.as_dict(only_output_properties=True)


def test_without_a_model_the_lexicon_still_raises_the_alarm(lexicon_only):
    assert lexicon_only.model is None
    message = run(lexicon_only, _message("i want to kill myself", [("tms_overview", 0.9)]))
    assert message.get(INTENT)["name"] == "safety_crisis"
    assert message.get(RISK_KEY)["source"] == "lexicon"


def test_every_message_of_a_batch_is_judged(trained):
    messages = [
        _message("what is tms", [("tms_overview", 0.9)]),
        _message("i want to die", [("tms_overview", 0.9)]),
    ]
    out = trained.process(messages)
    assert [m.get(INTENT)["name"] for m in out] == ["tms_overview", "safety_crisis"]


def test_risk_of_an_older_turn_without_a_record_is_none():
    assert risk_of({"intent": {"name": "greet"}})["level"] == "none"
    assert risk_of(None)["signal"] == 0.0


def test_fingerprint_follows_the_corpus_and_lexicon():
    assert RiskClassifier.fingerprint_addon({}) == RiskClassifier.fingerprint_addon({})
    assert len(RiskClassifier.fingerprint_addon({}) or "") > 64
