"""CPU time of the safety classifier's n-gram features: scikit-learn's against cached.

Takes the real test set's questions of up to 300 characters (what the load
benchmark sends) and, for each of the safety classifier's two n-gram
featurizers (words, characters), times in one process, taking turns for several
rounds: scikit-learn's ``HashingVectorizer.transform`` and its product with a
weight vector (what a parse did), against ``CachedHashing.transform`` and
``CachedHashing.dot`` (what it does now). One text a call, as in a parse; the
cache warmed by one pass first, as a running server's is. Prints the median
CPU milliseconds a text.

usage: python -m benchmarks.hashing_speed [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Dict, List, Sequence

import numpy as np

from benchmarks.load.__main__ import REALWORLD
from benchmarks.load.visitors import load_questions
from components.hashed_ngrams import CachedHashing
from components.safety_classifier import _hashers


def timed(
    ways: Dict[str, Callable[[str], object]], texts: Sequence[str], rounds: int
) -> Dict[str, float]:
    """Median CPU ms a text of each way, the ways taking turns."""
    spent: Dict[str, List[float]] = {name: [] for name in ways}
    for way in ways.values():  # warm-up (and the cache)
        for text in texts:
            way(text)
    for _ in range(rounds):
        for name, way in ways.items():
            started = time.process_time()
            for text in texts:
                way(text)
            spent[name].append(1000 * (time.process_time() - started) / len(texts))
    return {name: statistics.median(values) for name, values in spent.items()}


def ways(cached: CachedHashing) -> Dict[str, Callable[[str], object]]:
    """The four ways to time for one featurizer."""
    plain = cached.vectorizer
    weights = np.random.default_rng(0).normal(size=plain.n_features)
    return {
        "scikit-learn transform": lambda t: plain.transform([t]),
        "scikit-learn transform @ w": lambda t: plain.transform([t]) @ weights,
        "cached transform": lambda t: cached.transform([t]),
        "cached dot": lambda t: cached.dot([t], weights),
    }


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = load_questions(REALWORLD, max_chars=300)
    print(f"{len(texts)} real questions of up to 300 characters, one a call")
    for cached in _hashers():
        plain = cached.vectorizer
        print(f"{plain.analyzer} n-grams {plain.ngram_range}:")
        for name, ms in timed(ways(cached), texts, args.rounds).items():
            print(f"  {name:28} {ms:.3f} ms")


if __name__ == "__main__":
    main()
