"""The project's tracker store (stores/sql.py) stores what Rasa's stores, cheaper.

Each scenario runs the same steps on :class:`CachedSQLTrackerStore` and on
Rasa's own :class:`SQLTrackerStore` and compares the rows and the trackers;
two store instances on one database stand for two Rasa servers (or a
restarted one).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from console.queries import delete_conversation
from stores.sql import CachedSQLTrackerStore, Session, SessionCache, session_after
from tests.support.events import session_start, turn
from tests.support.servers import PROJECT_DIR
from tests.support.sql import kinds, statements

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def cached(db: Path) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))


def rasas(db: Path) -> SQLTrackerStore:
    return SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))


def rows(db: Path, sender: str = "v") -> List[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT type_name, timestamp, intent_name, action_name, data FROM events"
            " WHERE sender_id = ? ORDER BY id",
            (sender,),
        ).fetchall()


def without_time(found: List[tuple]) -> List[tuple]:
    """Rows without their timestamps (the first action_listen's is the clock's)."""
    return [
        (kind, intent, action, {**json.loads(data), "timestamp": None})
        for kind, _, intent, action, data in found
    ]


def dump(tracker: Optional[DialogueStateTracker]) -> Any:
    return None if tracker is None else tracker.current_state()


async def say(store: Any, events: List[Event], sender: str = "v") -> Any:
    """What the processor does for a message: retrieve (or create), update, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


def conversation() -> List[List[Event]]:
    return [
        session_start(),
        turn("does microneedling hurt?"),
        turn("and thermage?", "thermage"),
        session_start() + turn("back again, downtime?"),
        turn("thanks"),
    ]


def test_every_event_is_stored_once_in_order_as_rasas_store_does(
    tmp_path: Path,
) -> None:
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    store, reference = cached(ours), rasas(theirs)
    for message in conversation():
        run(say(store, message))
        run(say(reference, message))
        assert without_time(rows(ours)) == without_time(rows(theirs))
        assert without_time(rows(ours))[1:] == without_time(rows(theirs))[1:]
        ours_now, theirs_now = run(store.retrieve("v")), run(reference.retrieve("v"))
        assert len(ours_now.events) == len(theirs_now.events)
        assert ours_now.current_slot_values() == theirs_now.current_slot_values()
        assert ours_now.events == run(rasas(ours).retrieve("v")).events
    assert len(rows(ours)) == 1 + 3 + 5 + 5 + 8 + 5


def test_a_tracker_saved_twice_adds_nothing(tmp_path: Path) -> None:
    store = cached(tmp_path / "c.db")
    run(say(store, session_start() + turn("hi")))
    tracker = run(say(store, turn("and thermage?", "thermage")))
    run(store.save(tracker))
    run(store.save(tracker))

    assert len(rows(tmp_path / "c.db")) == 1 + 3 + 5 + 5


