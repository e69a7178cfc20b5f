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
from typing import Any, Dict, List, Optional, Tuple, Type

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


def _sentence_blocks(message: Message) -> Tuple[List[Any], List[np.ndarray]]:
    """The message's sparse and dense sentence feature matrices, by featurizer."""
    sparse, dense = [], []
    for feature in message.features:
        if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        if feature.is_sparse():
            sparse.append(feature.features)
        else:
            dense.append(np.asarray(feature.features, dtype=np.float64))
    return sparse, dense


_NEIGHBOUR_ARRAYS = (
    "neighbour_data",
    "neighbour_indices",
    "neighbour_indptr",
    "neighbour_labels",
    "neighbour_shape",
)


def _sparse_width(idf: List[np.ndarray], blocks: Optional[int] = None) -> int:
    """The columns of the first ``blocks`` sparse blocks (all when ``None``)."""
    return sum(len(weights) for weights in idf[:blocks])


def _neighbour_columns(
    idf: List[np.ndarray], blocks: Optional[int], width: int
) -> np.ndarray:
    """The feature columns the neighbours are compared on.

    The first ``blocks`` sparse blocks (all when ``None``), then the dense ones.
    """
    return np.concatenate(
        [np.arange(_sparse_width(idf, blocks)), np.arange(_sparse_width(idf), width)]
    )


def _neighbour_arrays(
    features: scipy.sparse.csr_matrix, labels: List[str], classes: List[str]
) -> Dict[str, np.ndarray]:
    """The training rows scaled to unit length, and their intents' indices."""
    rows = scipy.sparse.csr_matrix(features, dtype=np.float64)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).reshape(-1))
    rows = scipy.sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ rows
    rows = scipy.sparse.csr_matrix(rows)
    index = {name: i for i, name in enumerate(classes)}
    return {
        "neighbour_data": rows.data,
        "neighbour_indices": rows.indices,
        "neighbour_indptr": rows.indptr,
        "neighbour_labels": np.array([index[str(x)] for x in labels], dtype=np.int64),
        "neighbour_shape": np.array(rows.shape, dtype=np.int64),
    }


