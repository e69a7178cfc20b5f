"""The audit log: who did what to which conversation, append-only.

Only :func:`record` writes it; the database refuses updates and deletes
(a trigger, see ``console.store``), and no page edits it.
"""

from __future__ import annotations

import time
from typing import Any, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from console.store import AUDIT_LOG

VIEWED = "viewed"
CALLED_BACK = "marked called back"
CALL_BACK_UNDONE = "unmarked called back"
DELETED = "deleted"
RETENTION = "retention"
EXPORTED = "exported"
SIGNED_IN = "signed in"
SIGNED_OUT = "signed out"
SIGN_IN_FAILED = "sign-in failed"
ACCOUNT = "account"
FLAGGED = "flagged for review"
REVIEWED = "reviewed"
KB_EDITED = "edited the knowledge base"


def record(
    target: Engine | Connection,
    username: str,
    action: str,
    sender_id: Optional[str] = None,
    detail: str = "",
) -> None:
    """Append one entry to the audit log."""
    values = dict(
        at=time.time(),
        username=username,
        action=action,
        sender_id=sender_id,
        detail=detail,
    )
    if isinstance(target, Connection):
        target.execute(sa.insert(AUDIT_LOG).values(**values))
        return
    with target.begin() as connection:
        connection.execute(sa.insert(AUDIT_LOG).values(**values))


def entries(
    engine: Engine, sender_id: Optional[str] = None, limit: int = 200
) -> List[Any]:
    """The newest entries, for one conversation or all."""
    query = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit)
    if sender_id is not None:
        query = query.where(AUDIT_LOG.c.sender_id == sender_id)
    with engine.connect() as connection:
        return list(connection.execute(query))
