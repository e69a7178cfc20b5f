"""The safety classifier, trained and reloaded through Rasa's own storage.

The same small real pipeline as the intent classifier's test feeds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.question_focus import FOCUS_READ, FullText, QuestionFocus
from components.safety_classifier import SAFETY, SafetyClassifier
from components.sentence_encoder import SentenceEncoder, shared_encoder
from components.sentence_featurizer import SentenceEmbeddingFeaturizer, whole_encoding
from tests.unit.test_intent_classifier import Pipeline

REPORTS = [
    "I had thermage 3 days ago and now I have a blister on my cheek",
    "my skin is burnt after the laser",
    "there's pus coming from the spots after my meso injections",
    "my face is still swollen a week after rf microneedling",
    "I got dark patches after my laser treatment",
    "since my microneedling I have a rash all over",
    "hard lumps under my skin where they did the meso",
    "my throat feels tight after the injections",
    "4 weeks after morpheus8 I still have grid marks and dents",
    "my cheek is still numb 2 weeks after thermage",
    "the redness is getting worse every day since my peel",
    "I think something went wrong with my treatment",
]
QUESTIONS = [
    "does microneedling hurt",
    "how long does the redness last after microneedling",
    "can thermage cause burns?",
    "will I get swollen after rf microneedling?",
    "how many sessions of meso do I need",
    "is laser skin tightening safe for dark skin",
    "what does thermage cost",
    "can I wear makeup after the laser",
    "how long do the results last",
    "what is morpheus8",
    "I had thermage last year and loved it, when can I have it again?",
    "should I stop retinol before microneedling",
    "hi there",
    "can I book a consultation",
    "is it ok for dark skin",
    "how soon will I see results",
]
STORY = (
    "I have always been a bit self conscious about my skin and I spent a long "
    "time reading about every option, asking friends, comparing clinics and "
    "prices and watching videos about the different devices before I decided. "
)


Trained = Tuple[Pipeline, LocalModelStorage]


def _config(**overrides: object) -> dict:
    return {**SafetyClassifier.get_default_config(), **overrides}


def _load(storage: LocalModelStorage, resource: str = "safety") -> SafetyClassifier:
    return SafetyClassifier.load(
        _config(),
        storage,
        Resource(resource),
        ExecutionContext(GraphSchema({}), node_name=resource),
    )


def _train(directory: Path, questions: List[str]) -> Trained:
    """The featurizers and the classifier trained on REPORTS and ``questions``."""
    storage = LocalModelStorage(directory)
    data = TrainingData(
        [Message(data={"text": t, "intent": "report_problem"}) for t in REPORTS]
        + [Message(data={"text": t, "intent": "ask_downtime"}) for t in questions]
    )
    pipeline = Pipeline(storage)
    pipeline.train(data)
    SafetyClassifier.create(
        _config(),
        storage,
        Resource("safety"),
        ExecutionContext(GraphSchema({}), node_name="safety"),
    ).train(data)
    return pipeline, storage


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    return _train(Path(tmp_path_factory.mktemp("model")), QUESTIONS)


def _safety(trained: Trained, text: str) -> dict:
    pipeline, storage = trained
    (message,) = _load(storage).process(pipeline.messages([text]))
    return message.get(SAFETY)


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("my face blistered after the laser yesterday", True),
        ("it's been 5 days since my microneedling and the swelling is worse", True),
        ("does rf microneedling hurt?", False),
        ("how long is the downtime after thermage", False),
    ],
)
def test_reloaded_classifier_tells_reports_from_questions(
    trained: Trained, text: str, report: bool
) -> None:
    safety = _safety(trained, text)
    assert safety["report"] is report
    assert 0.0 <= safety["score"] <= 1.0


def test_a_report_told_after_a_long_story_is_found(trained: Trained) -> None:
    """Past the encoder's length limit, and outweighed by the story's words."""
    pipeline, storage = trained
    report = "Now my cheeks are burnt and blistering since the laser yesterday."
    post = "Thinking about laser skin tightening? " + STORY * 8 + report
    classifier = _load(storage)
    (message,) = pipeline.messages([post])
    (whole_only,) = classifier.scores([post], [classifier._embedding(message)])
    assert classifier.score(message) > whole_only
    assert _safety(trained, post)["report"] is True


def test_a_long_question_stays_a_question(trained: Trained) -> None:
    post = "How many sessions of microneedling will I need? " + STORY * 4
    assert _safety(trained, post)["report"] is False


def test_scores_equal_scikit_learn_on_the_stacked_features(
    trained: Trained,
) -> None:
    """Scored block by block, a text gets what the fitted regression gives it."""
    from sklearn.linear_model import LogisticRegression

    _, storage = trained
    classifier = _load(storage)
    texts = [*REPORTS, *QUESTIONS]
    embeddings = [shared_encoder().encode(t).sentence for t in texts]
    features = classifier._features(texts, embeddings)
    reference = LogisticRegression()
    reference.classes_ = np.array([False, True])
    reference.coef_ = classifier.model["coef"].reshape(1, -1)
    reference.intercept_ = classifier.model["intercept"]
    np.testing.assert_allclose(
        classifier.scores(texts, embeddings),
        reference.predict_proba(features)[:, 1],
        rtol=1e-12,
    )


def test_stored_model_is_plain_arrays(trained: Trained) -> None:
    _, storage = trained
    with storage.read_from(Resource("safety")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == [
            "safety.json",
            "safety.npz",
        ]
        with np.load(directory / "safety.npz", allow_pickle=False) as arrays:
            assert arrays["coef"].ndim == 1


def test_untrained_classifier_leaves_messages_alone(tmp_path: Path) -> None:
    classifier = _load(LocalModelStorage(tmp_path), "nothing")
    (message,) = classifier.process([Message(data={"text": "my face is burnt"})])
    assert message.get(SAFETY) is None


@pytest.mark.parametrize("text", ["", "   ", '/inform_treatment{"treatment":"meso"}'])
def test_nothing_to_read_gets_no_verdict(trained: Trained, text: str) -> None:
    pipeline, storage = trained
    (message,) = _load(storage).process(pipeline.messages([text]))
    assert message.get(SAFETY) is None


def test_training_without_reports_trains_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    classifier = SafetyClassifier.create(
        _config(),
        storage,
        Resource("safety"),
        ExecutionContext(GraphSchema({}), node_name="safety"),
    )
    data = TrainingData([Message(data={"text": "hi", "intent": "greet"})])
    classifier.train(data)
    assert classifier.model is None


def test_the_windows_of_a_question_are_learnt_as_a_question(
    tmp_path: Path,
) -> None:
    """A post taught as a question is read as one, whatever its story says.

    A long message is scored by its windows too, so training teaches each
    window of a question as a question. Here the story's window, alone, reads
    like the reports: without its windows taught, the post would be a report.
    """
    post = (
        "Can I go in the sun after the laser? "
        "I had thermage 3 days ago and now I have a blister on my cheek. "
        "My skin is burnt and still swollen. "
        "We go to the beach this weekend with the kids. "
        "Is a hat enough?"
    )
    assert _safety(_train(tmp_path, [*QUESTIONS, post]), post)["report"] is False


def test_a_window_is_read_after_the_post_s_first_sentence() -> None:
    """A window reads "my skin will be burned" under its title, as a worry."""
    post = (
        "Is Fraxel safe for Asian skin? I'm 21 and have light skin. "
        "I'm afraid after I get Fraxel my skin will be red and burned. "
        "What do you think?"
    )
    classifier = SafetyClassifier(_config(), None, None)  # type: ignore[arg-type]
    assert [w.text for w in classifier._windows(post)] == [
        "Is Fraxel safe for Asian skin? I'm 21 and have light skin.",
        "Is Fraxel safe for Asian skin? I'm 21 and have light skin. "
        "I'm afraid after I get Fraxel my skin will be red and burned.",
        "Is Fraxel safe for Asian skin? "
        "I'm afraid after I get Fraxel my skin will be red and burned. "
        "What do you think?",
    ]
    # and where each is in the post: the title is read beside a later window
    assert [
        " ".join(post[a:b] for a, b in w.spans) for w in classifier._windows(post)
    ] == [w.text for w in classifier._windows(post)]
    assert classifier._windows("my face is burnt. what do I do?") == []


def test_a_post_read_for_its_focus_is_embedded_whole(trained: Trained) -> None:
    """The featurizers read a long post's title; the report is in its story."""
    pipeline, storage = trained
    post = (
        "Is this normal? " + STORY + "Three days after my thermage my cheek "
        "blistered and the swelling is getting worse."
    )
    read = Message(data={"text": post})
    QuestionFocus({}).process([read])  # as in the pipeline: the title is read
    assert read.get("text") == "Is this normal?"
    (message,) = pipeline.messages([read.get("text")])
    for key, value in read.data.items():  # what the focus stage set aside
        if key != "text":
            message.set(key, value)
    FullText({}).process([message])  # then the whole text comes back
    classifier = _load(storage)
    whole = shared_encoder().encode(post).sentence
    focus_only = shared_encoder().encode("Is this normal?").sentence
    embedded = classifier._embedding(message)
    np.testing.assert_allclose(embedded, whole, atol=1e-6)
    assert not np.allclose(embedded, focus_only, atol=1e-3)
    # a short message keeps the featurizer's embedding (no second encoding)
    (short,) = pipeline.messages(["does it hurt?"])
    np.testing.assert_allclose(
        classifier._embedding(short),
        shared_encoder().encode("does it hurt?").sentence,
        atol=1e-6,
    )


