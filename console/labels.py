"""Human labels for the contract's ids, and the CSV exports' safe cells."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from medspa.contract import TOPIC_INTENT_PREFIX, Intent, Kind
from medspa.knowledge_base import KnowledgeBase

KIND_LABELS = {
    Kind.KB.value: "answer",
    Kind.COMPARE.value: "comparison",
    Kind.RECOMMEND.value: "recommendation",
    Kind.LIST.value: "treatment list",
    Kind.CLARIFY.value: "asked which treatment",
    Kind.SAFETY.value: "problem report",
    Kind.OUT_OF_SCOPE.value: "out of scope",
    Kind.HANDOFF.value: "handoff to staff",
    Kind.CHITCHAT.value: "small talk",
}

READING_LABELS = {
    Intent.REPORT_PROBLEM: "a problem report (safety)",
    Intent.OUT_OF_SCOPE: "really out of scope",
    Intent.NLU_FALLBACK: "nothing (below the fallback threshold)",
}

CHANNEL_LABELS = {"rest": "REST", "socketio": "web chat", "telegram": "Telegram"}

# A cell starting with one of these is a formula to a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Labels:
    """Names of treatments, topics, kinds and channels, from the knowledge base."""

    def __init__(self, kb: Optional[KnowledgeBase]) -> None:
        self.kb = kb  # None when the file can't be read: ids are shown instead

    def treatment(self, treatment_id: Any) -> str:
        """The treatment's name (the id itself when unknown)."""
        found = self.kb.treatments.get(str(treatment_id)) if self.kb else None
        return found.name if found else str(treatment_id)

    def treatments(self, treatment_ids: Iterable[Any]) -> str:
        """Several treatments' names, comma-separated."""
        return ", ".join(map(self.treatment, treatment_ids))

    def topic(self, topic_id: Any) -> str:
        """The topic's label."""
        if self.kb is None:
            return str(topic_id)
        return self.kb.topic_labels.get(str(topic_id), str(topic_id))

    def reading(self, intent: Any) -> str:
        """A reading of the review inbox (an intent) in words."""
        intent = str(intent)
        if intent.startswith(TOPIC_INTENT_PREFIX):
            return "question: " + self.topic(intent[len(TOPIC_INTENT_PREFIX) :])
        return READING_LABELS.get(intent, intent)

    @staticmethod
    def kind(kind: Any) -> str:
        """The reply kind in words."""
        return KIND_LABELS.get(str(kind), str(kind))

    @staticmethod
    def channel(channel: Any) -> str:
        """The channel's name."""
        return CHANNEL_LABELS.get(str(channel), str(channel))


def spreadsheet_safe(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def when(timestamp: Optional[float]) -> str:
    """A timestamp as a UTC date and time."""
    if not timestamp:
        return ""
    try:
        moment = datetime.fromtimestamp(timestamp, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"(no date: {timestamp:g})"
    return moment.strftime("%Y-%m-%d %H:%M UTC")
