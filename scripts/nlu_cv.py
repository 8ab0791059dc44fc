"""Choose the intent classifier's settings by cross-validation on the training data only.

The held-out set (tests/nlu) is never read here, so it stays a fair final score.
Prints the macro-F1 for each candidate and, for the best, how many right and wrong
predictions each FallbackClassifier threshold would turn into a fallback.

    .venv/bin/python scripts/nlu_cv.py            # ~3 min on 2 cores
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

from rasa_ext.nlu.linear_intent_classifier import (  # noqa: E402
    LinearIntentClassifier,
    build_pipeline,
    clip,
)

CANDIDATES = [
    {"C": 0.3},
    {"C": 1.0},
    {"C": 3.0},
    {"C": 10.0},
    {"C": 3.0, "char_max_ngram": 4},
    {"C": 3.0, "word_max_ngram": 1},
]
THRESHOLDS = [0.25, 0.3, 0.35, 0.4, 0.45]


def training_examples() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for path in sorted(glob.glob("data/nlu/*.yml")):
        for message in load_data(path).intent_examples:
            texts.append(clip(message.get("text")))  # as LinearIntentClassifier.train
            labels.append(message.get("intent"))
    return texts, np.array(labels)


def cv_probabilities(settings: dict, texts: list[str], labels: np.ndarray) -> np.ndarray:
    config = {**LinearIntentClassifier.get_default_config(), **settings}
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_predict(build_pipeline(config), texts, labels, cv=folds, method="predict_proba")


def main() -> None:
    texts, labels = training_examples()
    classes = np.unique(labels)
    best = None
    for settings in CANDIDATES:
        probabilities = cv_probabilities(settings, texts, labels)
        score = f1_score(labels, classes[probabilities.argmax(1)], average="macro")
        print(f"{settings}: 5-fold macro-F1 {score:.4f}", flush=True)
        if best is None or score > best[0]:
            best = (score, settings, probabilities)
    score, settings, probabilities = best
    print(f"best: {settings} ({score:.4f})")
    right = classes[probabilities.argmax(1)] == labels
    confidence = probabilities.max(1)
    for threshold in THRESHOLDS:
        low = confidence < threshold
        print(
            f"fallback threshold {threshold}: right answers lost {(right & low).mean():.2%}, "
            f"wrong answers caught {(~right & low).sum() / max(1, (~right).sum()):.1%}"
        )


if __name__ == "__main__":
    main()
