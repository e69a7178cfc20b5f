"""What visitors asked, read from Rasa's tracker store: one query layer.

The dashboard, the conversation pages and ``make report`` all read through
:func:`turns`: each visitor message with the bot's replies to it and their
``answer`` metadata (``../shared/contract.md``). Everything else here is
counting over those turns, in Python, so the same code runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from console.store import EVENTS
from medspa import contract
from medspa.contract import Kind

# Where a conversation came from when its messages don't say (``input_channel``):
# the prefix of its sender id, as the channels write it.
CHANNEL_PREFIXES = {"telegram-": "telegram", "web-": "socketio"}
DEFAULT_CHANNEL = "rest"

# What became of a visitor's message, from its replies' kinds.
ANSWERED = "answered"  # kb (covered), compare, recommend, list
NOT_COVERED = "not covered"  # kb, but the articles don't say
NOT_UNDERSTOOD = "not understood"  # out_of_scope, or no reply at all
OTHER = "other replies"  # safety, handoff, chitchat, clarify
OUTCOMES = (ANSWERED, NOT_COVERED, NOT_UNDERSTOOD, OTHER)
_ANSWERED_KINDS = {
    Kind.KB.value,
    Kind.COMPARE.value,
    Kind.RECOMMEND.value,
    Kind.LIST.value,
}


@dataclass
class Turn:
    """One visitor message and the bot's replies to it.

    Its derived figures (kinds, outcome...) are computed once, when first read:
    after :func:`turns` has collected every reply.
    """

    event_id: int
    sender_id: str
    timestamp: float
    text: str
    channel: str
    intent: Optional[str]
    confidence: Optional[float]
    treatments_named: List[str] = field(default_factory=list)
    not_offered: List[str] = field(default_factory=list)
    treatment_spans: List[Tuple[str, str]] = field(default_factory=list)
    answers: List[contract.Answer] = field(default_factory=list)
    replies: List[str] = field(default_factory=list)

    @cached_property
    def day(self) -> date:
        """The day of the message (UTC)."""
        return day_of(self.timestamp)

    @cached_property
    def kinds(self) -> List[str]:
        """The kinds of the replies, in order, once each."""
        return list(dict.fromkeys(str(a.get("kind")) for a in self.answers))

    @cached_property
    def treatments(self) -> List[str]:
        """The treatments the replies were about."""
        found: List[str] = []
        for answer in self.answers:
            found += answer.get("treatments") or [answer.get("treatment")]
        return [t for t in dict.fromkeys(found) if t]

    @cached_property
    def outcome(self) -> str:
        """Answered, not covered, not understood, or another kind of reply."""
        kinds = set(self.kinds)
        if any(
            a.get("kind") == Kind.KB.value and a.get("covered") is False
            for a in self.answers
        ):
            return NOT_COVERED
        if kinds & _ANSWERED_KINDS:
            return ANSWERED
        if Kind.SAFETY.value in kinds:  # advice, then maybe "we don't offer it"
            return OTHER
        if Kind.OUT_OF_SCOPE.value in kinds or not kinds:
            return NOT_UNDERSTOOD
        return OTHER

    @cached_property
    def is_problem_report(self) -> bool:
        """Whether the visitor reported a problem (a ``safety`` reply)."""
        return Kind.SAFETY.value in self.kinds

    def matches(self, search: str) -> bool:
        """Whether the message or a reply contains ``search`` (any case)."""
        needle = search.casefold()
        return any(needle in text.casefold() for text in [self.text, *self.replies])


@dataclass(frozen=True)
class Filters:
    """Which turns to read: a date range (UTC days, inclusive) and more."""

    start: Optional[date] = None
    end: Optional[date] = None
    channel: str = ""
    kind: str = ""
    treatment: str = ""
    search: str = ""

    def span(self) -> Tuple[Optional[float], Optional[float]]:
        """The range as timestamps: from the start day's midnight to the end's."""
        start = end = None
        if self.start:
            start = _midnight(self.start)
        if self.end:
            end = _midnight(self.end + timedelta(days=1))
        return start, end

    def as_args(self) -> Dict[str, Any]:
        """The filters as the console's query-string arguments."""
        args = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "channel": self.channel,
            "kind": self.kind,
            "treatment": self.treatment,
            "q": self.search,
        }
        return {k: v for k, v in args.items() if v}

    def keeps(self, turn: Turn) -> bool:
        """Whether ``turn`` passes the channel, kind, treatment and text filters."""
        return (
            (not self.channel or turn.channel == self.channel)
            and (not self.kind or self.kind in turn.kinds)
            and (not self.treatment or self.treatment in turn.treatments)
            and (not self.search or turn.matches(self.search))
        )


def day_of(timestamp: float) -> date:
    """The UTC day of a timestamp; one out of any calendar gives the nearest end."""
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return date.max if timestamp > 0 else date.min


