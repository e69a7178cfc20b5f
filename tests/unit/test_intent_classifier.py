"""The linear intent classifier, trained and reloaded through Rasa's own storage.

A small real pipeline (Rasa's whitespace tokenizer and count vectorizers, the
project's sentence featurizer) feeds it, as ``config.yml`` does at full size.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from components.intent_classifier import LinearIntentClassifier
from components.sentence_featurizer import SentenceEmbeddingFeaturizer

EXAMPLES = {
    "ask_pain": [
        "does it hurt",
        "is microneedling painful",
        "will thermage be sore",
        "do you numb the skin first",
    ],
    "ask_cost": [
        "how much is it",
        "what does thermage cost",
        "price of meso",
        "is it covered by insurance",
    ],
    "greet": ["hi", "hello there", "good morning", "hey"],
}


class Pipeline:
    """Tokenizer and featurizers, trained once on the examples."""

    def __init__(self, storage: LocalModelStorage) -> None:
        context = ExecutionContext(GraphSchema({}), node_name="test")
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.featurizers = [
            CountVectorsFeaturizer.create(
                {**CountVectorsFeaturizer.get_default_config(), **config},
                storage,
                Resource(f"counts_{i}"),
                ExecutionContext(GraphSchema({}), node_name=f"counts_{i}"),
            )
            for i, config in enumerate(
                [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}]
            )
        ]
        self.embeddings = SentenceEmbeddingFeaturizer.create(
            SentenceEmbeddingFeaturizer.get_default_config(),
            storage,
            Resource("embeddings"),
            context,
        )

    def train(self, data: TrainingData) -> None:
        self.tokenizer.process_training_data(data)
        for featurizer in self.featurizers:
            featurizer.train(data)
            featurizer.process_training_data(data)
        self.embeddings.process_training_data(data)

    def messages(self, texts: List[str]) -> List[Message]:
        messages = [Message(data={"text": t}) for t in texts]
        self.tokenizer.process(messages)
        for featurizer in self.featurizers:
            featurizer.process(messages)
        self.embeddings.process(messages)
        return messages


def train_small_model(
    storage: LocalModelStorage, data: TrainingData
) -> tuple[Pipeline, LinearIntentClassifier]:
    """The pipeline and the classifier, trained on ``data``."""
    pipeline = Pipeline(storage)
    pipeline.train(data)
    classifier = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(),
        storage,
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), node_name="classifier"),
    )
    classifier.train(data)
    return pipeline, classifier


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Pipeline, LinearIntentClassifier, LocalModelStorage, TrainingData]:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    data = TrainingData(
        [
            Message(data={"text": text, "intent": intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )
    pipeline, classifier = train_small_model(storage, data)
    return pipeline, classifier, storage, data


def _reload(storage: LocalModelStorage) -> LinearIntentClassifier:
    return LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(),
        storage,
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), node_name="classifier"),
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("is it ouchy?", "ask_pain"),
        ("how painful is morpheus8", "ask_pain"),
        ("what's the price", "ask_cost"),
        ("hiya", "greet"),
    ],
)
def test_reloaded_classifier_understands_new_wording(
    trained: tuple, text: str, intent: str
) -> None:
    pipeline, _, storage, _ = trained
    (message,) = _reload(storage).process(pipeline.messages([text]))
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == intent
    assert [r["confidence"] for r in ranking] == sorted(
        (r["confidence"] for r in ranking), reverse=True
    )
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert {r["name"] for r in ranking} == set(EXAMPLES)


def test_numpy_prediction_equals_scikit_learn(trained: tuple) -> None:
    pipeline, classifier, storage, data = trained
    examples = data.intent_examples
    features = classifier._matrix(examples, classifier.model["idf"])
    reference = LogisticRegression(
        C=classifier.config["C"],
        max_iter=classifier.config["max_iter"],
        random_state=classifier.config["random_seed"],
    ).fit(features, [e.get("intent") for e in examples])
    messages = pipeline.messages(["does it sting", "cost?", "yo"])
    expected = reference.predict_proba(
        classifier._matrix(messages, classifier.model["idf"])
    )
    np.testing.assert_allclose(
        _reload(storage).probabilities(messages), expected, atol=1e-6
    )


def test_stored_model_is_plain_arrays(trained: tuple) -> None:
    _, _, storage, _ = trained
    with storage.read_from(Resource("classifier")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == [
            "model.json",
            "model.npz",
        ]
        with np.load(directory / "model.npz", allow_pickle=False) as arrays:
            assert arrays["coef"].shape[0] == len(EXAMPLES)


def test_untrained_classifier_leaves_messages_alone(tmp_path: Path) -> None:
    classifier = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("nothing"),
        ExecutionContext(GraphSchema({}), node_name="nothing"),
    )
    (message,) = classifier.process([Message(data={"text": "hello"})])
    assert message.get("intent") is None


def test_features_from_other_featurizers_are_refused(trained: tuple) -> None:
    pipeline, classifier, _, _ = trained
    message = pipeline.messages(["does it hurt"])[0]
    message.features = [f for f in message.features if not f.is_sparse()]
    with pytest.raises(ValueError, match="sparse featurizers"):
        classifier.process([message])


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_gets_no_intent(trained: tuple, text: str) -> None:
    pipeline, classifier, _, _ = trained
    (message,) = classifier.process(pipeline.messages([text]))
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


NEIGHBOURS = {"neighbour_weight": 0.2, "neighbours": 3, "neighbour_temperature": 0.05}


def _train_with_neighbours(
    data: TrainingData, directory: Path, **settings: object
) -> tuple[LinearIntentClassifier, LinearIntentClassifier, LocalModelStorage]:
    """A classifier trained with the neighbours' vote, and its reloaded copy."""
    storage = LocalModelStorage(directory)
    config = {**LinearIntentClassifier.get_default_config(), **NEIGHBOURS, **settings}
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    classifier = LinearIntentClassifier.create(
        config, storage, Resource("classifier"), context
    )
    classifier.train(data)
    reloaded = LinearIntentClassifier.load(
        config, storage, Resource("classifier"), context
    )
    return classifier, reloaded, storage


