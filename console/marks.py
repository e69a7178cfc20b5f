"""Marks that staff put on visitor messages: one mechanism, several tables.

A problem report called back (``CALLBACKS``), a message flagged for the
review inbox (``FLAGS``), a message's reading (``REVIEWS``): each is one row
per visitor message (its user event id), replaced when set again, and every
change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable

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
    **values: Any,
) -> None:
    """Set (or replace) ``username``'s mark on message ``event_id``; audited."""
    with engine.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.event_id == event_id))
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


def remove(
    engine: Engine,
    table: sa.Table,
    event_id: int,
    sender_id: str,
    username: str,
    action: str,
) -> None:
    """Take the mark off message ``event_id``; audited."""
    with engine.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.event_id == event_id))
        audit.record(connection, username, action, sender_id, f"message {event_id}")


def set_called_back(
    engine: Engine, event_id: int, sender_id: str, username: str, done: bool
) -> None:
    """Mark (or unmark) the problem report ``event_id`` as called back."""
    if done:
        put(engine, CALLBACKS, event_id, sender_id, username, audit.CALLED_BACK)
    else:
        remove(engine, CALLBACKS, event_id, sender_id, username, audit.CALL_BACK_UNDONE)


def called_back(engine: Engine, event_ids: Iterable[int]) -> Dict[int, str]:
    """Of ``event_ids``, those marked called back, with who marked them."""
    ids = list(event_ids)
    if not ids:
        return {}
    query = sa.select(CALLBACKS).where(CALLBACKS.c.event_id.in_(ids))
    with engine.connect() as connection:
        return {row.event_id: row.username for row in connection.execute(query)}