def test_a_long_post_is_read_once_and_its_windows_pooled(trained: Trained) -> None:
    """The whole text's embedding, then each window's from the same reading."""
    pipeline, storage = trained
    post = STORY + "Two days after my thermage my cheek blistered. It hurts. Help?"
    classifier = _load(storage)
    (message,) = pipeline.messages([post])
    message.set(FOCUS_READ, True)
    parts = classifier._windows(post)
    assert len(parts) >= 2
    got = classifier._embeddings(message, parts)
    encoder = shared_encoder()
    encoding = encoder.encode_all(post)
    np.testing.assert_allclose(got[0], encoder.encode(post).sentence, atol=1e-6)
    expected = encoder.span_vectors(encoding, [w.spans for w in parts])
    assert len(got) == 1 + len(parts)
    np.testing.assert_allclose(np.vstack(got[1:]), expected, atol=1e-6)
    # a window's vector is its own stretch's, not the whole post's
    assert not np.allclose(got[1], got[-1], atol=1e-3)


def test_the_featurizer_s_reading_of_a_whole_text_is_not_read_again(
    trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short post with windows: its windows come from the featurizer's encoding."""
    pipeline, storage = trained
    post = "Two days after my peel my cheek blistered. It hurts. Help?"
    classifier = _load(storage)
    (message,) = pipeline.messages([post])
    parts = classifier._windows(post)
    assert len(parts) >= 2
    expected = classifier._embeddings_of(post, parts)  # a reading of its own
    readings: List[str] = []
    encoder = type(shared_encoder())
    read_all = encoder.encode_all
    monkeypatch.setattr(
        encoder,
        "encode_all",
        lambda self, text: readings.append(text) or read_all(self, text),
    )
    got = classifier._embeddings(message, parts)
    assert readings == []
    np.testing.assert_array_equal(np.vstack(got), np.vstack(expected))
    # another text than the featurizer read (a focus, masked names): read again
    message.set("text", post + " Is this normal?")
    classifier._embeddings(message, classifier._windows(message.get("text")))
    assert readings == [post + " Is this normal?"]


def test_another_runtime_s_encoding_is_not_kept_for_the_classifiers() -> None:
    """The classifiers encode with the shared encoder: only its reading is theirs."""
    featurizer = SentenceEmbeddingFeaturizer(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "runtime": "numpy"},
        "numpy_embeddings",
        SentenceEncoder.load(runtime="numpy"),
    )
    post = "Two days after my peel my cheek blistered. It hurts."
    message = Message(data={"text": post})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    featurizer.process([message])
    assert message.features  # it featurized the message ...
    assert whole_encoding(message) is None  # ... and kept nothing for the others
    shared = SentenceEmbeddingFeaturizer(
        SentenceEmbeddingFeaturizer.get_default_config(), "embeddings"
    )
    shared.process([message])
    assert whole_encoding(message) is not None