def test_another_process_writing_invalidates_the_cache(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first, second = cached(db), cached(db)
    run(say(first, session_start() + turn("does it hurt?")))
    run(say(second, turn("how long?")))  # the other server answers the next one
    run(say(first, turn("and the price?")))

    texts = [r[4] for r in rows(db) if r[0] == "user"]
    assert [json.loads(t)["text"] for t in texts] == [
        "does it hurt?",
        "how long?",
        "and the price?",
    ]
    assert dump(run(first.retrieve("v"))) == dump(run(rasas(db).retrieve("v")))
    assert dump(run(second.retrieve("v"))) == dump(run(rasas(db).retrieve("v")))
    assert len(rows(db)) == 1 + 3 + 5 * 3


def test_a_restarted_server_keeps_the_conversation(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    before = run(say(cached(db), session_start() + turn("does it hurt?")))
    after = run(cached(db).retrieve("v"))

    assert after is not None
    assert after.get_slot("treatment") == "microneedling"
    assert dump(after) == dump(before)


def test_an_erased_conversation_is_gone_for_the_cache_too(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store = cached(db)
    run(say(store, session_start() + turn("does it hurt?")))
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM events WHERE sender_id = 'v'")

    assert run(store.retrieve("v")) is None
    run(say(store, session_start() + turn("new chat")))
    assert dump(run(store.retrieve("v"))) == dump(run(rasas(db).retrieve("v")))


def test_a_conversation_erased_while_a_message_is_answered_stays_erased(
    tmp_path: Path,
) -> None:
    # the staff console erases it between the message's read and its save
    db = tmp_path / "c.db"
    store = cached(db)
    run(say(store, session_start() + turn("I had a rash after my treatment")))
    tracker = run(store.retrieve("v"))
    assert tracker is not None
    console = sa.create_engine(f"sqlite:///{db}")
    erased = delete_conversation(console, "v")  # the console's own erasure
    for event in turn("and now?"):
        tracker.update(event)
    run(store.save(tracker))

    assert erased == len(session_start()) + len(turn("x")) + 1  # and the first listen
    stored = [json.loads(r[4]).get("text") for r in rows(db) if r[0] == "user"]
    assert stored == ["and now?"]
    assert dump(run(store.retrieve("v"))) == dump(run(rasas(db).retrieve("v")))


def test_rows_written_by_rasas_own_store_are_read(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store = cached(db)
    run(say(store, session_start() + turn("does it hurt?")))
    run(say(rasas(db), turn("how long?")))
    run(say(store, turn("thanks")))

    assert len(rows(db)) == 1 + 3 + 5 * 3
    assert store.count_events("v") == len(rows(db))
    assert dump(run(store.retrieve("v"))) == dump(run(rasas(db).retrieve("v")))


def test_a_message_reads_only_one_stamp_while_the_cache_holds(
    tmp_path: Path,
) -> None:
    store = cached(tmp_path / "c.db")
    run(say(store, session_start() + turn("does it hurt?")))
    run_ones = statements(store)
    run(say(store, turn("and the price?")))
    run(say(store, turn("thanks")))

    assert kinds(run_ones) == ["stamp", "insert"] * 2
    assert dump(run(store.retrieve("v"))) == dump(
        run(rasas(tmp_path / "c.db").retrieve("v"))
    )


@pytest.mark.parametrize("read_first", [False, True])
def test_a_save_of_a_tracker_its_retrieve_did_not_return_reads_the_stamp(
    tmp_path: Path, read_first: bool
) -> None:
    # only the tracker the confirming retrieve returned may trust its stamp: a
    # tracker from an earlier message (or one built from a request, as the HTTP
    # API's replace does, after an unlocked read) reads it, and the rows are Rasa's
    def scenario(db: Path, store: Any) -> List[str]:
        tracker = run(say(store, session_start() + turn("does it hurt?")))
        if read_first:
            run(store.retrieve("v"))
        run(say(cached(db), turn("how long?")))  # another server, meanwhile
        for event in turn("and the price?"):
            tracker.update(event)
        run_ones = statements(store) if isinstance(store, CachedSQLTrackerStore) else []
        run(store.save(tracker))
        return run_ones

    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    run_ones = scenario(ours, cached(ours))
    scenario(theirs, rasas(theirs))

    assert kinds(run_ones) == ["stamp", "select", "insert"]  # Rasa's count
    assert without_time(rows(ours))[1:] == without_time(rows(theirs))[1:]


def test_the_count_last_seen_needs_no_query_and_the_exact_one_sees_an_erasure(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.db"
    store = cached(db)
    run(say(store, session_start() + turn("does it hurt?")))
    run_ones = statements(store)

    stored = len(rows(db))
    assert store.count_events("v", seen=True) == stored
    assert run_ones == []
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM events WHERE sender_id = 'v'")
    assert store.count_events("v", seen=True) == stored  # what it saw
    assert store.count_events("v") == 0
    assert store.count_events("never-seen", seen=True) == 0


def test_a_stamp_expected_after_a_save_needs_the_count_and_a_newer_id() -> None:
    saved = Session((9, None, 5.0), None, ids_above=4)

    assert saved.matches((9, 7, 5.0))
    assert not saved.matches((10, 7, 5.0))  # another writer's row too
    assert not saved.matches((9, 4, 5.0))  # older rows only (deleted and written)
    assert not saved.matches((9, 7, 6.0))
    assert Session((9, 7, 5.0), None).matches((9, 7, 5.0))
    assert not Session((9, 7, 5.0), None).matches((9, 8, 5.0))


def test_the_cache_stays_within_its_bounds() -> None:
    cache = SessionCache(max_conversations=2, max_bytes=10)
    for sender in "abc":
        cache.put(sender, Session((1, 1, 1.0), None, [(1.0, "xx")]))
    assert len(cache) == 2 and cache.get("a") is None
    cache.put("big", Session((1, 1, 1.0), None, [(1.0, "x" * 11)]))
    assert cache.get("big") is None


def test_a_new_session_keeps_only_its_own_events() -> None:
    old = Session((3, 3, 3.0), 1.0, [(1.0, "start"), (2.0, "a"), (3.0, "b")])
    new: List[Dict[str, Any]] = [
        {"type": "action", "ts": 4.0},
        {"type": "session_started", "ts": 5.0},
        {"type": "action", "ts": 6.0},
    ]
    after = session_after(old, [(e["type"], e["ts"], str(e["ts"])) for e in new])

    assert after is not None
    assert after.start == 5.0
    assert [data for _, data in after.rows] == ["5.0", "6.0"]


@pytest.mark.parametrize("sender", ["v", "web-üñí", "x" * 200])
def test_any_sender_id(tmp_path: Path, sender: str) -> None:
    store = cached(tmp_path / "c.db")
    run(say(store, session_start() + turn("hi"), sender))

    assert len(rows(tmp_path / "c.db", sender)) == 9
    assert run(store.retrieve(sender)).sender_id == sender


def test_the_store_benchmark_prints_both_stores(capsys: Any) -> None:
    from benchmarks.tracker_store import main

    main(["--messages", "48", "--rounds", "1"])
    lines = capsys.readouterr().out.splitlines()
    figures = {line.split()[1]: line.split()[2:] for line in lines[2:]}

    assert list(figures) == [
        "rasa.core.tracker_store:SQLTrackerStore",
        "stores.sql:CachedSQLTrackerStore",
    ]
    # statements a message: Rasa's counts and reads the whole conversation
    assert float(figures["stores.sql:CachedSQLTrackerStore"][1]) < float(
        figures["rasa.core.tracker_store:SQLTrackerStore"][1]
    )


def test_the_store_benchmark_serves_visitors_at_once(capsys: Any) -> None:
    from benchmarks.tracker_store import main

    main(["--messages", "48", "--rounds", "1", "--visitors", "4", "--work-ms", "1"])
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].endswith("4 at once, 1.0 ms of other work a message")
    rows = [line.split() for line in lines[2:]]
    assert [row[1] for row in rows] == [
        "rasa.core.tracker_store:SQLTrackerStore",
        "stores.sql:CachedSQLTrackerStore",
    ]
    # every message did its millisecond of other work: CPU a message above it
    assert all(float(row[5]) >= 1.0 for row in rows)
    with pytest.raises(SystemExit):
        main(["--messages", "48", "--visitors", "5"])
