"""A conversation's events as the assistant's tracker holds them, for store tests.

One message adds a turn (:func:`turn`: the user's message, the answer, a slot,
then listening); a conversation begins with :func:`session_start`. Timestamps
come from one increasing clock, so every event is later than the one before.
"""

from __future__ import annotations

import itertools
import time
from typing import List

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)

_clock = itertools.count(int(time.time()) + 1000)


def now() -> float:
    """The next timestamp of the shared clock (a second after the last one)."""
    return float(next(_clock))


def turn(text: str, treatment: str = "microneedling") -> List[Event]:
    """The events one visitor's message adds, shaped as the assistant's answer."""
    parse = {
        "text": text,
        "intent": {"name": "ask_pain", "confidence": 0.9},
        "entities": [{"entity": "treatment", "value": treatment}],
        "intent_ranking": [{"name": "ask_pain", "confidence": 0.9}],
    }
    return [
        UserUttered(text, parse["intent"], parse["entities"], parse, timestamp=now()),
        ActionExecuted("action_answer_question", policy="RulePolicy", timestamp=now()),
        BotUttered(f"answer to {text}", {}, {"answer": {"kind": "kb"}}, now()),
        SlotSet("treatment", treatment, timestamp=now()),
        ActionExecuted("action_listen", timestamp=now()),
    ]


def session_start() -> List[Event]:
    """The events that start a conversation."""
    return [
        ActionExecuted("action_session_start", timestamp=now()),
        SessionStarted(timestamp=now()),
        ActionExecuted("action_listen", timestamp=now()),
    ]
