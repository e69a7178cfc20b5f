"""Rasa's CountVectorsFeaturizer, computing only the sentence features it is read for.

Rasa's featurizer runs its fitted ``CountVectorizer`` twice for every message:
once on the tokens one by one (sequence features: a row per token) and once
on the joined text (the sentence feature). The only reader here,
:class:`components.intent_classifier.LinearIntentClassifier`, reads the
sentence feature; the sequence pass was two thirds of the featurizers' time
(``make profile``). :class:`SentenceCountVectorsFeaturizer` trains, stores and
loads exactly as Rasa's (the same vocabularies, the same configuration) and
sets the same sentence feature (a test compares them), counted with the
vectorizer's own analyzer and a dictionary instead of a scipy matrix built per
call; it sets no sequence feature.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer


def sentence_counts(
    analyze: Callable[[str], List[str]],
    vocabulary: Dict[str, int],
    tokens: List[str],
    dtype: Any,
) -> scipy.sparse.coo_matrix:
    """The counts of the vocabulary's terms in the joined tokens (one row).

    What ``CountVectorizer.transform([" ".join(tokens)])`` gives, sorted by column.
    """
    counts = Counter(
        vocabulary[term] for term in analyze(" ".join(tokens)) if term in vocabulary
    )
    columns = np.array(sorted(counts), dtype=np.int32)
    values = np.array([counts[column] for column in columns.tolist()], dtype=dtype)
    return scipy.sparse.coo_matrix(
        (values, (np.zeros(len(columns), dtype=np.int32), columns)),
        shape=(1, len(vocabulary)),
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer with sentence features only."""

    @classmethod
    def required_components(cls) -> List[type]:
        """A tokenizer must run first, as for Rasa's."""
        return [Tokenizer]

    def _analyzer(self, attribute: str) -> Callable[[str], List[str]]:
        """The vectorizer's own analyzer, built once (it reads no vocabulary)."""
        cache: Dict[str, Callable[[str], List[str]]] = self.__dict__.setdefault(
            "_analyzers", {}
        )
        if attribute not in cache:
            cache[attribute] = self.vectorizers[attribute].build_analyzer()
        return cache[attribute]

    def _create_features(
        self, attribute: str, all_tokens: List[List[str]]
    ) -> Tuple[List[Optional[Any]], List[Optional[Any]]]:
        """The sentence feature of each message's tokens; no sequence feature.

        Attributes without a sentence feature in Rasa's (intents, action
        names) and untrained vectorizers are left to Rasa's.
        """
        vocabulary = self._get_attribute_vocabulary(attribute)
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES or vocabulary is None:
            return super()._create_features(attribute, all_tokens)
        vectorizer = self.vectorizers[attribute]
        analyze = self._analyzer(attribute)
        sentences: List[Optional[Any]] = [
            sentence_counts(analyze, vocabulary, tokens, vectorizer.dtype)
            if tokens
            else None
            for tokens in all_tokens
        ]
        return [None] * len(all_tokens), sentences