def _prepared(model: Dict[str, Any]) -> Dict[str, Any]:
    """The model with what prediction reads derived once from the stored arrays.

    The weights transposed, C-contiguous (rows gathered by column); with the
    neighbours' arrays, their sparse columns transposed (read by the message's
    columns) and their dense columns as one matrix, both in float32 (the
    products in two thirds and half the time of float64's, ranks equal to 1e-6).
    """
    model["coef_t"] = np.ascontiguousarray(model["coef"].T)
    if "neighbour_labels" in model:
        rows = scipy.sparse.csr_matrix(
            (
                model["neighbour_data"],
                model["neighbour_indices"],
                model["neighbour_indptr"],
            ),
            shape=tuple(model["neighbour_shape"]),
        )
        sparse_width = _sparse_width(model["idf"], model.get("neighbour_blocks"))
        model["neighbour_sparse_t"] = (
            rows[:, :sparse_width].T.tocsr().astype(np.float32)
        )
        model["neighbour_dense"] = np.ascontiguousarray(
            rows[:, sparse_width:].toarray(), dtype=np.float32
        )
    return model


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
            # the nearest training examples' vote, blended into the regression's
            # probabilities with this weight (0: the regression alone)
            "neighbour_weight": 0.0,
            "neighbours": 10,
            "neighbour_temperature": 0.05,
            # the sparse blocks (the first N, in the pipeline's order) the
            # neighbours are compared on, with the dense ones (None: all)
            "neighbour_sparse_blocks": None,
        }

    # -- features ---------------------------------------------------------------

    def _row(
        self, message: Message, idf: List[np.ndarray]
    ) -> Tuple[np.ndarray, np.ndarray, int]:
        """The message's feature row: its non-zero columns, their values, its width.

        Each sparse block's counts as sublinear TF-IDF scaled to unit length,
        then the dense blocks times ``dense_weight``.
        """
        sparse, dense = _sentence_blocks(message)
        if len(sparse) != len(idf):
            raise ValueError(
                f"{type(self).__name__} expects {len(idf)} sparse featurizers' "
                f"sentence features, got {len(sparse)}"
            )
        columns, values, offset = [], [], 0
        for counts, weights in zip(sparse, idf, strict=True):
            counts = scipy.sparse.coo_matrix(counts, dtype=np.float64)
            counts.sum_duplicates()
            tfidf = (1.0 + np.log(np.maximum(counts.data, 1.0))) * weights[counts.col]
            tfidf /= max(float(np.sqrt(tfidf @ tfidf)), 1e-12)
            columns.append(offset + counts.col)
            values.append(tfidf)
            offset += len(weights)
        for vector in dense:
            vector = vector.reshape(-1) * self.config["dense_weight"]
            columns.append(offset + np.arange(len(vector)))
            values.append(vector)
            offset += len(vector)
        return np.concatenate(columns), np.concatenate(values), offset

    def _matrix(
        self, messages: List[Message], idf: List[np.ndarray]
    ) -> scipy.sparse.csr_matrix:
        """One row per message (:meth:`_row`), for training."""
        rows = [self._row(message, idf) for message in messages]
        return scipy.sparse.csr_matrix(
            (
                np.concatenate([values for _, values, _ in rows]),
                np.concatenate([columns for columns, _, _ in rows]),
                np.cumsum([0] + [len(columns) for columns, _, _ in rows]),
            ),
            shape=(len(rows), rows[0][2]),
        )

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
        classes = [str(c) for c in regression.classes_]
        self.model = {
            "classes": classes,
            "coef": regression.coef_.astype(np.float64),
            "intercept": regression.intercept_.astype(np.float64),
            "idf": idf,
        }
        if self.config["neighbour_weight"] > 0:
            blocks = self.config["neighbour_sparse_blocks"]
            compared = _neighbour_columns(idf, blocks, features.shape[1])
            self.model.update(_neighbour_arrays(features[:, compared], labels, classes))
            self.model["neighbour_blocks"] = blocks
        self.model = _prepared(self.model)
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
                **{k: self.model[k] for k in _NEIGHBOUR_ARRAYS if k in self.model},
            },
            {
                "classes": self.model["classes"],
                "blocks": len(self.model["idf"]),
                "neighbour_blocks": self.model.get("neighbour_blocks"),
            },
        )

    @classmethod
    def model_from(
        cls, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]
    ) -> Dict[str, Any]:
        """The weights and the feature blocks' idf vectors, as stored."""
        return _prepared(
            {
                "classes": meta["classes"],
                "coef": arrays["coef"],
                "intercept": arrays["intercept"],
                "idf": [arrays[f"idf_{i}"] for i in range(meta["blocks"])],
                **{k: arrays[k] for k in _NEIGHBOUR_ARRAYS if k in arrays},
                "neighbour_blocks": meta.get("neighbour_blocks"),
            }
        )

    # -- prediction ---------------------------------------------------------------

    def _scores(self, row: Tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
        """One message's intent scores: its row (:meth:`_row`) times the weights.

        Only the row's non-zero columns are read, with numpy alone: building
        and stacking scipy matrices for one row cost more than the product.
        """
        assert self.model is not None
        columns, values, _ = row
        return self.model["intercept"] + values @ self.model["coef_t"][columns]

    def _neighbour_vote(self, row: Tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
        """The nearest training examples' vote for each intent (sums to 1).

        Cosine similarity of the message's feature row (:meth:`_row`), on the
        compared blocks (``neighbour_sparse_blocks``), to every training row;
        the ``neighbours`` nearest vote with weight exp(similarity / T). The
        training rows' sparse columns are read by the message's non-zero
        columns, their dense columns in one matrix product.
        """
        assert self.model is not None
        sparse_t = self.model["neighbour_sparse_t"]
        dense = self.model["neighbour_dense"]
        columns, values, width = row
        is_dense = columns >= width - dense.shape[1]
        is_sparse = columns < sparse_t.shape[0]  # a compared sparse block's
        values = values.astype(np.float32)
        sparse_values, dense_values = values[is_sparse], values[is_dense]
        norm = np.sqrt(sparse_values @ sparse_values + dense_values @ dense_values)
        similarity = (
            dense @ dense_values + sparse_t[columns[is_sparse]].T @ sparse_values
        ) / max(float(norm), 1e-12)
        k = min(int(self.config["neighbours"]), len(similarity))
        nearest = np.argpartition(-similarity, k - 1)[:k]
        weights = np.exp(
            (similarity[nearest] - similarity[nearest].max())
            / self.config["neighbour_temperature"]
        )
        vote = np.zeros(len(self.model["classes"]))
        np.add.at(vote, self.model["neighbour_labels"][nearest], weights)
        return vote / vote.sum()

    def probabilities(self, messages: List[Message]) -> np.ndarray:
        """Each message's probability of every intent (rows follow ``messages``)."""
        assert self.model is not None
        rows = [self._row(message, self.model["idf"]) for message in messages]
        scores = np.vstack([self._scores(row) for row in rows])
        if len(self.model["classes"]) == 2:  # sklearn's binary case: one column
            scores = np.hstack([-scores / 2, scores / 2])
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities = scores / scores.sum(axis=1, keepdims=True)
        weight = float(self.config["neighbour_weight"])
        if weight > 0 and "neighbour_labels" in self.model:
            votes = np.vstack([self._neighbour_vote(row) for row in rows])
            probabilities = (1.0 - weight) * probabilities + weight * votes
        return probabilities

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