def last_days(days: int, today: Optional[date] = None) -> Filters:
    """The filters of the last ``days`` days, today included."""
    end = today or datetime.now(timezone.utc).date()
    return Filters(start=end - timedelta(days=days - 1), end=end)


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


# The columns read: what every version of Rasa's events table has.
_READ = (
    EVENTS.c.id,
    EVENTS.c.sender_id,
    EVENTS.c.type_name,
    EVENTS.c.timestamp,
    EVENTS.c.data,
)


def channel_of(sender_id: str, input_channel: Optional[str]) -> str:
    """The channel of a message: its ``input_channel``, else its sender's prefix."""
    if input_channel:
        return input_channel
    for prefix, channel in CHANNEL_PREFIXES.items():
        if sender_id.startswith(prefix):
            return channel
    return DEFAULT_CHANNEL


def _entities(data: Dict[str, Any], name: str) -> List[str]:
    entities = (data.get("parse_data") or {}).get("entities") or []
    return [
        str(e.get("value"))
        for e in entities
        if isinstance(e, dict) and e.get("entity") == name and e.get("value")
    ]


def _spans(data: Dict[str, Any], name: str) -> List[Tuple[str, str]]:
    """(value, the words of the text) of each ``name`` entity found by the NLU."""
    text = str(data.get("text") or "")
    entities = (data.get("parse_data") or {}).get("entities") or []
    spans = []
    for e in entities:
        if isinstance(e, dict) and e.get("entity") == name:
            start, end = e.get("start"), e.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
                spans.append((str(e.get("value")), text[start:end]))
    return spans


def _turn(row: Any, data: Dict[str, Any]) -> Turn:
    intent = (data.get("parse_data") or {}).get("intent") or {}
    confidence = intent.get("confidence")
    return Turn(
        event_id=row.id,
        sender_id=row.sender_id,
        timestamp=float(row.timestamp or 0),
        text=str(data.get("text") or ""),
        channel=channel_of(row.sender_id, data.get("input_channel")),
        intent=intent.get("name"),
        confidence=float(confidence) if confidence is not None else None,
        treatments_named=_entities(data, "treatment"),
        not_offered=_entities(data, "other_treatment"),
        treatment_spans=_spans(data, "treatment"),
    )


def _rows(
    connection: Connection, filters: Filters, senders: Optional[Sequence[str]]
) -> Iterable[Any]:
    query = sa.select(*_READ).where(EVENTS.c.type_name.in_(("user", "bot")))
    start, end = filters.span()
    if start is not None:
        query = query.where(EVENTS.c.timestamp >= start)
    if end is not None:
        query = query.where(EVENTS.c.timestamp < end)
    if senders is not None:
        query = query.where(EVENTS.c.sender_id.in_(list(senders)))
    return connection.execute(query.order_by(EVENTS.c.sender_id, EVENTS.c.id))


def turns(
    engine: Engine,
    filters: Filters = Filters(),
    senders: Optional[Sequence[str]] = None,
) -> List[Turn]:
    """The visitor messages that pass ``filters``, oldest first.

    Args:
        engine: the tracker store.
        filters: date range, channel, reply kind, treatment and text.
        senders: only these conversations (all when ``None``).
    """
    found: List[Turn] = []
    current: Optional[Turn] = None
    with engine.connect() as connection:
        for row in _rows(connection, filters, senders):
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                continue
            if row.type_name == "user":
                current = _turn(row, data)
                found.append(current)
            elif current is not None and current.sender_id == row.sender_id:
                current.replies.append(str(data.get("text") or ""))
                answer = (data.get("metadata") or {}).get("answer")
                if isinstance(answer, dict):
                    current.answers.append(answer)
    found.sort(key=lambda t: (t.timestamp, t.event_id))
    return [t for t in found if filters.keeps(t)]


def turn(engine: Engine, sender_id: str, event_id: int) -> Optional[Turn]:
    """One visitor message of a conversation, with its replies."""
    found = turns(engine, senders=[sender_id])
    return next((t for t in found if t.event_id == event_id), None)


# --- the dashboard ------------------------------------------------------------


@dataclass
class Dashboard:
    """Every figure of the dashboard, for one set of turns."""

    days: List[date]
    conversations_per_day: Dict[date, int]
    messages_per_day: Dict[date, int]
    kinds_per_day: Dict[date, Counter]
    heatmap: Counter
    outcomes: Counter
    outcomes_per_week: Dict[date, Counter]
    channels: Counter
    problem_reports: List[Turn]
    not_covered: List[Turn]
    not_understood: List[Turn]

    @property
    def conversations(self) -> int:
        """Conversations in the range."""
        return sum(self.channels.values())

    @property
    def messages(self) -> int:
        """Visitor messages in the range."""
        return sum(self.messages_per_day.values())


