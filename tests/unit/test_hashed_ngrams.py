"""Cached n-gram hashing: scikit-learn's HashingVectorizer, value for value."""

from __future__ import annotations

from typing import List

import numpy as np
import pytest
import yaml
from sklearn.feature_extraction.text import HashingVectorizer

from components.hashed_ngrams import CachedHashing
from components.safety_classifier import _hashers
from medspa.settings import PROJECT_DIR

ODD_TEXTS = [
    "",
    " ",
    "a",
    "I I I a b",
    "İstanbul ÇA\tb\n\nc  d",
    "ﬁne Straße ΣΑΣ",
    "\x00\x1f binary\x7f",
    "<b>HTML</b> &amp; é",
    "Ist Thermage schmerzhaft?",
    "x" * 5000,
    "word " * 300,
]


def _real_texts() -> List[str]:
    return [
        str(item["text"])
        for split in ("dev", "test")
        for item in yaml.safe_load(
            (PROJECT_DIR / "tests" / "realworld" / f"{split}.yml").read_text()
        )
    ]


@pytest.fixture(scope="module")
def texts() -> List[str]:
    return _real_texts() + ODD_TEXTS + [t.upper() for t in _real_texts()[:300]]


@pytest.mark.parametrize("which", [0, 1], ids=["words", "characters"])
@pytest.mark.parametrize("max_cached", [50_000, 500], ids=["cache", "small-cache"])
def test_the_same_matrix_as_scikit_learn(
    texts: List[str], which: int, max_cached: int
) -> None:
    cached = CachedHashing(_hashers()[which].vectorizer, max_cached=max_cached)
    reference = cached.vectorizer
    # one text at a time (as a parse), and every text in one call (as training)
    for text in texts:
        expected, found = reference.transform([text]), cached.transform([text])
        assert np.array_equal(expected.indices, found.indices), text
        assert np.array_equal(expected.indptr, found.indptr), text
        assert np.array_equal(expected.data, found.data), text  # bit for bit
    expected, found = reference.transform(texts), cached.transform(texts)
    assert (expected != found).nnz == 0
    assert len(cached._columns) <= max_cached


@pytest.mark.parametrize("which", [0, 1], ids=["words", "characters"])
def test_dot_is_the_product_with_the_matrix(texts: List[str], which: int) -> None:
    cached = _hashers()[which]
    weights = np.random.default_rng(7).normal(size=cached.vectorizer.n_features)
    expected = cached.vectorizer.transform(texts) @ weights
    assert np.allclose(cached.dot(texts, weights), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "setting",
    [
        {"analyzer": "char"},
        {"alternate_sign": True},
        {"norm": "l1"},
        {"stop_words": "english"},
        {"binary": True},
        {"preprocessor": str.strip},
    ],
)
def test_settings_it_does_not_reproduce_are_refused(setting: dict) -> None:
    with pytest.raises(ValueError, match="does not reproduce"):
        CachedHashing(HashingVectorizer(**{"alternate_sign": False, **setting}))


def test_no_norm_gives_counts() -> None:
    vectorizer = HashingVectorizer(norm=None, alternate_sign=False, n_features=2**10)
    text = "peeling peeling after laser"
    found = CachedHashing(vectorizer).transform([text])
    assert np.array_equal(found.toarray(), vectorizer.transform([text]).toarray())
    assert sorted(found.data) == [1.0, 1.0, 2.0]  # peeling twice, after, laser
