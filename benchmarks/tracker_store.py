"""Tracker store cost per message, in process: Rasa's SQL store against the project's.

Drives each store the way the Rasa server does for a visitor's message (retrieve
the conversation, add a turn's events, save it) over a fresh SQLite file: the
conversations are served round-robin, six messages each, the cache warm as it
is under load. Prints, per round and store, the wall time per message and the
SQL statements per message; rounds alternate the stores so drift hits both.
``--store`` takes any ``module:Class`` (e.g. a copy of an earlier
``stores/sql.py``) to compare two versions; ``--url`` runs on another database
(e.g. the production profile's PostgreSQL) instead of SQLite.

``--visitors N --work-ms W`` serves the messages as N visitors at once, each
message holding the event loop for W ms of CPU between its read and its save (as
the NLU and the policies do in the Rasa server): msg/s then shows how much of the
database's waiting the store leaves to the event loop (on PostgreSQL, ours waits
on threads of its own; see ``stores/sql.py``). ``--delay-ms D`` puts the ``--url``
database one network hop away: the stores reach it through a local proxy that
holds every chunk D ms each way (a managed PostgreSQL on another machine).

usage: python -m benchmarks.tracker_store [--messages 1500] [--rounds 3]
       [--store rasa.core.tracker_store:SQLTrackerStore ...] [--url URL]
       [--visitors 1] [--work-ms 0] [--delay-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import multiprocessing
import socket
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from scripts.production import free_port
from tests.support.events import session_start, turn

PROJECT_DIR = Path(__file__).resolve().parents[1]
STORES = (
    "rasa.core.tracker_store:SQLTrackerStore",
    "stores.sql:CachedSQLTrackerStore",
)
MESSAGES_PER_CONVERSATION = 6
CONVERSATIONS_AT_ONCE = 32


def load_store(spec: str, domain: Domain, url: Optional[str], db: Path) -> Any:
    """An instance of the store class ``module:Class`` on ``url`` or ``db``."""
    module, name = spec.split(":")
    store_class = getattr(importlib.import_module(module), name)
    if url is None:
        return store_class(domain=domain, dialect="sqlite", db=str(db))
    parsed = sa.engine.make_url(url)
    return store_class(
        domain=domain,
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
    )


def _delaying_proxy(port: int, host: str, target: int, seconds: float) -> None:
    """Serve ``127.0.0.1:port`` as ``host:target``, each chunk held ``seconds``."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(seconds)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def connect(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        far_reader, far_writer = await asyncio.open_connection(host, target)
        await asyncio.gather(pipe(reader, far_writer), pipe(far_reader, writer))

    async def serve() -> None:
        server = await asyncio.start_server(connect, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


@contextlib.contextmanager
def delayed(url: str, milliseconds: float) -> Iterator[str]:
    """``url``'s database behind a proxy that delays it ``milliseconds`` each way."""
    parsed = sa.engine.make_url(url)
    port = free_port()
    proxy = multiprocessing.Process(
        target=_delaying_proxy,
        args=(port, parsed.host, parsed.port or 5432, milliseconds / 1000),
        daemon=True,
    )
    proxy.start()
    try:
        for _ in range(100):  # until it listens
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1),
            ):
                break
            time.sleep(0.05)
        yield parsed.set(host="127.0.0.1", port=port).render_as_string(
            hide_password=False
        )
    finally:
        proxy.terminate()
        proxy.join()


def count_statements(store: Any) -> Dict[str, int]:
    """A live count of the SQL statements the store's engine runs."""
    counter = {"statements": 0}

    def listen(*_: Any) -> None:
        counter["statements"] += 1

    sa.event.listen(store.engine, "before_cursor_execute", listen)
    return counter


def _work(milliseconds: float) -> None:
    """Hold the event loop for ``milliseconds`` of CPU."""
    end = time.thread_time() + milliseconds / 1000
    while time.thread_time() < end:
        pass


async def drive(
    store: Any,
    domain: Domain,
    messages: int,
    prefix: str,
    visitors: int = 1,
    work_ms: float = 0.0,
) -> float:
    """Serve ``messages`` messages; return the wall seconds they took.

    With ``visitors`` above 1, that many visitors send them at once (message
    ``index`` goes to visitor ``index % visitors``, in order).
    """

    async def visitor(first: int) -> None:
        for index in range(first, messages, visitors):
            conversation = index % CONVERSATIONS_AT_ONCE
            rank = index // CONVERSATIONS_AT_ONCE
            sender = f"{prefix}-{conversation}-{rank // MESSAGES_PER_CONVERSATION}"
            tracker = await store.retrieve(sender)
            if tracker is None:
                tracker = DialogueStateTracker.from_events(
                    sender, session_start(), domain.slots
                )
            for event in turn(f"message {index}"):
                tracker.update(event)
            _work(work_ms)
            await store.save(tracker)

    started = time.perf_counter()
    await asyncio.gather(*(visitor(first) for first in range(visitors)))
    return time.perf_counter() - started


async def run(
    stores: Sequence[str],
    messages: int,
    rounds: int,
    url: Optional[str],
    visitors: int = 1,
    work_ms: float = 0.0,
) -> None:
    """Run every store ``rounds`` times, alternating, and print each round."""
    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    print(
        f"{messages} messages a round, {CONVERSATIONS_AT_ONCE} conversations, "
        f"{visitors} at once, {work_ms} ms of other work a message"
    )
    print(
        f"{'round':>5}  {'store':<45} {'ms/msg':>7} {'SQL/msg':>8} "
        f"{'msg/s':>7} {'CPU ms/msg':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(1, rounds + 1):
            for number, spec in enumerate(stores):
                db = Path(tmp) / f"r{round_}-{number}.db"
                store = load_store(spec, domain, url, db)
                counter = count_statements(store)
                prefix = f"bench-{time.time_ns()}-{number}"
                cpu = time.process_time()
                seconds = await drive(
                    store, domain, messages, prefix, visitors, work_ms
                )
                cpu = time.process_time() - cpu
                print(
                    f"{round_:>5}  {spec:<45} {seconds * 1000 / messages:7.2f} "
                    f"{counter['statements'] / messages:8.2f} "
                    f"{messages / seconds:7.1f} {cpu * 1000 / messages:10.2f}"
                )
                store.engine.dispose()


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", action="append", help="module:Class (repeat)")
    parser.add_argument("--url", help="a database URL instead of SQLite")
    parser.add_argument("--visitors", type=int, default=1, help="messages at once")
    parser.add_argument(
        "--work-ms", type=float, default=0.0, help="other CPU work a message"
    )
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="network delay each way (--url)"
    )
    args = parser.parse_args(argv)
    if args.visitors < 1 or CONVERSATIONS_AT_ONCE % args.visitors:
        # each conversation stays with one visitor, as the lock keeps it in Rasa
        parser.error(f"--visitors must divide {CONVERSATIONS_AT_ONCE}")
    warnings.simplefilter("ignore")  # Rasa's and SQLAlchemy's deprecations
    if args.delay_ms and not args.url:
        parser.error("--delay-ms needs --url (SQLite is a file, not a server)")
    with contextlib.ExitStack() as stack:
        url = args.url
        if args.delay_ms:
            url = stack.enter_context(delayed(url, args.delay_ms))
            print(f"the database {args.delay_ms} ms away each way")
        asyncio.run(
            run(
                args.store or STORES,
                args.messages,
                args.rounds,
                url,
                args.visitors,
                args.work_ms,
            )
        )


if __name__ == "__main__":
    main()
