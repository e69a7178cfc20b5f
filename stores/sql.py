"""Rasa's SQL tracker store, with a cheaper path for every message.

Rasa's :class:`~rasa.core.tracker_store.SQLTrackerStore` builds its ORM
queries anew for every call, reads and replays the whole conversation for
every message, and before each save counts the stored events again to find
the new ones (py-spy, ``make profile``: a third of the Rasa server's time).
:class:`CachedSQLTrackerStore` keeps the same table, the same rows and the
same semantics, and

- checks a conversation with one precompiled aggregate (its events' count,
  largest id and latest timestamp: its *stamp*) instead of reading it;
- keeps, per process, the stored rows of the latest session of recently used
  conversations (:class:`SessionCache`); while the stamp in the database is
  the one this process last saw, the tracker is rebuilt from those rows
  exactly as Rasa rebuilds it from the database, and a save inserts the new
  events without counting the stored ones, then expects the stamp they make
  (all but their ids, the database's to choose), which the next message's
  check confirms: one stamp query a message. The save of the very tracker
  that check returned (Rasa's processor saves the tracker it read, under the
  conversation's lock, which keeps every other server from writing in
  between) trusts that stamp; any other save reads it again;
- reads from the database whenever the stamp differs: another Rasa server
  (the production profile's servers share PostgreSQL), the staff console's
  erasure or anything else wrote or deleted events;
- keeps a conversation erased while one of its messages was being answered
  erased: that message's save stores only the events after what it had read
  (Rasa's store would store the whole session again);
- on PostgreSQL, reads and saves outside a transaction: a save's one
  multi-row ``INSERT`` is atomic by itself (a larger save takes a transaction),
  and a read needs none;
- inserts the new events with one precompiled multi-row statement, and keeps
  its SQLite connection open (one per thread) instead of opening one per use,
  the database in write-ahead-log mode (one synced write per commit);
- on PostgreSQL, waits for the database on a thread of its own
  (:data:`DATABASE_THREADS`): psycopg2 blocks while PostgreSQL answers (a save
  waits for its commit to reach the disk), and on the event loop that wait
  stopped the Sanic worker from serving any other visitor meanwhile. Only the
  database's part runs there; the cache is read and changed on the event loop.

Which events are stored, in which order, and what :meth:`retrieve` returns
are Rasa's: the session's events are those at or after the latest
``session_started`` (by timestamp), the new events of a save are the
tracker's events after as many as the database holds of that session.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
import ujson
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from scripts.event_classes import event_class

logger = logging.getLogger(__name__)

Stamp = Tuple[int, Optional[int], Optional[float]]
"""(events of the conversation, their largest id, their latest timestamp)."""

MAX_CACHED_CONVERSATIONS = 512
MAX_CACHED_BYTES = 32 * 1024 * 1024
"""The cache's bounds: conversations, and the size of their stored rows."""

SESSION_STARTED = SessionStarted.type_name

DATABASE_THREADS = 4
"""Threads a process waits for PostgreSQL on (SQLite is used on the event loop:
one writer at a time, its connection kept per thread)."""


@dataclass
class Session:
    """The stored rows of a conversation's latest session, as one process saw them."""

    stamp: Stamp
    start: Optional[float]
    """The latest ``session_started`` timestamp (None: no session started yet)."""
    rows: List[Tuple[Optional[float], str]] = field(default_factory=list)
    """(timestamp, JSON of the event) of the session's events, in id order."""
    ids_above: Optional[int] = None
    """Set after this process's own save: the stamp's largest id is not known
    yet, only that it is above this one (the largest before the save)."""
    reader: Optional[Callable[[], Any]] = None
    """A weak reference to the tracker the retrieve that read this stamp from
    the database returned; a save of that very tracker needs no stamp query."""

    def matches(self, stamp: Stamp) -> bool:
        """Whether the database's ``stamp`` is the one this session expects."""
        if self.ids_above is None:
            return self.stamp == stamp
        count, last_id, last_time = stamp
        return (
            (count, last_time) == (self.stamp[0], self.stamp[2])
            and last_id is not None
            and last_id > self.ids_above
        )

    @property
    def size(self) -> int:
        """Characters of JSON held."""
        return sum(len(data) for _, data in self.rows)


