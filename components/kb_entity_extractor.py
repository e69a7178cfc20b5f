"""A Rasa NLU component that finds treatments, concerns, areas and other names.

It reads the knowledge base's synonyms when the model is loaded, so adding a
brand name or a spelling to ``knowledge/treatments.yml`` needs a restart of
the Rasa server, not a retraining. Matching (typos included) is done by
:mod:`medspa.text_matching`, shared with the action server's tests.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from medspa.knowledge_base import load_knowledge_base
from medspa.settings import get_settings
from medspa.text_matching import Matcher, Mention, english_words

MENTIONS = "mentions"
"""(text, its names) set by a stage that matched a message's text already."""


def knowledge_base_matcher() -> Matcher:
    """The matcher of the settings' knowledge base, compiled once per process."""
    path = get_settings().knowledge_base_path
    return _matcher(path, path.stat().st_mtime_ns)


def knowledge_base_fingerprint() -> str:
    """A digest of the knowledge base's names, for components trained on them.

    Rasa's training cache keys a component on its config and inputs; a stage
    whose output depends on the names (QuestionFocus masks them) adds this so
    that a name added to the knowledge base retrains it, and an edited answer
    does not.
    """
    return knowledge_base_matcher().fingerprint()


@functools.lru_cache(maxsize=4)
def _matcher(path: Path, modified: int) -> Matcher:
    return Matcher.from_knowledge_base(load_knowledge_base(path), english_words())


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class KnowledgeBaseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts ``treatment``, ``concern``, ``area`` and ``other_treatment`` entities.

    Values are the knowledge base's ids.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """No options: the knowledge base is the settings' (MEDSPA_KNOWLEDGE_BASE)."""
        return {}

    def __init__(
        self, config: Dict[str, Any], matcher: Optional[Matcher] = None
    ) -> None:
        """Compile the knowledge base's names into the matcher, once.

        This happens when the model is loaded, so a change of names needs a
        restart of the Rasa server (``medspa.knowledge_base.RESTART``).
        """
        self.component_config = config
        self.matcher = matcher or knowledge_base_matcher()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseEntityExtractor:
        """Create the component (nothing to train)."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn from training data."""
        return training_data

    def mentions(self, message: Message, text: str) -> List[Mention]:
        """The names in ``text``: found already by the focus stage, or now."""
        found = message.get(MENTIONS)
        if isinstance(found, tuple) and found[0] == text:
            return list(found[1])
        return self.matcher.find(text)

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the mentions found in each message's text to its entities."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload already carries its entities
            found = [
                {
                    "entity": m.entity,
                    "value": m.value,
                    "start": m.start,
                    "end": m.end,
                    "confidence_entity": 1.0 if m.exact else 0.8,
                }
                for m in self.mentions(message, text)
            ]
            if found:
                entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
