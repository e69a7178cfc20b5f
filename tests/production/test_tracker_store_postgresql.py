"""The cached tracker store (stores/sql.py) on PostgreSQL, shared by two servers.

Two store instances on one throwaway PostgreSQL stand for the profile's two
Rasa servers: each sees what the other wrote, nothing is stored twice or out
of order, and the rows are those Rasa's own SQLTrackerStore writes.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted

from stores.sql import CachedSQLTrackerStore
from tests.console.postgres import binaries, running_postgres
from tests.support.events import session_start, turn
from tests.unit.test_tracker_store import DOMAIN, say

pytestmark = pytest.mark.skipif(
    binaries() is None, reason="PostgreSQL is not installed on this machine"
)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with running_postgres(["rasa"]) as url:
        yield int(url.rsplit(":", 1)[1])


def store(port: int, kind: Any = CachedSQLTrackerStore) -> Any:
    return kind(
        domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port=port,
        db="rasa", username="postgres",
    )  # fmt: skip


def query(port: int, database: str, sql: str, **params: Any) -> List[Any]:
    """The first column of a query's rows, on a connection of its own."""
    engine = sa.create_engine(f"postgresql://postgres@127.0.0.1:{port}/{database}")
    with engine.connect() as connection:
        found = list(connection.execute(sa.text(sql), params).scalars())
    engine.dispose()
    return found


def texts(port: int, sender: str) -> List[str]:
    return query(
        port,
        "rasa",
        "SELECT data::json->>'text' FROM events WHERE sender_id = :s"
        " AND type_name = 'user' ORDER BY id",
        s=sender,
    )


def test_a_message_waits_for_the_database_off_the_event_loop(port: int) -> None:
    # psycopg2 blocks while PostgreSQL answers; the store waits on threads of its
    # own, so the Sanic worker's event loop serves other visitors meanwhile: here
    # another connection holds the table, and the save waits half a second
    ours = store(port)
    asyncio.run(say(ours, session_start(), "pg-wait"))
    run_on: List[str] = []
    sa.event.listen(
        ours.engine,
        "before_cursor_execute",
        lambda *_: run_on.append(threading.current_thread().name),
    )
    holder = sa.create_engine(f"postgresql://postgres@127.0.0.1:{port}/rasa")
    connection = holder.connect()
    held = connection.begin()
    connection.execute(sa.text("LOCK TABLE events IN EXCLUSIVE MODE"))

    async def message_beside_other_work() -> int:
        ticks, done = 0, asyncio.Event()

        async def other_work() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        worker = asyncio.create_task(other_work())
        await asyncio.sleep(0.05)
        before = ticks
        threading.Timer(0.5, held.commit).start()
        await say(ours, turn("does it hurt?"), "pg-wait")
        during = ticks - before
        done.set()
        await worker
        return during

    try:
        during = asyncio.run(message_beside_other_work())
    finally:
        connection.close()
        holder.dispose()

    assert during >= 20  # about 50 in the half second (none when it blocked)
    assert run_on and all(name.startswith("tracker-store") for name in run_on)
    assert texts(port, "pg-wait") == ["does it hurt?"]


def test_two_servers_take_turns_on_one_conversation(port: int) -> None:
    first, second = store(port), store(port)
    asked = [f"question {n}" for n in range(6)]

    async def talk() -> None:
        await say(first, session_start() + turn(asked[0]), "pg-v")
        for n, text in enumerate(asked[1:], start=1):
            await say((first, second)[n % 2], turn(text), "pg-v")

    asyncio.run(talk())

    assert texts(port, "pg-v") == asked
    ours = asyncio.run(first.retrieve("pg-v"))
    reference = asyncio.run(store(port, SQLTrackerStore).retrieve("pg-v"))
    assert ours is not None and reference is not None
    assert list(ours.events) == list(reference.events)
    assert first.count_events("pg-v") == 1 + 3 + 5 * 6


def test_a_restarted_server_reads_the_conversation_back(port: int) -> None:
    asyncio.run(say(store(port), session_start() + turn("does it hurt?"), "pg-r"))
    tracker = asyncio.run(store(port).retrieve("pg-r"))

    assert tracker is not None
    assert tracker.get_slot("treatment") == "microneedling"
    assert tracker.latest_message.text == "does it hurt?"


def test_one_failed_call_after_the_connections_are_lost(port: int) -> None:
    # the database dropping every connection (a restart) fails one call; the
    # next ones, Rasa's own reads (the HTTP API's) too, open new connections
    ours = store(port)
    asyncio.run(say(ours, session_start() + turn("does it hurt?"), "pg-d"))
    assert asyncio.run(ours.retrieve("pg-d")) is not None
    [dropped] = query(
        port,
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = 'rasa'",
    )
    assert dropped >= 1

    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(ours.retrieve("pg-d"))
    full = asyncio.run(ours.retrieve_full_tracker("pg-d"))
    assert full is not None and full.latest_message.text == "does it hurt?"
    asyncio.run(say(ours, turn("and the downtime?"), "pg-d"))
    assert texts(port, "pg-d") == ["does it hurt?", "and the downtime?"]
    tracker = asyncio.run(ours.retrieve("pg-d"))
    assert tracker is not None and tracker.latest_message.text == "and the downtime?"


@pytest.mark.parametrize("turns", [3, 400])
def test_a_save_that_fails_stores_nothing(port: int, turns: int) -> None:
    # a save is one multi-row INSERT (atomic by itself, outside a transaction)
    # or, for more rows than one takes (1,000), a transaction: a row the
    # database refuses at the end (a name over 255 characters) leaves none
    sender = f"pg-fail-{turns}"
    asked = [f"question {n}" for n in range(turns)]
    events = session_start() + [e for text in asked for e in turn(text)]
    refused = ActionExecuted("x" * 300)
    with pytest.raises(sa.exc.DataError):
        asyncio.run(say(store(port), [*events, refused], sender))
    assert texts(port, sender) == []

    ours = store(port)
    asyncio.run(say(ours, events, sender))
    assert texts(port, sender) == asked
    reference = asyncio.run(store(port, SQLTrackerStore).retrieve(sender))
    read_back = asyncio.run(store(port).retrieve(sender))
    assert reference is not None and read_back is not None
    assert list(read_back.events) == list(reference.events)
    assert ours.count_events(sender) == 1 + len(events)  # and the first listen


def test_the_store_benchmark_reaches_the_database_through_a_delay(
    port: int, capsys: Any
) -> None:
    from benchmarks.tracker_store import main

    before = query(port, "rasa", "SELECT count(*) FROM events")[0]
    main(
        ["--url", f"postgresql://postgres@127.0.0.1:{port}/rasa", "--messages", "32",
         "--rounds", "1", "--visitors", "4", "--delay-ms", "1"]
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == "the database 1.0 ms away each way"
    assert [line.split()[1] for line in lines[3:]] == [
        "rasa.core.tracker_store:SQLTrackerStore",
        "stores.sql:CachedSQLTrackerStore",
    ]
    # every message of both stores went through the proxy into the database:
    # 32 new conversations each, a session's start and one turn apiece
    after = query(port, "rasa", "SELECT count(*) FROM events")[0]
    assert after - before == 2 * 32 * (len(session_start()) + len(turn("x")))
