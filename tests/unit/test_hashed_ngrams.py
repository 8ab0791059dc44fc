"""Hashed n-gram TF-IDF (practice/safety/hashed_ngrams.py): what sklearn's TfidfVectorizer computes,
with n-grams found by hashing instead of by name."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from practice.safety.hashed_ngrams import HashedNgrams

TEXTS = ["i want to stop", "how long is a tms session", "tms tms tms", "", "a", "no way out | ever"]


def test_each_block_is_unit_length_and_rows_match_texts():
    features = HashedNgrams(bits=12).fit(TEXTS).transform(TEXTS + ["unseen words here"])
    assert features.shape == (len(TEXTS) + 1, 2 * 4096)
    for row in range(features.shape[0]):
        words, chars = features[row, :4096].toarray(), features[row, 4096:].toarray()
        for block in (words, chars):
            norm = np.sqrt((block**2).sum())
            assert norm == pytest.approx(1.0) or norm == pytest.approx(0.0)


def test_fit_transform_equals_fit_then_transform():
    a = HashedNgrams(bits=12).fit_transform(TEXTS)
    b = HashedNgrams(bits=12).fit(TEXTS).transform(TEXTS)
    assert (a != b).nnz == 0


def test_same_weights_as_sklearn_when_nothing_collides():
    # One block at a time against TfidfVectorizer's own numbers (sublinear tf, smooth idf, l2).
    texts = ["the cat sat", "the cat ran far", "dogs ran"]
    ours = HashedNgrams(word_ngrams=(1, 2), char_ngrams=(3, 3), bits=20).fit(texts).transform(texts)
    theirs = (
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[a-z0-9']+")
        .fit(texts)
        .transform(texts)
    )
    words = ours[:, : 1 << 20]
    assert sorted(np.round(words.data, 9)) == pytest.approx(sorted(np.round(theirs.data, 9)))


def test_hashes_do_not_depend_on_the_process():
    # Python's str hash is salted per process; these must be stable across restarts.
    model = HashedNgrams(bits=16)
    assert list(model._word_hashes("hello there")[:2]) == list(
        HashedNgrams(bits=16)._word_hashes("hello there")[:2]
    )
    assert int(model._char_hashes("ab")[0]) == int(
        (np.uint64(97) ^ np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    )
