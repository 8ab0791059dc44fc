"""LinearIntentClassifier: trains, persists through Rasa's model storage, loads, ranks."""

import numpy as np
import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.nlu import linear_intent_classifier as lic
from rasa_ext.nlu.linear_intent_classifier import LinearIntentClassifier

EXAMPLES = {
    "tms_side_effects": [
        "does tms hurt",
        "tms side effects",
        "will tms give me a headache",
        "is scalp pain normal after tms",
        "any side effects from rtms",
        "does magnetic stimulation cause headaches",
    ],
    "clinic_insurance": [
        "do you take aetna",
        "which insurance plans do you accept",
        "is my blue cross plan accepted",
        "do you bill insurance",
        "can i use my insurance here",
        "is cigna in network",
    ],
    "chitchat_greet": ["hi", "hello there", "hey", "good morning", "hiya", "hello"],
}


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def trained(storage, **config):
    resource = Resource("linear_intent")
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), "calibration_folds": 3, **config},
        storage,
        resource,
        context,
    )
    messages = [
        Message(data={"text": text, "intent": intent}) for intent, texts in EXAMPLES.items() for text in texts
    ]
    component.train(TrainingData(messages))
    return component, resource, context


def classify(component, text):
    return component.process([Message(data={"text": text})])[0]


def test_predicts_an_unseen_phrasing_with_a_sorted_ranking(storage):
    component, _, _ = trained(storage)
    message = classify(component, "do u accept my insurence")
    assert message.get("intent")["name"] == "clinic_insurance"
    confidences = [entry["confidence"] for entry in message.get("intent_ranking")]
    assert confidences == sorted(confidences, reverse=True)
    assert message.get("intent") == message.get("intent_ranking")[0]
    assert 0.0 <= confidences[-1] and confidences[0] <= 1.0


def test_ranking_is_capped(storage):
    component, _, _ = trained(storage, ranking_length=2)
    assert len(classify(component, "hello").get("intent_ranking")) == 2


def test_survives_persist_and_load(storage):
    component, resource, context = trained(storage)
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, resource, context
    )
    for text in ["hey there", "does tms cause headaches", "do you take my insurance"]:
        assert classify(loaded, text).get("intent_ranking") == classify(component, text).get("intent_ranking")


def test_load_refuses_types_outside_sklearn_numpy_scipy(storage, monkeypatch):
    _, resource, context = trained(storage)
    monkeypatch.setattr(sio, "get_untrusted_types", lambda file: ["os.system"])
    loaded = LinearIntentClassifier.load({}, storage, resource, context)
    assert loaded.pipeline is None
    message = classify(loaded, "hello")
    assert message.get("intent") is None  # left for FallbackClassifier / the guard


def test_empty_and_huge_text_are_classified_without_error(storage):
    component, _, _ = trained(storage)
    for text in ["", "   ", "a" * 100_000]:
        assert classify(component, text).get("intent")["name"] in EXAMPLES
    assert len(lic.clip("x" * 100_000)) == lic.MAX_CHARS


def test_fast_path_gives_the_pipelines_own_probabilities(storage):
    component, _, _ = trained(storage)
    texts = [
        "hi",
        "does tms hurt",
        "insurance?",
        "",
        "ok thanks a lot for the info",
        "tms tms tms hurt hurt",
        "Ünïcödé ZZZ qqq",
        "a" * 5000,
        "does rtms hurt? hi hi hello",
    ]
    ours, theirs = component._predict_proba(texts), component.pipeline.predict_proba(texts)
    # the same features, summed in another order (lic.tfidf): equal to the last bits
    assert np.abs(ours - theirs).max() < 1e-12
    assert (np.argsort(ours, axis=1) == np.argsort(theirs, axis=1)).all()


def test_tfidf_features_are_sklearns_own(storage):
    component, _, _ = trained(storage)
    texts = ["hi", "", "tms tms tms hurt hurt", "Ünïcödé ZZZ qqq", "is cigna in network? cigna!"]
    for _name, vectorizer in component.pipeline.named_steps["features"].transformer_list:
        ours, theirs = lic.tfidf(vectorizer, vectorizer.idf_, texts), vectorizer.transform(texts)
        ours.sort_indices()
        theirs.sort_indices()
        assert (ours.indptr == theirs.indptr).all() and (ours.indices == theirs.indices).all()
        # The same features up to rounding: the last bit differs between CPUs (SIMD paths).
        assert ours.data.size > 10
        np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-9, atol=1e-12)