class SessionCache:
    """The sessions of the most recently used conversations, bounded."""

    def __init__(
        self,
        max_conversations: int = MAX_CACHED_CONVERSATIONS,
        max_bytes: int = MAX_CACHED_BYTES,
    ) -> None:
        self.max_conversations = max_conversations
        self.max_bytes = max_bytes
        self._sessions: OrderedDict[str, Tuple[Session, int]] = OrderedDict()
        self._bytes = 0

    def get(self, sender: str) -> Optional[Session]:
        """The cached session of ``sender``, now the most recently used."""
        found = self._sessions.get(sender)
        if found is None:
            return None
        self._sessions.move_to_end(sender)
        return found[0]

    def pop(self, sender: str) -> Optional[Session]:
        """Forget ``sender``'s session; the session it had."""
        found = self._sessions.pop(sender, None)
        if found is None:
            return None
        self._bytes -= found[1]
        return found[0]

    def put(self, sender: str, session: Session) -> None:
        """Remember ``sender``'s session, forgetting the least recently used."""
        self.pop(sender)
        size = session.size
        if size > self.max_bytes:
            return
        self._sessions[sender] = (session, size)
        self._bytes += size
        while (
            len(self._sessions) > self.max_conversations or self._bytes > self.max_bytes
        ):
            _, (_, dropped) = self._sessions.popitem(last=False)
            self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._sessions)


def session_after(
    session: Session, new: Sequence[Tuple[str, Optional[float], str]]
) -> Optional[Session]:
    """The session as the database holds it once ``new`` events are appended.

    Args:
        session: the stored session (its stamp is updated by the caller).
        new: (type name, timestamp, JSON) of the appended events, in order.

    Returns:
        The rows Rasa's query would return afterwards; None when an event has
        no timestamp (left to the database).

    """
    if any(timestamp is None for _, timestamp, _ in new):
        return None
    start = session.start
    for kind, timestamp, _ in new:
        if kind == SESSION_STARTED and timestamp is not None:
            start = timestamp if start is None else max(start, timestamp)
    rows = session.rows + [(timestamp, data) for _, timestamp, data in new]
    if start is not None:
        # as Rasa's query: the events at or after the latest start (every
        # older stored event is earlier than the previous start, so than this)
        rows = [(ts, data) for ts, data in rows if ts is not None and ts >= start]
    return Session(session.stamp, start, rows)


def deserialise_events(rows: Sequence[str]) -> List[Event]:
    """Rasa's events from their stored JSON, as ``events.deserialise_events``.

    Rasa finds each event's class by walking every subclass of ``Event``
    (a third of a tracker's rebuilding); here it is looked up in the table of
    :func:`scripts.event_classes.event_class`, and anything else is left to Rasa.
    """
    events = []
    for data in rows:
        parameters = ujson.loads(data)  # as json.loads, in half the time
        if "event" not in parameters:
            continue
        found = event_class(parameters["event"])
        event = (
            found._from_parameters(parameters)
            if found is not None
            else Event.from_parameters(parameters)
        )
        if event:
            events.append(event)
    return events


class CachedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with a validated per-process session cache.

    Configured like Rasa's (``dialect``, ``db``, ``url``, ``port``,
    ``username``, ``password``) with ``type: stores.sql.CachedSQLTrackerStore``
    in the endpoints file.
    """

    engine: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sqlite = self.engine.dialect.name == "sqlite"
        url = self.engine.url
        self.engine.dispose()
        if self._sqlite:
            # SQLAlchemy opens a new SQLite connection for every use (NullPool):
            # keep one per thread instead
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            with self.engine.connect() as connection:
                # a commit writes the log once instead of the journal and the
                # database (still synced: nothing committed is lost); readers
                # (the console) no longer wait for writers. Kept by the file.
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        else:
            # PostgreSQL's connections stay outside transactions (autocommit):
            # in one, a read costs a BEGIN and a ROLLBACK round trip besides the
            # query, a save a BEGIN and a COMMIT, and READ COMMITTED gives each
            # statement its own snapshot either way. A save's one multi-row
            # INSERT is atomic by itself (:meth:`_append`). Rasa's own reads (the
            # HTTP API's) share the pool, so one lost connection (the database
            # restarted) renews every connection kept.
            self.engine = sa.create_engine(
                url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(url)
            )
        self.sessionmaker = sessionmaker(bind=self.engine)
        table = self.SQLEvent.__table__
        events = table.c
        sender = sa.bindparam("sender")
        self._stamp_query = sa.select(
            sa.func.count(), sa.func.max(events.id), sa.func.max(events.timestamp)
        ).where(events.sender_id == sender)
        # Rasa's query, as one statement (one snapshot on PostgreSQL too): the
        # events at or after the latest session start, all of them if none
        start = (
            sa.select(sa.func.max(events.timestamp))
            .where(events.sender_id == sender, events.type_name == SESSION_STARTED)
            .scalar_subquery()
        )
        in_session = sa.and_(
            events.sender_id == sender,
            sa.or_(events.timestamp >= start, start.is_(None)),
        )
        self._session_rows = (
            sa.select(events.type_name, events.timestamp, events.data)
            .where(in_session)
            .order_by(events.id)
        )
        self._session_count = sa.select(sa.func.count()).where(in_session)
        self._insert = table.insert()
        self.cache = SessionCache()
        self._executor: Optional[ThreadPoolExecutor] = None
        self._executor_pid = 0

    async def _blocking(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)``: on a database thread, or at once on SQLite."""
        if self._sqlite:
            return function(*args)
        if self._executor is None or self._executor_pid != os.getpid():
            # made in the process that uses it: a forked Sanic worker has no
            # threads of its parent's
            self._executor = ThreadPoolExecutor(
                DATABASE_THREADS, thread_name_prefix="tracker-store"
            )
            self._executor_pid = os.getpid()
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(function, *args)
        )

    # -- reading --------------------------------------------------------------------

    def _stamp(self, connection: Any, sender_id: str) -> Stamp:
        count, last_id, last_time = connection.execute(
            self._stamp_query, {"sender": sender_id}
        ).one()
        return int(count), last_id, last_time

    def count_events(self, sender_id: str, seen: bool = False) -> int:
        """How many events the conversation keeps (every session).

        Args:
            sender_id: the conversation.
            seen: the count this process saw last, when it has one, without a
                query: exact after its own reads and saves, but behind by what
                another server wrote since, and ahead after an erasure. A
                bound checked with it (the channels' ``MEDSPA_MAX_EVENTS``) is
                overshot by one message per server at most; a count found at
                the bound is to be confirmed with ``seen=False``.

        """
        known = self.cache.get(sender_id) if seen else None
        if known is not None:
            return known.stamp[0]
        return self._stamp_now(sender_id)[0]

    def _stamp_now(self, sender_id: str) -> Stamp:
        with self.engine.connect() as connection:
            return self._stamp(connection, sender_id)

    def _session_now(self, sender_id: str, stamp: Stamp) -> Session:
        with self.engine.connect() as connection:
            return self._read_session(connection, sender_id, stamp)

    def _read_session(self, connection: Any, sender_id: str, stamp: Stamp) -> Session:
        rows = connection.execute(self._session_rows, {"sender": sender_id}).all()
        # the latest start is among the rows it selects (at or after itself)
        starts = [
            ts for kind, ts, _ in rows if kind == SESSION_STARTED and ts is not None
        ]
        start = max(starts) if starts else None
        return Session(stamp, start, [(ts, data) for _, ts, data in rows])

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's latest session (None: no events).

        Args:
            sender_id: the conversation.

        """
        # the stamp first: rows written meanwhile make the next check fail
        stamp = await self._blocking(self._stamp_now, sender_id)
        session = self.cache.get(sender_id)
        if session is None or not session.matches(stamp):
            self.cache.pop(sender_id)
            session = await self._blocking(self._session_now, sender_id, stamp)
            self.cache.put(sender_id, session)
        else:
            session.stamp, session.ids_above = stamp, None
        session.reader = None  # an earlier retrieve's tracker trusts nothing
        if self.domain and len(session.rows) > 0:
            # Rasa's DialogueStateTracker.from_dict, with the events' classes known
            events = deserialise_events([data for _, data in session.rows])
            tracker = DialogueStateTracker.from_events(
                sender_id, events, self.domain.slots
            )
            session.reader = weakref.ref(tracker)
            return tracker
        return None

    # -- writing --------------------------------------------------------------------

    def _stored_count(self, connection: Any, sender_id: str) -> int:
        """Events of the latest session in the database (Rasa's count)."""
        return int(
            connection.execute(self._session_count, {"sender": sender_id}).scalar()
        )

    def _saving(self) -> Any:
        """The connection a save runs on (a context manager).

        On PostgreSQL, an autocommit one, as for reads: a save writes with one
        ``INSERT`` (:meth:`_append`), and its stamp read is a statement of its
        own under READ COMMITTED in a transaction too. On SQLite, a transaction.
        """
        return self.engine.begin() if self._sqlite else self.engine.connect()

    def _append(self, connection: Any, rows: List[Dict[str, Any]]) -> None:
        """Insert ``rows`` at once: in one statement, or else in one transaction."""
        one_statement = getattr(
            connection.dialect, "executemany_values_page_size", len(rows)
        )
        if self._sqlite or len(rows) <= one_statement:
            connection.execute(self._insert, rows)
        else:  # more rows than one multi-row INSERT takes
            with self.engine.connect() as pooled:
                # a copy sharing the connection (SQLAlchemy 1.4), reset on return
                own = pooled.execution_options(isolation_level="READ COMMITTED")
                with own.begin():
                    own.execute(self._insert, rows)

    @staticmethod
    def _row(sender_id: str, event: Any) -> Dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {})
            .get("intent", {})
            .get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            # ujson: the same JSON as Rasa's json.dumps but for the spaces, in
            # half the time (all of a message's events pass here)
            "data": ujson.dumps(data, escape_forward_slashes=False),
        }

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's events that the database does not hold yet.

        Args:
            tracker: the conversation's tracker.

        """
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        # forgotten until the commit succeeds: a failed save leaves nothing stale
        known = self.cache.pop(sender_id)
        after = await self._blocking(self._write, tracker, known)
        if after is not None:
            self.cache.put(sender_id, after)
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def _write(
        self, tracker: DialogueStateTracker, known: Optional[Session]
    ) -> Optional[Session]:
        """Insert the tracker's new events; the session as stored after (None: unknown).

        Args:
            tracker: the conversation's tracker.
            known: the conversation's cached session, taken out of the cache.

        """
        sender_id = tracker.sender_id
        with self._saving() as connection:
            # the stamp read by the retrieve that returned this very tracker (the
            # message's, under the conversation's lock, which keeps other servers
            # out until this save), else the database's; a staff erasure since
            # is found by the next message's check
            if known is not None and known.reader and known.reader() is tracker:
                stamp = known.stamp
            else:
                stamp = self._stamp(connection, sender_id)
            erased = 0
            if stamp[0] == 0:
                # nothing stored: a new conversation, or one erased (by staff)
                # since this message read it; what it read then stays erased,
                # only the events after it are stored (Rasa's store would store
                # them all again)
                erased = len(known.rows) if known is not None else 0
                known = Session(stamp, None)
            elif known is not None and not known.matches(stamp):
                known = None
            stored = (
                len(known.rows) + erased
                if known is not None
                else self._stored_count(connection, sender_id)
            )
            rows = [
                self._row(sender_id, event)
                for event in itertools.islice(
                    tracker.events, stored, len(tracker.events)
                )
            ]
            if rows:
                self._append(connection, rows)
            after = None
            if known is not None:
                after = session_after(
                    known, [(r["type_name"], r["timestamp"], r["data"]) for r in rows]
                )
            if after is not None and rows:
                # the stamp these rows make, but for their ids (the database's
                # to choose): the next retrieve checks it, and any other
                # writer's rows (meanwhile or before the commit) change the count
                times = [stamp[2]] + [r["timestamp"] for r in rows]
                after.stamp = (
                    stamp[0] + len(rows),
                    None,
                    max(t for t in times if t is not None),
                )
                after.ids_above = stamp[1] or 0
            elif after is not None:
                after.stamp = stamp  # nothing written: the stamp just read
        return after
