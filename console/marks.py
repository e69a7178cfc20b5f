"""The "called back" marks that staff set on problem reports."""

from __future__ import annotations

import time
from typing import Dict, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit
from console.store import CALLBACKS


def set_called_back(
    engine: Engine, event_id: int, sender_id: str, username: str, done: bool
) -> None:
    """Mark (or unmark) the problem report ``event_id`` as called back."""
    with engine.begin() as connection:
        connection.execute(sa.delete(CALLBACKS).where(CALLBACKS.c.event_id == event_id))
        if done:
            connection.execute(
                sa.insert(CALLBACKS).values(
                    event_id=event_id,
                    sender_id=sender_id,
                    username=username,
                    at=time.time(),
                )
            )
        action = audit.CALLED_BACK if done else audit.CALL_BACK_UNDONE
        audit.record(connection, username, action, sender_id, f"message {event_id}")


def called_back(engine: Engine, event_ids: Iterable[int]) -> Dict[int, str]:
    """Of ``event_ids``, those marked called back, with who marked them."""
    ids = list(event_ids)
    if not ids:
        return {}
    query = sa.select(CALLBACKS).where(CALLBACKS.c.event_id.in_(ids))
    with engine.connect() as connection:
        return {row.event_id: row.username for row in connection.execute(query)}
