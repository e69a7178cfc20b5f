"""The review inbox: visitor messages the assistant was unsure about.

A message is in the inbox when the NLU fell back or read it below the
confidence threshold (``MEDSPA_REVIEW_CONFIDENCE``), when the reply was
``out_of_scope`` or ``clarify``, or when a member of staff flagged it from a
transcript; until someone gives it its right reading: a topic question (with
the treatment, if one was named), a problem report, or really out of scope.
``console.export`` writes the readings as NLU training data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit, marks, queries
from console.store import FLAGS, REVIEWS, Stores
from medspa.contract import TOPIC_IDS, TOPIC_INTENT_PREFIX, TREATMENT_IDS, Intent, Kind

# The readings staff can choose: every topic question, a report, out of scope.
READINGS = (
    *(TOPIC_INTENT_PREFIX + topic for topic in TOPIC_IDS),
    Intent.REPORT_PROBLEM,
    Intent.OUT_OF_SCOPE,
)


class ReviewError(ValueError):
    """A reading that can't be saved."""


@dataclass
class InboxItem:
    """A message waiting for review, and why it is there."""

    turn: queries.Turn
    reasons: List[str]

    @property
    def suggested_treatment(self) -> str:
        """The treatment named in the message or answered about, if any."""
        named = self.turn.treatments_named + self.turn.treatments
        return next((t for t in named if t in TREATMENT_IDS), "")


def reasons(
    turn: queries.Turn, threshold: float, flagged_by: Optional[str]
) -> List[str]:
    """Why ``turn`` needs a review (nothing when the assistant was sure)."""
    found = []
    if turn.intent == Intent.NLU_FALLBACK:
        found.append("not understood")
    elif turn.confidence is not None and turn.confidence < threshold:
        found.append(f"unsure ({turn.confidence:.2f})")
    if Kind.OUT_OF_SCOPE.value in turn.kinds:
        found.append("answered out of scope")
    if Kind.CLARIFY.value in turn.kinds:
        found.append("asked which treatment")
    if flagged_by:
        found.append(f"flagged by {flagged_by}")
    return found


def _reviewed_ids(engine: Engine) -> set:
    with engine.connect() as connection:
        return {
            row.event_id for row in connection.execute(sa.select(REVIEWS.c.event_id))
        }


def flags(engine: Engine) -> Dict[int, str]:
    """Flagged messages: event id -> who flagged it."""
    with engine.connect() as connection:
        return {
            row.event_id: row.username for row in connection.execute(sa.select(FLAGS))
        }


def inbox(
    stores: Stores, filters: queries.Filters, threshold: float
) -> List[InboxItem]:
    """The messages in ``filters``' range still waiting for a reading, newest first."""
    reviewed = _reviewed_ids(stores.console)
    flagged = flags(stores.console)
    items = []
    for turn in reversed(queries.turns(stores.tracker, filters)):
        if turn.event_id in reviewed or turn.text.startswith("/") or not turn.text:
            continue  # reviewed already, or a button press
        why = reasons(turn, threshold, flagged.get(turn.event_id))
        if why:
            items.append(InboxItem(turn, why))
    return items


def flag(engine: Engine, turn: queries.Turn, username: str) -> None:
    """Put a message in the inbox (from its transcript)."""
    marks.put(
        engine, FLAGS, turn.event_id, turn.sender_id, username, audit.FLAGGED, values={}
    )


def save(
    engine: Engine,
    turn: queries.Turn,
    text: str,
    intent: str,
    treatment: str,
    username: str,
) -> None:
    """Record a message's reading (``text``: the message, personal details removed).

    Raises:
        ReviewError: an unknown reading or treatment, or an empty text.
    """
    text = " ".join(text.split())
    if intent not in READINGS:
        raise ReviewError(f"unknown reading {intent!r}")
    if treatment and treatment not in TREATMENT_IDS:
        raise ReviewError(f"unknown treatment {treatment!r}")
    if not text:
        raise ReviewError("the message is empty")
    marks.put(
        engine,
        REVIEWS,
        turn.event_id,
        turn.sender_id,
        username,
        audit.REVIEWED,
        f"message {turn.event_id}: {intent} {treatment}".strip(),
        values=dict(
            text=text,
            intent=intent,
            treatment=treatment or None,
            span=_named_span(turn, text, treatment),
        ),
    )


def _named_span(turn: queries.Turn, text: str, treatment: str) -> Optional[str]:
    """The words of ``text`` that name ``treatment``, as the NLU found them."""
    for value, words in turn.treatment_spans:
        if value == treatment and words.casefold() in text.casefold():
            start = text.casefold().index(words.casefold())
            return text[start : start + len(words)]
    return None


def reviewed(engine: Engine, exported: Optional[bool] = None) -> List[sa.engine.Row]:
    """Reviewed messages (only those exported, or not yet, if asked), newest first."""
    query = sa.select(REVIEWS).order_by(REVIEWS.c.at.desc())
    if exported is not None:
        column = REVIEWS.c.exported_at
        query = query.where(column.isnot(None) if exported else column.is_(None))
    with engine.connect() as connection:
        return list(connection.execute(query))


def mark_exported(engine: Engine, event_ids: Sequence[int]) -> None:
    """Note that these reviews are in the training data now."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(REVIEWS)
            .where(REVIEWS.c.event_id.in_(list(event_ids)))
            .values(exported_at=time.time())
        )
