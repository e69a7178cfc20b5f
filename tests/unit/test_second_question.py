"""The second-question reader, trained and reloaded through Rasa's own storage."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.question_focus import FullText, QuestionFocus
from components.second_question import OTHER_QUESTION, SecondQuestion
from tests.unit.test_intent_classifier import Pipeline

EXAMPLES = {
    "ask_pain": [
        "does it hurt",
        "is the treatment painful",
        "how much pain is there",
        "will I need numbing cream",
        "what does it feel like",
        "is it sore",
    ],
    "ask_downtime": [
        "how long is the downtime",
        "when can I go back to work",
        "how long does the redness last",
        "what is the recovery like",
        "how long until I look normal again",
        "will I need time off",
    ],
    "ask_cost": [
        "how much does it cost",
        "what is the price",
        "is it covered by insurance",
        "how expensive is it",
        "do you have prices",
        "what do you charge",
    ],
    "greet": ["hello", "hi there"],
}
POST = (
    "Is Fraxel painful? I had a different laser years ago and it was fine, but "
    "my friend told me about her experience and now I am nervous about booking. "
    "I also have a wedding in three weeks and need to look good for it. My "
    "sister is coming from abroad and we have planned photos for the day. "
    "How long is the downtime?"
)

Trained = Tuple[Pipeline, LocalModelStorage]


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    data = TrainingData(
        [
            Message(data={"text": text, "intent": intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )
    pipeline = Pipeline(storage)
    pipeline.train(data)
    config = SecondQuestion.get_default_config()
    SecondQuestion.create(config, storage, Resource("second"), _context("x")).train(
        data
    )
    return pipeline, storage


def _read(trained: Trained, text: str) -> object:
    pipeline, storage = trained
    component = SecondQuestion.load(
        SecondQuestion.get_default_config(), storage, Resource("second"), _context("x")
    )
    (message,) = component.process(pipeline.messages([text]))
    return message.get(OTHER_QUESTION)


def test_a_post_s_body_question_is_read_for_its_topic(trained: Trained) -> None:
    found = _read(trained, POST)
    assert isinstance(found, dict)
    assert found["intent"] == "ask_downtime"
    assert found["text"] == "How long is the downtime?"
    assert 0.5 <= found["confidence"] <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Is Fraxel painful? How long is the downtime?",  # short: read whole
        "/ask_pain",
        # no title question: the body's questions are the focus already
        POST.replace("Is Fraxel painful?", "I want Fraxel."),
    ],
)
def test_other_messages_get_nothing(trained: Trained, text: str) -> None:
    assert _read(trained, text) is None


def test_only_topic_questions_are_learnt_and_stored_as_arrays(
    trained: Trained,
) -> None:
    _, storage = trained
    stored = SecondQuestion.stored(storage, Resource("second"))
    assert stored is not None
    arrays, meta = stored
    assert meta["intents"] == ["ask_cost", "ask_downtime", "ask_pain"]
    assert arrays["coef"].shape == (3, 384)
    assert np.isfinite(arrays["coef"]).all()


def test_untrained_reader_leaves_messages_alone(tmp_path: Path) -> None:
    component = SecondQuestion.create(
        SecondQuestion.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("second"),
        _context("x"),
    )
    (message,) = component.process([Message(data={"text": POST})])
    assert message.get(OTHER_QUESTION) is None


def test_names_are_masked_as_the_training_examples_were(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    data = TrainingData(
        [
            Message(data={"text": f"{text} with thermage", "intent": intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )
    focus = QuestionFocus({"treatment_word": "treatment"})
    focus.process_training_data(data)
    assert data.training_examples[0].get("text") == "does it hurt with treatment"
    FullText({}).process_training_data(data)
    pipeline = Pipeline(storage)
    pipeline.train(data)
    config = SecondQuestion.get_default_config()
    resource = Resource("masked")
    SecondQuestion.create(config, storage, resource, _context("x")).train(data)
    stored = SecondQuestion.stored(storage, resource)
    assert stored is not None and stored[1]["treatment_word"] == "treatment"

    component = SecondQuestion.load(config, storage, resource, _context("x"))
    post = POST.replace("How long is the downtime?", "How long is Morpheus8 downtime?")
    (message,) = component.process(pipeline.messages([post]))
    found = message.get(OTHER_QUESTION)
    assert found["intent"] == "ask_downtime"
    assert found["text"] == "How long is Morpheus8 downtime?"  # as written
