"""CPU time of the safety classifier's n-gram features: scikit-learn's against cached.

For each of the safety classifier's two n-gram featurizers (words,
characters), times in one process, taking turns for several rounds, one text a
call as in a parse, on the real test set's questions of up to 300 characters
(what the load benchmark sends):

* scikit-learn's ``HashingVectorizer.transform``, and its product with a weight
  vector (what a parse did);
* ``CachedHashing.transform`` and ``CachedHashing.dot`` (what a parse does
  now), with the cache warmed on the real *dev* questions only, as a running
  server's is by earlier visitors (``warm``), and with an empty cache at the
  start of every round (``cold``: each word hashed at its first sight).

Prints the median CPU milliseconds a text.

usage: python -m benchmarks.hashing_speed [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from benchmarks.load.__main__ import REALWORLD
from benchmarks.load.visitors import load_questions
from components.hashed_ngrams import CachedHashing
from components.safety_classifier import _hashers

DEV = REALWORLD.with_name("dev.yml")

Way = Callable[[str], object]


def timed(
    ways: Dict[str, Callable[[], Way]], texts: Sequence[str], rounds: int
) -> Dict[str, float]:
    """Median CPU ms a text of each way, the ways taking turns.

    Each way is made afresh for every round (``ways`` holds their makers).
    """
    spent: Dict[str, List[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, make in ways.items():
            way = make()
            started = time.process_time()
            for text in texts:
                way(text)
            spent[name].append(1000 * (time.process_time() - started) / len(texts))
    return {name: statistics.median(values) for name, values in spent.items()}


def ways(
    plain: HashingVectorizer, warm_texts: Sequence[str]
) -> Dict[str, Callable[[], Way]]:
    """The ways to time for one featurizer."""
    weights = np.random.default_rng(0).normal(size=plain.n_features)

    def cached(warm: bool) -> CachedHashing:
        made = CachedHashing(plain)
        if warm:
            made.transform(warm_texts)
        return made

    def one(made: CachedHashing) -> Way:
        return lambda text: made.transform([text])

    def dot(made: CachedHashing) -> Way:
        return lambda text: made.dot([text], weights)

    return {
        "scikit-learn transform": lambda: lambda t: plain.transform([t]),
        "scikit-learn transform @ w": lambda: lambda t: plain.transform([t]) @ weights,
        "cached transform, warm": lambda: one(cached(True)),
        "cached dot, warm": lambda: dot(cached(True)),
        "cached dot, cold": lambda: dot(cached(False)),
    }


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = load_questions(REALWORLD, max_chars=300)
    warm_texts = load_questions(DEV, max_chars=300)
    print(
        f"{len(texts)} real test questions of up to 300 characters, one a call; "
        f"warm: the cache filled with the {len(warm_texts)} dev questions' n-grams"
    )
    for cached in _hashers():
        plain = cached.vectorizer
        print(f"{plain.analyzer} n-grams {plain.ngram_range}:")
        for name, ms in timed(ways(plain, warm_texts), texts, args.rounds).items():
            print(f"  {name:28} {ms:.3f} ms")


if __name__ == "__main__":
    main()
