"""Groups similar visitor messages: TF-IDF over word unigrams and character 3-5-grams within
words (English and domain stop words out, a light suffix stemmer so "teen" / "teens" and
"park" / "parking" meet), then agglomerative clustering with average linkage on cosine
distance, cut at a distance threshold, so the number of clusters follows the data."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

# Chosen on tests/console/gap_paraphrases.py (ARI 0.80-0.85 for 0.85-0.95).
DISTANCE_THRESHOLD = 0.9
# Words nearly every question here has, which would pull unrelated questions together.
DOMAIN_STOP_WORDS = frozenset(
    {
        "tms",
        "treatment",
        "session",
        "sessions",
        "clinic",
        "office",
        "ok",
        "available",
        "offer",
        "need",
        "get",
        "does",
        "do",
    }
)
STOP_WORDS = ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS
_SUFFIXES = ("ancy", "ing", "ers", "er", "ed", "es", "s")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def prepare(text: str) -> str:
    """Lower case, punctuation out, stop words out, words stemmed."""
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    kept = [stem(w) for w in words if w not in STOP_WORDS]
    return " ".join(kept or words)


def features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Row-normalised TF-IDF features (sparse: thousands of messages x character n-grams)."""
    docs = [prepare(t) for t in texts]
    parts = []
    for vectorizer in (
        TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    ):
        try:
            parts.append(vectorizer.fit_transform(docs))
        except ValueError:  # empty vocabulary
            continue
    if not parts:
        return sparse.csr_matrix((len(texts), 1))
    return normalize(sparse.hstack(parts).tocsr())


def cosine_distances(matrix: sparse.csr_matrix) -> np.ndarray:
    """Pairwise cosine distances; a message without any feature is at distance 1 from all."""
    similarity = (matrix @ matrix.T).toarray()
    distances = np.clip(1.0 - similarity, 0.0, 2.0)
    empty = np.asarray(matrix.getnnz(axis=1) == 0)
    distances[empty, :] = 1.0
    distances[:, empty] = 1.0
    np.fill_diagonal(distances, 0.0)
    return distances


def cluster_labels(texts: Sequence[str], threshold: float = DISTANCE_THRESHOLD) -> list[int]:
    """A cluster number per text, numbered by size (0 = the largest cluster)."""
    if len(texts) < 2:
        return [0] * len(texts)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, affinity="precomputed", linkage="average"
    )
    raw = model.fit_predict(cosine_distances(features(texts))).tolist()
    sizes = {label: raw.count(label) for label in set(raw)}
    order = sorted(sizes, key=lambda label: (-sizes[label], label))
    renumber = {label: i for i, label in enumerate(order)}
    return [renumber[label] for label in raw]
