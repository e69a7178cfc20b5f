"""How much each training example counts: real visitors' words count more.

The real questions of ``tests/realworld/dev.yml`` copied into the training data
(``data/nlu/real_questions.yml``) carry the intent metadata ``origin: real``.
They are few beside the examples written for the project, but they are the
words the assistant will meet; the classifiers may weigh them more
(``real_weight`` in their config).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rasa.shared.nlu.constants import METADATA, METADATA_INTENT
from rasa.shared.nlu.training_data.message import Message

REAL = "real"
"""The ``origin`` of an example copied from real visitors' questions."""


def origin(example: Message) -> str:
    """The example's ``origin`` (its intent block's metadata), else ''."""
    metadata = example.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT)
    if not isinstance(intent_metadata, dict):
        return ""
    return str(intent_metadata.get("origin", ""))


def example_weights(examples: Sequence[Message], real_weight: float) -> np.ndarray:
    """One weight per example: ``real_weight`` for real ones, else 1."""
    return np.array(
        [real_weight if origin(e) == REAL else 1.0 for e in examples], dtype=np.float64
    )
