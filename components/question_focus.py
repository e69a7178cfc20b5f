"""Read a long post for the question it asks, not for its story.

Real visitors write a title, a story, then the question. Read whole, the
story's words outvote the question's, and the sentence encoder stops at its
length limit. :class:`QuestionFocus`, first in the pipeline, hands the
tokenizer, the featurizers and the intent classifier only the post's focus
(its title question, else its questions: :func:`medspa.sentences.focus`);
:class:`FullText`, after the classifiers, puts the visitor's whole text back,
so the names, the safety classifier and the stored conversation see every word.
A short message is its own focus: nothing changes for it.

With ``treatment_word`` set, the focus is also read with each treatment's name
replaced by that word ("What is Morpheus8 downtime?" -> "What is treatment
downtime?"), in training as at run time: the intent is what is asked, and a
name the examples tied to one question ("What is Morpheus8?") no longer pulls
every question about it there. The names are found by the entity extractor's
matcher, so a name added to the knowledge base is masked after a restart too.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.kb_entity_extractor import (
    MENTIONS,
    knowledge_base_fingerprint,
    knowledge_base_matcher,
)
from medspa.sentences import FOCUS_MIN_CHARS, focus
from medspa.text_matching import masked

FULL_TEXT = "full_text"
"""Where the visitor's whole text waits while the focus is read."""

_FOCUSED = "focused"
"""Set (True) while a message's text is its focus, until :class:`FullText`."""

TREATMENT_WORD = "treatment_word"
"""Set on each message whose treatments' names the featurizers read as this word."""

FOCUS_READ = "focus_read"
"""Set (True) on a message whose featurizers read only its focus: a component
after :class:`FullText` that needs the whole text's embedding encodes it."""


class _TextStage(GraphComponent):
    """A pipeline stage that rewrites each message's text (nothing to train)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Longest message always read whole (characters)."""
        return {"min_chars": FOCUS_MIN_CHARS}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Keep the config."""
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _TextStage:
        """Create the stage."""
        return cls(config)

    def rewrite(self, message: Message) -> None:
        """Change the message's text in place."""
        raise NotImplementedError

    def process(self, messages: List[Message]) -> List[Message]:
        """Rewrite every incoming message."""
        for message in messages:
            self.rewrite(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Rewrite every training example the same way."""
        self.process(training_data.training_examples)
        return training_data


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class QuestionFocus(_TextStage):
    """Replaces a message's text by its focus, names masked; keeps the whole aside."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Longest message always read whole; the word for a treatment's name."""
        return {"min_chars": FOCUS_MIN_CHARS, "treatment_word": ""}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The knowledge base's digest when names are masked: they shape training."""
        if config.get("treatment_word"):
            return knowledge_base_fingerprint()
        return None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Rewrite every training example; the names found are not kept there."""
        super().process_training_data(training_data)
        for example in training_data.training_examples:
            example.data.pop(MENTIONS, None)
        return training_data

    def rewrite(self, message: Message) -> None:
        """Read the focus; the whole text goes to ``full_text``."""
        text = message.get(TEXT)
        if not isinstance(text, str) or text.startswith("/"):
            return
        focused = focus(text, self.config["min_chars"])
        read = focused
        word = self.config["treatment_word"]
        if word:
            mentions = knowledge_base_matcher().find(focused)
            read = masked(focused, mentions, "treatment", word)
            message.set(TREATMENT_WORD, word)
            message.set(MENTIONS, (focused, tuple(mentions)))  # for the extractor
        if read != text:
            message.set(FULL_TEXT, text)
            message.set(TEXT, read)
        if focused != text:
            message.set(_FOCUSED, True)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class FullText(_TextStage):
    """Puts the visitor's whole text back after the focus was read."""

    def rewrite(self, message: Message) -> None:
        """Restore the text kept aside by :class:`QuestionFocus`."""
        whole = message.get(FULL_TEXT)
        if isinstance(whole, str):
            message.set(TEXT, whole)
            message.data.pop(FULL_TEXT, None)
        if message.data.pop(_FOCUSED, None):
            message.set(FOCUS_READ, True)
