"""Marks that staff put on visitor messages: one mechanism, several tables.

A problem report called back (``CALLBACKS``), a message flagged for the
review inbox (``FLAGS``), a message's reading (``REVIEWS``): each is one row
per visitor message (its user event id), replaced when set again, and every
change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit
from console.store import CALLBACKS


def put(
    engine: Engine,
    table: sa.Table,
    event_id: int,
    sender_id: str,
    username: str,
    action: str,
    detail: str = "",
    values: Optional[Dict[str, Any]] = None,
) -> None:
    """Set (or replace) ``username``'s mark on message ``event_id``; audited.

    With ``values`` None, the mark is taken off instead.
    """
    with engine.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.event_id == event_id))
        if values is not None:
            connection.execute(
                sa.insert(table).values(
                    event_id=event_id,
                    sender_id=sender_id,
                    username=username,
                    at=time.time(),
                    **values,
                )
            )
        audit.record(
            connection, username, action, sender_id, detail or f"message {event_id}"
        )


def set_called_back(
    engine: Engine, event_id: int, sender_id: str, username: str, done: bool
) -> None:
    """Mark (or unmark) the problem report ``event_id`` as called back."""
    action = audit.CALLED_BACK if done else audit.CALL_BACK_UNDONE
    put(engine, CALLBACKS, event_id, sender_id, username, action,
        values={} if done else None)  # fmt: skip


def called_back(engine: Engine, event_ids: Iterable[int]) -> Dict[int, str]:
    """Of ``event_ids``, those marked called back, with who marked them."""
    ids = list(event_ids)
    if not ids:
        return {}
    query = sa.select(CALLBACKS).where(CALLBACKS.c.event_id.in_(ids))
    with engine.connect() as connection:
        return {row.event_id: row.username for row in connection.execute(query)}