@pytest.fixture(scope="module")
def with_neighbours(
    trained: tuple, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LinearIntentClassifier, LinearIntentClassifier, LocalModelStorage]:
    """A classifier trained with the neighbours' vote, and its reloaded copy."""
    return _train_with_neighbours(
        trained[3], Path(tmp_path_factory.mktemp("neighbours"))
    )


@pytest.mark.parametrize("blocks", [None, 1])
def test_neighbours_vote_blends_with_the_regression(
    trained: tuple,
    with_neighbours: tuple,
    tmp_path: Path,
    blocks: Optional[int],
) -> None:
    pipeline, alone, _, data = trained
    classifier, reloaded, _ = (
        with_neighbours
        if blocks is None
        else _train_with_neighbours(data, tmp_path, neighbour_sparse_blocks=blocks)
    )
    messages = pipeline.messages(["is thermage painful", "cost of meso?", "hey"])
    # the reference vote, from dense rows: cosine, on the compared columns (the
    # first `blocks` sparse blocks and the dense one), to every training
    # example, the 3 nearest weighted exp(similarity / 0.05)
    idf = classifier.model["idf"]
    compared = [
        *range(sum(len(weights) for weights in idf[:blocks])),
        *range(
            sum(len(weights) for weights in idf), classifier._row(messages[0], idf)[2]
        ),
    ]
    examples = data.intent_examples
    rows = classifier._matrix(examples, idf).toarray()[:, compared]
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    queries = classifier._matrix(messages, idf).toarray()[:, compared]
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    classes = classifier.model["classes"]
    expected = []
    for similarity, regression in zip(
        queries @ rows.T, alone.probabilities(messages), strict=True
    ):
        vote = np.zeros(len(classes))
        for i in np.argsort(-similarity)[:3]:
            vote[classes.index(examples[i].get("intent"))] += np.exp(
                (similarity[i] - similarity.max()) / 0.05
            )
        expected.append(0.8 * regression + 0.2 * vote / vote.sum())
    np.testing.assert_allclose(reloaded.probabilities(messages), expected, atol=1e-6)
    np.testing.assert_allclose(classifier.probabilities(messages), expected, atol=1e-6)


def test_a_training_example_is_its_own_nearest_neighbour(
    trained: tuple, with_neighbours: tuple
) -> None:
    pipeline, alone, _, _ = trained
    _, reloaded, _ = with_neighbours
    messages = pipeline.messages(["is it covered by insurance"])
    blended = reloaded.probabilities(messages)[0]
    regression = alone.probabilities(messages)[0]
    cost = reloaded.model["classes"].index("ask_cost")
    assert blended[cost] > regression[cost]
    assert blended.sum() == pytest.approx(1.0)


def test_neighbour_arrays_are_stored_only_when_used(
    trained: tuple, with_neighbours: tuple
) -> None:
    _, _, plain_storage, _ = trained
    _, _, storage = with_neighbours
    for store, expected in ((storage, True), (plain_storage, False)):
        with store.read_from(Resource("classifier")) as directory:
            with np.load(directory / "model.npz", allow_pickle=False) as arrays:
                assert ("neighbour_labels" in arrays.files) is expected
