"""The focus stages of the pipeline: the focus is read, the whole text comes back."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.question_focus import FOCUS_READ, FULL_TEXT, FullText, QuestionFocus

POST = "Does Titan hurt? " + "My sister had it done and told me all about it. " * 6


def test_the_focus_is_read_and_the_whole_text_comes_back() -> None:
    message = Message(data={"text": POST})
    QuestionFocus({}).process([message])
    assert message.get("text") == "Does Titan hurt?"
    FullText({}).process([message])
    assert message.get("text") == POST
    assert message.get(FULL_TEXT) is None
    assert message.get(FOCUS_READ) is True  # later readers know the focus was read
    assert message.as_dict(only_output_properties=True)["text"] == POST
    assert FOCUS_READ not in message.as_dict(only_output_properties=True)


def test_short_messages_and_button_payloads_are_left_alone() -> None:
    messages = [
        Message(data={"text": "does titan hurt?"}),
        Message(
            data={"text": '/inform_treatment{"treatment":"thermage"}' + " x" * 200}
        ),
    ]
    before = [m.get("text") for m in messages]
    QuestionFocus({}).process(messages)
    FullText({}).process(messages)
    assert [m.get("text") for m in messages] == before
    assert not any(m.get(FOCUS_READ) for m in messages)


def test_training_examples_are_read_the_same_way() -> None:
    data = TrainingData([Message(data={"text": POST, "intent": "ask_pain"})])
    QuestionFocus({}).process_training_data(data)
    assert data.training_examples[0].get("text") == "Does Titan hurt?"
