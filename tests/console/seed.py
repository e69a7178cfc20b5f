"""Seed a tracker store with real Rasa events through Rasa's SQLTrackerStore.

Each conversation is a list of (visitor text, intent, confidence, channel,
answers); the bot replies carry the contract's ``answer`` metadata exactly
as the action server writes them.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TypeVar

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

T = TypeVar("T")
DAY = 86400.0
XSS = "<img src=x onerror=alert(1)>"


def kb(treatment: str, topic: str, covered: bool = True) -> Dict[str, Any]:
    sources = ["002_abd2556e1dc0e659.txt"] if covered else []
    return {"kind": "kb", "treatment": treatment, "topic": topic,
            "covered": covered, "sources": sources}  # fmt: skip


@dataclass
class Message:
    text: str
    intent: str
    answers: List[Dict[str, Any]]
    confidence: float = 0.9
    treatment: Optional[str] = None


@dataclass
class Seeded:
    sender: str
    channel: Optional[str]
    days_ago: float
    messages: List[Message] = field(default_factory=list)


CONVERSATIONS = [
    Seeded("alice", "rest", 2, [
        Message("does microneedling hurt?", "ask_pain", [kb("microneedling", "pain")],
                treatment="microneedling"),
        Message("how long is the appointment?", "ask_procedure_time",
                [kb("microneedling", "procedure_time", covered=False)], 0.8),
    ]),
    Seeded("web-visitor1", "socketio", 1, [
        Message("thermage or laser, which hurts less?", "ask_comparison",
                [{"kind": "compare", "topic": "pain",
                  "treatments": ["thermage", "laser_skin_tightening"]}]),
    ]),
    Seeded("telegram-4242", "telegram", 1, [
        Message("my face is blistering since the laser yesterday", "report_problem",
                [{"kind": "safety"}], 0.95),
    ]),
    Seeded("web-visitor2", None, 0.01, [
        Message(XSS, "nlu_fallback", [{"kind": "out_of_scope"}], 0.2),
        Message("what's the weather?", "out_of_scope", [{"kind": "out_of_scope"}], 0.7),
    ]),
    Seeded("carol", "rest", 0, [
        Message("is there any downtime?", "ask_downtime",
                [{"kind": "clarify", "topic": "downtime"}], 0.4),
        Message("the skin burns and is swelling after meso", "report_problem",
                [{"kind": "safety"}], 0.9),
    ]),
    Seeded("old-visitor", "rest", 400, [
        Message("does thermage hurt?", "ask_pain", [kb("thermage", "pain")],
                treatment="thermage"),
    ]),
]  # fmt: skip

# Only in the served console's store: the conversation a visitor asks to erase.
ERASURE_REQUEST = Seeded("erase-me-please", "rest", 0, [
    Message("does mesotherapy hurt?", "ask_pain", [kb("mesotherapy", "pain")]),
])  # fmt: skip


def _events(seeded: Seeded, now: float) -> List[Any]:
    at = now - seeded.days_ago * DAY
    events: List[Any] = [ActionExecuted("action_listen", timestamp=at)]
    for message in seeded.messages:
        entities = []
        if message.treatment:  # named in the text, as the NLU reports it
            start = message.text.index(message.treatment)
            end = start + len(message.treatment)
            entities.append(
                {"entity": "treatment", "value": message.treatment,
                 "start": start, "end": end}
            )  # fmt: skip
        intent = {"name": message.intent, "confidence": message.confidence}
        events.append(
            UserUttered(
                message.text,
                intent=intent,
                entities=entities,
                parse_data={
                    "intent": intent,
                    "entities": entities,
                    "text": message.text,
                },  # type: ignore[typeddict-item]
                input_channel=seeded.channel,
                timestamp=at,
            )
        )
        for answer in message.answers:
            at += 1
            events.append(
                BotUttered(
                    f"reply ({answer['kind']})",
                    metadata={"answer": answer},
                    timestamp=at,
                )
            )
        events.append(ActionExecuted("action_listen", timestamp=at))
        at += 60
    return events


def tracker_store(db: Path) -> SQLTrackerStore:
    return SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))


def today_noon() -> float:
    """Noon (UTC) today: days_ago counts back from it, so "today" stays today."""
    return (time.time() // DAY) * DAY + DAY / 2


def seed(db: Path, conversations: List[Seeded] = CONVERSATIONS) -> None:
    """Write the conversations into the SQLite tracker store at ``db``."""
    seed_store(tracker_store(db), conversations)


def seed_store(store: SQLTrackerStore, conversations: List[Seeded]) -> None:
    """Write the conversations through Rasa's own tracker store (any dialect)."""
    now = today_noon()

    async def save_all() -> None:
        for seeded in conversations:
            tracker = DialogueStateTracker.from_events(
                seeded.sender, _events(seeded, now)
            )
            await store.save(tracker)

    try:
        in_own_thread(lambda: asyncio.run(save_all()))
    finally:
        store.engine.dispose()


def in_own_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own, where it may start an event loop.

    Playwright's sync API keeps an event loop running in the tests' thread.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def holds(db: Path, sender: str) -> bool:
    """Whether Rasa's SQLTrackerStore at ``db`` still holds the conversation."""

    def retrieve() -> bool:
        store = tracker_store(db)
        try:
            return asyncio.run(store.retrieve(sender)) is not None
        finally:
            store.engine.dispose()

    return in_own_thread(retrieve)
