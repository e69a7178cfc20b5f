"""Erasure and retention: conversations leave the tracker store for good.

A deletion removes the conversation's events from Rasa's tracker store and the
console's own rows about it (called-back marks, flags and reviews not yet
exported), and records when, by whom and
why (``deletions``) and in the audit log. Retention deletes every
conversation whose last message is older than the setting.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, List, Optional

import sqlalchemy as sa

from console import audit, export, queries, review
from console.store import (
    CALLBACKS,
    DELETIONS,
    FLAGS,
    RETENTION_RUNS,
    REVIEWS,
    Stores,
)

ERASURE = "erasure request"
RETENTION = "retention"
RETENTION_USER = "retention"


def delete_conversation(
    stores: Stores,
    sender_id: str,
    username: str,
    reason: str = ERASURE,
    training_data_dir: Optional[Path] = None,
) -> int:
    """Delete a conversation everywhere; the number of tracker events removed.

    With ``training_data_dir``, its messages exported by the review inbox
    leave the training data too.
    """
    if training_data_dir is not None:
        exported = [
            row.text
            for row in review.reviewed(stores.console, exported=True)
            if row.sender_id == sender_id
        ]
        export.forget(training_data_dir, exported)
    removed = queries.delete_conversation(stores.tracker, sender_id)
    with stores.console.begin() as connection:
        for table in (CALLBACKS, FLAGS, REVIEWS):
            connection.execute(sa.delete(table).where(table.c.sender_id == sender_id))
        connection.execute(
            sa.insert(DELETIONS).values(
                sender_id=sender_id,
                username=username,
                reason=reason,
                events=removed,
                at=time.time(),
            )
        )
        audit.record(
            connection,
            username,
            audit.DELETED,
            sender_id,
            f"{reason}: {removed} events",
        )
    return removed


def apply_retention(
    stores: Stores,
    days: int,
    now: Optional[float] = None,
    training_data_dir: Optional[Path] = None,
) -> tuple[int, int]:
    """Delete the conversations idle for more than ``days`` days (0: keep all).

    Returns:
        The number of conversations and of events deleted.
    """
    if days <= 0:
        return 0, 0
    stale = queries.stale_conversations(stores.tracker, days, now)
    events = sum(
        delete_conversation(
            stores, sender, RETENTION_USER, RETENTION, training_data_dir
        )
        for sender in stale
    )
    with stores.console.begin() as connection:
        connection.execute(
            sa.insert(RETENTION_RUNS).values(
                at=time.time(), days=days, conversations=len(stale), events=events
            )
        )
    return len(stale), events


def deletions(stores: Stores, limit: int = 200) -> List[Any]:
    """The newest deletions: which conversation, when, by whom, why."""
    query = sa.select(DELETIONS).order_by(DELETIONS.c.id.desc()).limit(limit)
    with stores.console.connect() as connection:
        return list(connection.execute(query))


def deletion_of(stores: Stores, sender_id: str) -> Optional[Any]:
    """The latest deletion of one conversation, if any."""
    query = (
        sa.select(DELETIONS)
        .where(DELETIONS.c.sender_id == sender_id)
        .order_by(DELETIONS.c.id.desc())
        .limit(1)
    )
    with stores.console.connect() as connection:
        return connection.execute(query).first()


def retention_runs(stores: Stores, limit: int = 20) -> List[Any]:
    """The newest retention runs."""
    query = sa.select(RETENTION_RUNS).order_by(RETENTION_RUNS.c.id.desc()).limit(limit)
    with stores.console.connect() as connection:
        return list(connection.execute(query))
