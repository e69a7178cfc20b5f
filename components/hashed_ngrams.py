"""N-gram features hashed as scikit-learn's ``HashingVectorizer`` hashes them, cached.

The safety classifier reads the words and character n-grams of every message
(and of each window of a long post) through ``HashingVectorizer``: nothing to
store but the weights. Its ``transform`` spends most of its time not on cutting
the text into n-grams but around it: it builds a ``FeatureHasher`` and hashes
every n-gram again at each call, then builds, sorts and normalises a sparse
matrix in several passes: 0.09 ms a text for word n-grams and 0.13 ms for
character n-grams, of which cutting the n-grams is a tenth and a third
(``python -m benchmarks.hashing_speed``).

:class:`CachedHashing` gives the same matrix, value for value: the same
n-grams (scikit-learn's own analyzer; for character n-grams, a word at a time,
as that analyzer cuts them), each hashed once by scikit-learn's own hash and its
column kept, then counted and normalised in one pass. The cache is bounded: when
full, it starts again. It reads two private parts of scikit-learn (the hash
function, the character analyzer's per-word step), at the pinned version:
``tests/unit/test_hashed_ngrams.py`` compares it with ``transform`` bit for bit
on every real question, so a version that changes them fails there.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import scipy.sparse
from sklearn.feature_extraction._hashing_fast import transform as _hash_features
from sklearn.feature_extraction.text import HashingVectorizer

# the settings this class reproduces; any other is refused
_SUPPORTED = {
    "input": "content",
    "strip_accents": None,
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "binary": False,
    "alternate_sign": False,
}


class CachedHashing:
    """``HashingVectorizer.transform``, with each n-gram's column hashed once.

    Args:
        vectorizer: the vectorizer to reproduce: analyzer ``word`` or
            ``char_wb``, norm ``l2`` or None, no sign alternation, no stop words
            and no custom preprocessing.
        max_cached: how many entries the cache keeps before it starts again.

    Raises:
        ValueError: a setting this class does not reproduce.

    """

    def __init__(self, vectorizer: HashingVectorizer, max_cached: int = 50_000):
        params = vectorizer.get_params()
        unsupported = {
            name: params[name]
            for name, value in _SUPPORTED.items()
            if params[name] != value
        }
        if params["analyzer"] not in ("word", "char_wb"):
            unsupported["analyzer"] = params["analyzer"]
        if params["norm"] not in ("l2", None):
            unsupported["norm"] = params["norm"]
        if unsupported:
            raise ValueError(f"CachedHashing does not reproduce {unsupported}")
        self.vectorizer = vectorizer
        self.max_cached = max_cached
        self._by_words = params["analyzer"] == "char_wb"
        self._preprocess = vectorizer.build_preprocessor()
        self._analyze: Callable[[str], List[str]] = (
            vectorizer._char_wb_ngrams  # a word's n-grams, as in a whole text
            if self._by_words
            else vectorizer.build_analyzer()
        )
        self._columns: Dict[str, Any] = {}
        """A word's columns (character n-grams), or an n-gram's column (words)."""

    def _hash(self, features: Sequence[str]) -> np.ndarray:
        """Each feature's column, by scikit-learn's hash (as ``FeatureHasher``)."""
        columns, _, _ = _hash_features(
            [[(f, 1) for f in features]],
            self.vectorizer.n_features,
            self.vectorizer.dtype,
            False,  # alternate_sign
            0,  # seed
        )
        return np.asarray(columns, dtype=np.int64)

    def _word_columns(self, word: str) -> np.ndarray:
        """The columns of a word's character n-grams (one per n-gram, repeats kept)."""
        found = self._columns.get(word)
        if found is None:
            if len(self._columns) >= self.max_cached:
                self._columns = {}
            found = self._columns[word] = self._hash(self._analyze(word))
        return found

    def _text_columns(self, text: str) -> np.ndarray:
        """The columns of every n-gram of ``text``, one per n-gram."""
        if self._by_words:
            words = self._preprocess(text).split()
            if not words:
                return np.zeros(0, dtype=np.int64)
            return np.concatenate([self._word_columns(w) for w in words])
        grams = self._analyze(text)
        known = self._columns
        missing = [g for g in dict.fromkeys(grams) if g not in known]
        if missing:
            if len(known) + len(missing) > self.max_cached:
                known = self._columns = {}
                missing = list(dict.fromkeys(grams))
            known.update(zip(missing, self._hash(missing).tolist(), strict=True))
        return np.fromiter((known[g] for g in grams), dtype=np.int64, count=len(grams))

    def _row(self, text: str) -> Tuple[np.ndarray, np.ndarray]:
        """The text's columns and values, as in its row of ``transform``."""
        columns, counts = np.unique(self._text_columns(text), return_counts=True)
        values = counts.astype(self.vectorizer.dtype)
        if self.vectorizer.norm == "l2" and len(values):
            values /= np.sqrt(np.dot(values, values))
        return columns, values

    def transform(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        """The texts' rows: ``HashingVectorizer.transform(texts)``, value for value."""
        rows = [self._row(text) for text in texts]
        indptr = np.cumsum([0, *(len(columns) for columns, _ in rows)])
        return scipy.sparse.csr_matrix(
            (
                np.concatenate([values for _, values in rows]),
                np.concatenate([columns for columns, _ in rows]),
                indptr,
            ),
            shape=(len(texts), self.vectorizer.n_features),
        )

    def dot(self, texts: Sequence[str], weights: np.ndarray) -> np.ndarray:
        """``transform(texts) @ weights`` without the matrix (a third of the time).

        The same products, summed in another order: equal to about 1e-15.
        """
        return np.array(
            [
                np.dot(values, weights[columns])
                for columns, values in map(self._row, texts)
            ]
        )
