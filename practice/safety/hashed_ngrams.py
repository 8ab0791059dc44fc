"""TF-IDF over hashed word and character n-grams, computed with numpy: a long message in well
under a millisecond.

Why not sklearn's TfidfVectorizer: it builds every n-gram as a Python string and looks each up
in a dict, ~20 ms for a 2,000-character message with character 1-5-grams; the risk model runs
on every message (twice in the channels' crisis screen and the NLU before), so that would be
most of a turn's CPU. Here a character n-gram is a rolling polynomial hash of the byte codes,
a word n-gram a combination of its words' CRC-32s, all in vectorised integer arithmetic
(wrap-around is the hash's modulus). Collisions in 2**18 buckets per kind cost nothing
measurable (scripts/risk_cv.py scores the model with them).

Same weighting as TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2"), applied to
the word and the character block separately, like a FeatureUnion of two vectorizers. Expects
normalised ASCII text (``practice.safety.risk_model.model_text``); other characters are dropped.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable, List, Sequence, Tuple

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

_WORD = re.compile(r"[a-z0-9']+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads the bits
_BASE = np.uint64(1_000_003)


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    return (values ^ np.uint64(salt)) * _MULTIPLIER


def _tfidf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Sublinear term frequency times idf, L2-normalised (one block of one text)."""
    weights = (1.0 + np.log(counts)) * idf
    norm = np.sqrt(np.dot(weights, weights))
    return weights / norm if norm else weights


class HashedNgrams(TransformerMixin, BaseEstimator):
    """Sparse TF-IDF features: word ``word_ngrams`` and character ``char_ngrams`` n-grams."""

    def __init__(
        self, word_ngrams: Tuple[int, int] = (1, 3), char_ngrams: Tuple[int, int] = (1, 5), bits: int = 18
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.bits = bits

    # ------------------------------------------------------------------ hashing
    @staticmethod
    def _ngram_hashes(codes: np.ndarray, sizes: Tuple[int, int], salt: int) -> np.ndarray:
        """Hashes of every n-gram of ``codes`` for n in ``sizes`` (inclusive)."""
        low, high = sizes
        parts = []
        rolling = np.zeros(len(codes), dtype=np.uint64)
        for n in range(1, min(high, len(codes)) + 1):
            # rolling[i] = hash of codes[i : i + n], built from the (n-1)-gram hashes
            rolling = rolling[: len(codes) - n + 1] * _BASE + codes[n - 1 :]
            if n >= low:
                parts.append(_mix(rolling, salt + n))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)

    def _char_hashes(self, text: str) -> np.ndarray:
        codes = np.frombuffer(text.encode("ascii", "ignore"), dtype=np.uint8).astype(np.uint64)
        return self._ngram_hashes(codes, self.char_ngrams, 0)

    def _word_hashes(self, text: str) -> np.ndarray:
        words = np.array([zlib.crc32(w.encode()) for w in _WORD.findall(text)], dtype=np.uint64)
        return self._ngram_hashes(words, self.word_ngrams, 100)

    def _counts(self, hashes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        buckets = (hashes >> np.uint64(64 - self.bits)).astype(np.int64)
        return np.unique(buckets, return_counts=True)

    def _rows(
        self, texts: Iterable[str]
    ) -> List[Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]]:
        return [(self._counts(self._word_hashes(t)), self._counts(self._char_hashes(t))) for t in texts]

    # ------------------------------------------------------------------ sklearn API
    def fit(self, texts: Sequence[str], y: object = None) -> "HashedNgrams":
        self._fit_rows(self._rows(texts))
        return self

    def fit_transform(
        self, texts: Sequence[str], y: object = None, **fit_params: object
    ) -> sparse.csr_matrix:
        rows = self._rows(texts)  # hashed once for both steps
        self._fit_rows(rows)
        return self._matrix(rows)

    def _fit_rows(self, rows: list) -> None:
        size = 1 << self.bits
        df_word, df_char = np.zeros(size), np.zeros(size)
        for (word_idx, _), (char_idx, _) in rows:
            df_word[word_idx] += 1
            df_char[char_idx] += 1
        n = len(rows)
        self.idf_word_ = np.log((1 + n) / (1 + df_word)) + 1
        self.idf_char_ = np.log((1 + n) / (1 + df_char)) + 1

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self._matrix(self._rows(texts))

    def weighted(self, text: str) -> Tuple[np.ndarray, np.ndarray]:
        """One text's non-zero feature columns and their values: ``transform([text])`` without
        building a sparse matrix (a fitted linear model needs only these)."""
        (word_idx, word_n), (char_idx, char_n) = self._rows([text])[0]
        values = (_tfidf(word_n, self.idf_word_[word_idx]), _tfidf(char_n, self.idf_char_[char_idx]))
        return np.concatenate((word_idx, char_idx + (1 << self.bits))), np.concatenate(values)

    def _matrix(self, rows: list) -> sparse.csr_matrix:
        size = 1 << self.bits
        indptr, indices, data = [0], [], []
        for (word_idx, word_n), (char_idx, char_n) in rows:
            for idx, counts, idf, offset in (
                (word_idx, word_n, self.idf_word_, 0),
                (char_idx, char_n, self.idf_char_, size),
            ):
                indices.append(idx + offset)
                data.append(_tfidf(counts, idf[idx]))
            indptr.append(indptr[-1] + len(word_idx) + len(char_idx))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, int),
                np.array(indptr),
            ),
            shape=(len(indptr) - 1, 2 * size),
        )
