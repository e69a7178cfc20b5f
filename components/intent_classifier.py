"""A linear intent classifier over word, character and sentence-embedding features.

Rasa's DIET is built for large data sets and joint entity tagging; this
assistant has a few thousand short examples and finds entities in the
knowledge base, so a well-regularised multinomial logistic regression on
the pipeline's features generalises better to visitors' own words (see
``benchmarks/nlu_accuracy.py`` and the README's figures). It reads the
sentence features the featurizers before it produced:

* sparse counts (``CountVectorsFeaturizer``: words, character n-grams), which
  it weighs as sublinear TF-IDF, each block scaled to unit length;
* dense vectors (``SentenceEmbeddingFeaturizer``), scaled by ``dense_weight``.

The trained model is stored as plain arrays (``.npz``) and a JSON file, never
as a pickle, and predicts with numpy alone.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple, Type

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.example_weights import example_weights
from components.stored_arrays import ArrayModelComponent

logger = logging.getLogger(__name__)


def _sentence_blocks(
    message: Message, as_csr: bool = True
) -> Tuple[List[Any], List[np.ndarray]]:
    """The message's sparse and dense sentence feature matrices, by featurizer.

    Args:
        message: a featurized message.
        as_csr: sparse blocks as CSR matrices (else as the featurizer made them).

    """
    sparse, dense = [], []
    for feature in message.features:
        if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        if feature.is_sparse():
            features = feature.features
            sparse.append(scipy.sparse.csr_matrix(features) if as_csr else features)
        else:
            dense.append(np.asarray(feature.features, dtype=np.float64))
    return sparse, dense


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(ArrayModelComponent, IntentClassifier):
    """Multinomial logistic regression on TF-IDF counts and sentence embeddings."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """Featurizers must run first."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation, weight of the dense block, ranking length, seed."""
        return {
            "C": 30.0,
            "dense_weight": 1.0,
            "max_iter": 5000,
            "ranking_length": 10,
            "random_seed": 2024,
            "real_weight": 1.0,
        }

    # -- features ---------------------------------------------------------------

    def _matrix(
        self, messages: List[Message], idf: List[np.ndarray]
    ) -> scipy.sparse.csr_matrix:
        """One row per message: weighted sparse blocks, then the dense blocks."""
        rows = []
        for message in messages:
            sparse, dense = _sentence_blocks(message)
            if len(sparse) != len(idf):
                raise ValueError(
                    f"{type(self).__name__} expects {len(idf)} sparse featurizers' "
                    f"sentence features, got {len(sparse)}"
                )
            parts = []
            for counts, weights in zip(sparse, idf, strict=True):
                tfidf = counts.astype(np.float64)
                tfidf.data = 1.0 + np.log(np.maximum(tfidf.data, 1.0))
                tfidf = tfidf.multiply(weights.reshape(1, -1)).tocsr()
                norm = float(np.sqrt(tfidf.multiply(tfidf).sum()))
                parts.append(tfidf / max(norm, 1e-12))
            parts += [
                scipy.sparse.csr_matrix(d.reshape(1, -1) * self.config["dense_weight"])
                for d in dense
            ]
            rows.append(scipy.sparse.hstack(parts, format="csr"))
        return scipy.sparse.vstack(rows, format="csr")

    @staticmethod
    def _idf(messages: List[Message]) -> List[np.ndarray]:
        """Smoothed inverse document frequency of every sparse block's columns."""
        blocks: List[List[Any]] = []
        for message in messages:
            sparse, _ = _sentence_blocks(message)
            blocks.append(sparse)
        count = len(messages)
        idf = []
        for i in range(len(blocks[0]) if blocks else 0):
            stacked = scipy.sparse.vstack([b[i] for b in blocks]).tocsc()
            document_frequency = np.diff(stacked.indptr)
            idf.append(np.log((1 + count) / (1 + document_frequency)) + 1.0)
        return idf

    # -- training -----------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the regression on the intent examples."""
        from sklearn.linear_model import LogisticRegression

        examples = [
            e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)
        ]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", type(self).__name__)
            return self._resource
        idf = self._idf(examples)
        features = self._matrix(examples, idf)
        labels = [e.get(INTENT) for e in examples]
        regression = LogisticRegression(
            C=self.config["C"],
            max_iter=self.config["max_iter"],
            random_state=self.config["random_seed"],
        ).fit(
            features,
            labels,
            sample_weight=example_weights(examples, self.config["real_weight"]),
        )
        self.model = {
            "classes": [str(c) for c in regression.classes_],
            "coef": regression.coef_.astype(np.float64),
            "intercept": regression.intercept_.astype(np.float64),
            "idf": idf,
        }
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Store the arrays (npz) and the intent names (JSON)."""
        if self.model is None:
            return
        self.store(
            {
                "coef": self.model["coef"],
                "intercept": self.model["intercept"],
                **{f"idf_{i}": v for i, v in enumerate(self.model["idf"])},
            },
            {"classes": self.model["classes"], "blocks": len(self.model["idf"])},
        )

    @classmethod
    def model_from(
        cls, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]
    ) -> Dict[str, Any]:
        """The weights and the feature blocks' idf vectors, as stored."""
        return {
            "classes": meta["classes"],
            "coef": arrays["coef"],
            "intercept": arrays["intercept"],
            "idf": [arrays[f"idf_{i}"] for i in range(meta["blocks"])],
        }

    # -- prediction ---------------------------------------------------------------

    def _scores(self, message: Message) -> np.ndarray:
        """One message's intent scores, the row of :meth:`_matrix` times the weights.

        The same arithmetic as ``_matrix(...) @ coef.T``, done on the few
        non-zero counts of each block with numpy alone: building and stacking
        scipy matrices for one row cost more than the product itself.
        """
        assert self.model is not None
        if "coef_t" not in self.model:
            # the weights transposed once, C-contiguous: rows gathered by column
            self.model["coef_t"] = np.ascontiguousarray(self.model["coef"].T)
        coef_t, idf = self.model["coef_t"], self.model["idf"]
        sparse, dense = _sentence_blocks(message, as_csr=False)
        if len(sparse) != len(idf):
            raise ValueError(
                f"{type(self).__name__} expects {len(idf)} sparse featurizers' "
                f"sentence features, got {len(sparse)}"
            )
        scores = self.model["intercept"].copy()
        offset = 0
        for counts, weights in zip(sparse, idf, strict=True):
            counts = counts.tocoo(copy=True)
            counts.sum_duplicates()
            columns = counts.col
            tfidf = (1.0 + np.log(np.maximum(counts.data, 1.0))) * weights[columns]
            tfidf /= max(float(np.sqrt(tfidf @ tfidf)), 1e-12)
            scores += tfidf @ coef_t[offset + columns]
            offset += len(weights)
        for vector in dense:
            vector = vector.reshape(-1) * self.config["dense_weight"]
            scores += vector @ coef_t[offset : offset + len(vector)]
            offset += len(vector)
        return scores

    def probabilities(self, messages: List[Message]) -> np.ndarray:
        """Each message's probability of every intent (rows follow ``messages``)."""
        assert self.model is not None
        scores = np.vstack([self._scores(message) for message in messages])
        if len(self.model["classes"]) == 2:  # sklearn's binary case: one column
            scores = np.hstack([-scores / 2, scores / 2])
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def process(self, messages: List[Message]) -> List[Message]:
        """Set ``intent`` and ``intent_ranking`` on every message."""
        if self.model is None:
            return messages
        to_classify = []
        for message in messages:
            if message.get(TEXT) and message.get(TEXT).strip():
                to_classify.append(message)
            else:  # nothing to read: no intent, as DIET does (then NLU fallback)
                message.set(
                    INTENT,
                    {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                    add_to_output=True,
                )
                message.set("intent_ranking", [], add_to_output=True)
        if not to_classify:
            return messages
        classes = self.model["classes"]
        for message, row in zip(
            to_classify, self.probabilities(to_classify), strict=True
        ):
            ranking = [
                {INTENT_NAME_KEY: classes[i], PREDICTED_CONFIDENCE_KEY: float(row[i])}
                for i in np.argsort(-row)
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                "intent_ranking",
                ranking[: self.config["ranking_length"]],
                add_to_output=True,
            )
        return messages