def _day_range(filters: Filters, found: Sequence[Turn]) -> List[date]:
    today = datetime.now(timezone.utc).date()
    first = filters.start or (found[0].day if found else None)
    last = filters.end or (min(found[-1].day, today) if found else None)
    if first is None or last is None or last < first:
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def dashboard(found: Sequence[Turn], filters: Filters = Filters()) -> Dashboard:
    """Count ``found`` (turns, oldest first) into the dashboard's figures."""
    days = _day_range(filters, found)
    senders_per_day: Dict[date, set] = defaultdict(set)
    messages: Counter = Counter()
    kinds: Dict[date, Counter] = defaultdict(Counter)
    heatmap: Counter = Counter()
    outcomes: Counter = Counter()
    weekly: Dict[date, Counter] = defaultdict(Counter)
    channel_of_sender: Dict[str, str] = {}
    for turn in found:
        senders_per_day[turn.day].add(turn.sender_id)
        messages[turn.day] += 1
        kinds[turn.day].update(turn.kinds)
        outcomes[turn.outcome] += 1
        weekly[week_of(turn.day)][turn.outcome] += 1
        channel_of_sender.setdefault(turn.sender_id, turn.channel)
        for answer in turn.answers:
            if answer.get("topic"):
                for treatment in answer.get("treatments") or [answer.get("treatment")]:
                    if treatment:
                        heatmap[(treatment, answer["topic"])] += 1
    newest_first = list(reversed(found))
    return Dashboard(
        days=days,
        conversations_per_day={d: len(senders_per_day[d]) for d in days},
        messages_per_day={d: messages[d] for d in days},
        kinds_per_day={d: kinds[d] for d in days},
        heatmap=heatmap,
        outcomes=outcomes,
        outcomes_per_week=dict(sorted(weekly.items())),
        channels=Counter(channel_of_sender.values()),
        problem_reports=[t for t in newest_first if t.is_problem_report],
        not_covered=[t for t in newest_first if t.outcome == NOT_COVERED],
        not_understood=[t for t in newest_first if t.outcome == NOT_UNDERSTOOD],
    )


# --- conversations ------------------------------------------------------------


@dataclass
class Conversation:
    """One conversation (a sender id) as the list shows it."""

    sender_id: str
    channel: str
    first: float
    last: float
    messages: int
    kinds: List[str]
    treatments: List[str]
    opening: str


def conversations(found: Sequence[Turn]) -> List[Conversation]:
    """The conversations of ``found``, the most recently active first."""
    grouped: Dict[str, List[Turn]] = defaultdict(list)
    for turn in found:
        grouped[turn.sender_id].append(turn)
    listed = [
        Conversation(
            sender_id=sender,
            channel=group[0].channel,
            first=group[0].timestamp,
            last=group[-1].timestamp,
            messages=len(group),
            kinds=list(dict.fromkeys(k for t in group for k in t.kinds)),
            treatments=list(dict.fromkeys(x for t in group for x in t.treatments)),
            opening=group[0].text,
        )
        for sender, group in grouped.items()
    ]
    return sorted(listed, key=lambda c: c.last, reverse=True)


@dataclass
class TranscriptLine:
    """One event of a transcript: who said what, and the reply's metadata."""

    event_id: int
    timestamp: float
    speaker: str
    text: str
    answer: Optional[contract.Answer]
    channel: str = ""


def transcript(engine: Engine, sender_id: str) -> List[TranscriptLine]:
    """Every visitor and bot message of a conversation, in order."""
    query = (
        sa.select(*_READ)
        .where(EVENTS.c.sender_id == sender_id)
        .where(EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(EVENTS.c.id)
    )
    lines = []
    with engine.connect() as connection:
        for row in connection.execute(query):
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                continue
            answer = (data.get("metadata") or {}).get("answer")
            lines.append(
                TranscriptLine(
                    event_id=row.id,
                    timestamp=float(row.timestamp or 0),
                    speaker="visitor" if row.type_name == "user" else "assistant",
                    text=str(data.get("text") or ""),
                    answer=answer if isinstance(answer, dict) else None,
                    channel=channel_of(sender_id, data.get("input_channel"))
                    if row.type_name == "user"
                    else "",
                )
            )
    return lines


# --- erasure ------------------------------------------------------------------


def delete_conversation(engine: Engine, sender_id: str) -> int:
    """Delete every event of a conversation from the tracker store; how many."""
    with engine.begin() as connection:
        result = connection.execute(
            sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id)
        )
    return int(result.rowcount or 0)


def stale_conversations(
    engine: Engine, days: int, now: Optional[float] = None
) -> List[str]:
    """Conversations whose last event is older than ``days`` days."""
    cutoff = (now if now is not None else time.time()) - days * 86400
    query = (
        sa.select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
    )
    with engine.connect() as connection:
        return [row.sender_id for row in connection.execute(query)]
