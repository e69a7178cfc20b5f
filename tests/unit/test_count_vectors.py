"""The sentence-only count featurizer sets exactly Rasa's sentence features.

Rasa's CountVectorsFeaturizer and the project's subclass are trained side by
side on the project's training data, with the configurations of
``config.yml`` (word uni- and bigrams of lemmas; character 2-4-grams) and
others, then featurize real visitors' questions and odd inputs: the sentence
features are equal, entry by entry, before and after a reload from storage.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from benchmarks.load.visitors import load_questions
from components.count_vectors import SentenceCountVectorsFeaturizer
from tests.support.servers import PROJECT_DIR

CONFIGS: List[Dict[str, Any]] = [
    {"max_ngram": 2},  # config.yml's
    {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},  # config.yml's
    {"use_shared_vocab": True, "max_ngram": 3},
    {"strip_accents": "unicode", "stop_words": "english", "lowercase": False},
    {"OOV_token": "oov", "max_ngram": 1},
]
ODD = [
    "",
    " ",
    "?!",
    "Bonjour, est-ce douloureux ?",
    "<b>hi</b>",
    "日本語のテキスト",
    "x" * 3000,
]


def texts() -> List[str]:
    path = PROJECT_DIR / "tests" / "realworld" / "dev.yml"  # test.yml stays unread
    return load_questions(path, max_chars=100_000)[::7] + ODD


def featurizer(kind: Any, config: Dict[str, Any], storage: LocalModelStorage) -> Any:
    name = f"{kind.__name__}_{abs(hash(str(config)))}"
    return kind.create(
        {**kind.get_default_config(), **config},
        storage,
        Resource(name),
        ExecutionContext(GraphSchema({}), node_name=name),
    )


def features(featurizer: Any, tokenized: List[Message], kind: str) -> List[Any]:
    messages = [Message(data=dict(message.data)) for message in tokenized]
    featurizer.process(messages)
    found = []
    for message in messages:
        of_kind = [
            f.features
            for f in message.features
            if f.attribute == TEXT and f.type == kind and f.is_sparse()
        ]
        found.append(of_kind[0] if of_kind else None)
    return found


def assert_equal(ours: List[Any], rasas: List[Any]) -> None:
    for mine, theirs in zip(ours, rasas, strict=True):
        if theirs is None:
            assert mine is None
            continue
        assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
        assert (mine.tocsr() != theirs.tocsr()).nnz == 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory: Any) -> Dict[str, Any]:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    data = load_data(str(PROJECT_DIR / "data" / "nlu"))
    tokenizer.process_training_data(data)
    pairs = []
    for config in CONFIGS:
        pair = [featurizer(k, config, storage) for k in (
            CountVectorsFeaturizer, SentenceCountVectorsFeaturizer)]  # fmt: skip
        for one in pair:
            one.train(data)
        pairs.append(pair)
    messages = [Message(data={TEXT: text}) for text in texts()]
    tokenizer.process(messages)
    return {"pairs": pairs, "messages": messages, "storage": storage}


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_the_sentence_features_are_rasas(trained: Dict[str, Any], index: int) -> None:
    rasas, ours = trained["pairs"][index]
    messages = trained["messages"]

    assert_equal(
        features(ours, messages, FEATURE_TYPE_SENTENCE),
        features(rasas, messages, FEATURE_TYPE_SENTENCE),
    )
    assert features(ours, messages, FEATURE_TYPE_SEQUENCE) == [None] * len(messages)
    assert sum(f is not None for f in features(ours, messages, FEATURE_TYPE_SENTENCE))


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_a_reloaded_featurizer_gives_the_same_features(
    trained: Dict[str, Any], index: int
) -> None:
    rasas, ours = trained["pairs"][index]
    config = {**SentenceCountVectorsFeaturizer.get_default_config(), **CONFIGS[index]}
    resource = ours._resource
    reloaded = SentenceCountVectorsFeaturizer.load(
        config, trained["storage"], resource, ExecutionContext(GraphSchema({}))
    )

    assert isinstance(reloaded, SentenceCountVectorsFeaturizer)
    assert_equal(
        features(reloaded, trained["messages"], FEATURE_TYPE_SENTENCE),
        features(rasas, trained["messages"], FEATURE_TYPE_SENTENCE),
    )


def test_an_intent_is_featurized_as_rasa_does(trained: Dict[str, Any]) -> None:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    found = []
    for one in trained["pairs"][0]:
        example = Message(data={TEXT: "does it hurt", INTENT: "ask_pain"})
        data = TrainingData([example])
        tokenizer.process_training_data(data)
        one.process_training_data(data)
        found.append([(f.type, f.features) for f in example.features
                      if f.attribute == INTENT])  # fmt: skip

    rasas, ours = found
    assert [kind for kind, _ in ours] == [kind for kind, _ in rasas] != []
    assert_equal([f for _, f in ours], [f for _, f in rasas])
