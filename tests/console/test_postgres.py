"""The console's queries, erasure and audit log on PostgreSQL, as on SQLite.

Rasa's SQLTrackerStore writes the seeded conversations into a throwaway
PostgreSQL server; the console reads and erases them through the same code.
"""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from console import audit, marks, privacy, queries
from console.store import Stores
from tests.console.postgres import binaries, running_postgres
from tests.console.seed import CONVERSATIONS, in_own_thread, seed_store
from tests.console.test_queries import assert_append_only

pytestmark = pytest.mark.skipif(
    binaries() is None, reason="PostgreSQL is not installed on this machine"
)


@pytest.fixture(scope="module")
def pg() -> Iterator[tuple]:
    with running_postgres(["rasa", "console"]) as url:
        port = int(url.rsplit(":", 1)[1])
        store = SQLTrackerStore(
            domain=Domain.empty(), dialect="postgresql", host="127.0.0.1",
            port=port, db="rasa", username="postgres",
        )  # fmt: skip
        seed_store(store, CONVERSATIONS)
        stores = Stores.open(f"{url}/rasa", f"{url}/console")
        yield store, stores
        stores.dispose()
        store.engine.dispose()


def test_the_dashboard_reads_the_same_on_postgresql(pg: tuple) -> None:
    _, stores = pg
    filters = queries.last_days(30)
    board = queries.dashboard(queries.turns(stores.tracker, filters), filters)

    assert (board.messages, board.conversations) == (8, 5)
    assert board.channels == {"rest": 2, "socketio": 2, "telegram": 1}
    assert [t.sender_id for t in board.problem_reports] == ["carol", "telegram-4242"]
    assert board.outcomes[queries.NOT_COVERED] == 1


def test_erasure_and_the_append_only_audit_log_on_postgresql(pg: tuple) -> None:
    store, stores = pg
    report = queries.turns(stores.tracker, queries.Filters(kind="safety"))[0]
    marks.set_called_back(stores.console, report.event_id, report.sender_id, "s", True)

    assert privacy.delete_conversation(stores, "alice", "admin") > 0
    assert in_own_thread(lambda: asyncio.run(store.retrieve("alice"))) is None
    assert_append_only(stores.console)
    assert [e.action for e in audit.entries(stores.console)] == [
        audit.DELETED,
        audit.CALLED_BACK,
    ]
