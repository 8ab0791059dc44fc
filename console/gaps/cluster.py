"""Groups similar visitor messages: TF-IDF over word unigrams and character 3-5-grams within
words (English and domain stop words out, a light suffix stemmer so "teen" / "teens" and
"park" / "parking" meet), then agglomerative clustering with average linkage on cosine
distance, cut at a distance threshold, so the number of clusters follows the data."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy.sparse import hstack
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

# Chosen on tests/console/gap_paraphrases.py (ARI 0.80-0.85 for 0.85-0.95).
DISTANCE_THRESHOLD = 0.9
# Words nearly every question here has, which would pull unrelated questions together.
DOMAIN_STOP_WORDS = frozenset({"tms", "treatment", "session", "sessions", "clinic", "office",
                               "ok", "available", "offer", "need", "get", "does", "do"})
STOP_WORDS = ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS
_SUFFIXES = ("ancy", "ing", "ers", "er", "ed", "es", "s")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[:-len(suffix)]
    return word


def prepare(text: str) -> str:
    """Lower case, punctuation out, stop words out, words stemmed."""
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    kept = [stem(w) for w in words if w not in STOP_WORDS]
    return " ".join(kept or words)


def features(texts: Sequence[str]) -> np.ndarray:
    docs = [prepare(t) for t in texts]
    parts = []
    for vectorizer in (TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b"),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)):
        try:
            parts.append(vectorizer.fit_transform(docs))
        except ValueError:  # empty vocabulary
            continue
    if not parts:
        return np.zeros((len(texts), 1))
    matrix = hstack(parts).toarray()
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def cluster_labels(texts: Sequence[str], threshold: float = DISTANCE_THRESHOLD) -> list[int]:
    """A cluster number per text, numbered by size (0 = the largest cluster)."""
    if len(texts) < 2:
        return [0] * len(texts)
    matrix = features(texts)
    # A message with no features at all gets one of its own (cosine needs a non-zero vector).
    empty = ~matrix.any(axis=1)
    if empty.any():
        matrix = np.hstack([matrix, np.diag(empty.astype(float))[:, empty]])
    model = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold,
                                    affinity="cosine", linkage="average")
    raw = model.fit_predict(matrix).tolist()
    sizes = {label: raw.count(label) for label in set(raw)}
    order = sorted(sizes, key=lambda label: (-sizes[label], label))
    renumber = {label: i for i, label in enumerate(order)}
    return [renumber[label] for label in raw]
