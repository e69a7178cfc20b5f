"""The SQL statements a tracker store runs, as the tests count them."""

from __future__ import annotations

from typing import Any, List

import sqlalchemy as sa


def statements(store: Any) -> List[str]:
    """The SQL statements ``store``'s engine runs from now on, in order."""
    run_ones: List[str] = []
    sa.event.listen(
        store.engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: run_ones.append(statement),
    )
    return run_ones


def kinds(run_ones: List[str]) -> List[str]:
    """Each statement's kind: ``stamp`` (the conversation's check) or its verb."""
    return [
        "stamp" if "max(events.id)" in s else s.split()[0].lower() for s in run_ones
    ]
