"""The focus stages of the pipeline: the focus is read, the whole text comes back."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.kb_entity_extractor import KnowledgeBaseEntityExtractor
from components.question_focus import (
    FOCUS_READ,
    FULL_TEXT,
    TREATMENT_WORD,
    FullText,
    QuestionFocus,
)

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


MASKED = {"treatment_word": "treatment"}


def test_treatment_names_are_read_as_one_word_and_come_back() -> None:
    text = "What is Morpheus8 downtime compared with micro needeling? And botox?"
    message = Message(data={"text": text})
    QuestionFocus(MASKED).process([message])
    # every treatment's name, typos too; a procedure not offered stays itself
    assert message.get("text") == (
        "What is treatment downtime compared with treatment? And botox?"
    )
    assert message.get(TREATMENT_WORD) == "treatment"
    FullText({}).process([message])
    assert message.get("text") == text
    assert message.get(FULL_TEXT) is None
    assert message.get(FOCUS_READ) is None  # a short message: its own focus


def test_a_long_post_is_read_for_its_focus_with_names_masked() -> None:
    message = Message(data={"text": POST})
    QuestionFocus(MASKED).process([message])
    assert message.get("text") == "Does treatment hurt?"
    FullText({}).process([message])
    assert message.get("text") == POST
    assert message.get(FOCUS_READ) is True


def test_without_a_treatment_word_names_are_read_as_written() -> None:
    message = Message(data={"text": "What is Morpheus8 downtime?"})
    QuestionFocus({}).process([message])
    assert message.get("text") == "What is Morpheus8 downtime?"
    assert message.get(TREATMENT_WORD) is None


def test_the_extractor_finds_the_same_names_after_the_focus_stage() -> None:
    text = "Does Morpheus8 hurt more than micro needeling? I'm scared."
    staged, alone = Message(data={"text": text}), Message(data={"text": text})
    QuestionFocus(MASKED).process([staged])
    FullText({}).process([staged])
    extractor = KnowledgeBaseEntityExtractor({})
    extractor.process([staged, alone])
    assert staged.get("entities") == alone.get("entities")
    assert [e["value"] for e in staged.get("entities")] == [
        "rf_microneedling",
        "microneedling",
    ]
