"""LinearIntentClassifier: a calibrated linear SVM over TF-IDF word and character n-grams.

Why not DIET: on this data (short questions about ~36 topics, many typos) a linear model on
word 1-2-grams plus character 2-4-grams generalises better and is far cheaper. Its settings
were chosen by 5-fold cross-validation on the training data only (scripts/nlu_cv.py); the
held-out set in tests/nlu was scored once afterwards (docs/nlu.md).
Training takes seconds instead of minutes, and a prediction is a sparse dot product, so the
server answers faster and holds no TensorFlow intent model in memory.

Confidences come from sklearn's CalibratedClassifierCV (Platt scaling over internal folds),
so the FallbackClassifier threshold after this component means "probably not this intent".
The fitted pipeline is stored with skops, and loading refuses any type outside sklearn,
numpy and scipy.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import numpy as np
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import Pipeline, make_union
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent_classifier.skops"
# Only the start of a very long message is classified: the intent is stated early, and a
# 100 kB paste must not cost seconds of n-gram extraction.
MAX_CHARS = 4000
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


def build_pipeline(config: dict[str, Any]) -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, config["word_max_ngram"]), sublinear_tf=True),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(config["char_min_ngram"], config["char_max_ngram"]),
            sublinear_tf=True,
        ),
    )
    svm = LinearSVC(C=config["C"], random_state=config["random_seed"])
    classifier = CalibratedClassifierCV(svm, cv=config["calibration_folds"], method="sigmoid", ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])


def tfidf(vectorizer: TfidfVectorizer, idf: np.ndarray, texts: list[str]) -> sparse.csr_matrix:
    """`vectorizer.transform(texts)` with its idf vector passed in: sklearn 1.1 rebuilds `idf_`
    from a sparse diagonal matrix and multiplies by that matrix on every call (~0.3 ms, ~3% of
    the server's CPU per turn). The same values; sklearn's matrix product stores each row's
    columns in another order, so sums further on may differ in the last bit (~1e-15)."""
    features = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
    if vectorizer.sublinear_tf:
        np.log(features.data, features.data)
        features.data += 1
    if vectorizer.use_idf:
        features.data *= idf[features.indices]
    if vectorizer.norm:
        features = normalize(features, norm=vectorizer.norm, copy=False)
    return features


def clip(text: Optional[str]) -> str:
    return (text or "")[:MAX_CHARS]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 3.0,
            "word_max_ngram": 2,
            "char_min_ngram": 2,
            "char_max_ngram": 4,
            "calibration_folds": 5,
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Optional[Pipeline] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline
        self._idf_for: Optional[Pipeline] = None  # the pipeline self._idf was read from
        self._idf: dict[str, np.ndarray] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            logger.warning("LinearIntentClassifier: no intent examples, nothing trained.")
            return self._resource
        texts = [clip(m.get(TEXT)) for m in examples]
        labels = np.array([m.get(INTENT) for m in examples])  # sklearn 1.1 needs an array
        self.pipeline = build_pipeline(self.config).fit(texts, labels)
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.pipeline, model_dir / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                untrusted = sio.get_untrusted_types(file=path)
                unexpected = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
                if unexpected:
                    raise ValueError(f"refusing to load unexpected types {unexpected}")
                pipeline = sio.load(path, trusted=untrusted)
        except (ValueError, FileNotFoundError) as error:
            logger.warning("LinearIntentClassifier: no trained model loaded (%s).", error)
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        # What Pipeline.predict_proba computes, without FeatureUnion's joblib dispatch
        # (~4% of the server's CPU per turn for two small transforms; docs/performance.md).
        pipeline = self.pipeline
        assert pipeline is not None, "predicting needs a trained or loaded pipeline"
        union, classifier = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
        if self._idf_for is not pipeline:  # train() replaces the pipeline
            self._idf = {name: vectorizer.idf_ for name, vectorizer in union.transformer_list}
            self._idf_for = pipeline
        features = sparse.hstack(
            [tfidf(vectorizer, self._idf[name], texts) for name, vectorizer in union.transformer_list]
        ).tocsr()
        return classifier.predict_proba(features)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        probabilities = self._predict_proba([clip(m.get(TEXT)) for m in messages])
        classes = self.pipeline.classes_
        for message, row in zip(messages, probabilities, strict=False):
            order = np.argsort(row)[::-1][: self.config["ranking_length"]]
            ranking = [{"name": str(classes[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
