"""The atomic Redis lock store (stores/redis_lock.py) on a real Redis server.

Several store instances on one throwaway Redis stand for several Rasa servers:
one message of a conversation at a time across all of them, each ticket issued
once, and locks that Rasa's own store reads and writes alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from scripts.production.layout import free_port
from stores.redis_lock import AtomicRedisLockStore

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(
    not Path(REDIS_SERVER).exists(), reason="Redis is not installed on this machine"
)


@contextlib.contextmanager
def running_redis() -> Iterator[int]:
    """A Redis server on a free loopback port, nothing kept on disk; its port."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="medspa-redis-"))
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with running_redis() as found:
        yield found


def ours(port: int) -> AtomicRedisLockStore:
    # as Rasa builds a custom lock store from the endpoints file
    return AtomicRedisLockStore(
        endpoint_config=EndpointConfig(url="127.0.0.1", port=port, db=0)
    )


def rasas(port: int) -> RedisLockStore:
    return RedisLockStore(host="127.0.0.1", port=port, db=0)


def test_tickets_are_issued_in_order_and_the_lock_goes_with_the_last(
    port: int,
) -> None:
    store, reference = ours(port), rasas(port)

    assert [store.issue_ticket("c1", 30) for _ in range(3)] == [0, 1, 2]
    lock = reference.get_lock("c1")  # Rasa reads the lock it stores
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1, 2]
    assert lock.now_serving == 0 and lock.is_locked(1)
    assert reference.issue_ticket("c1", 30) == 3  # and writes on it
    store.cleanup("c1", 0)
    assert reference.get_lock("c1").now_serving == 1  # type: ignore[union-attr]
    for number in (2, 1, 3):
        store.cleanup("c1", number)
    assert reference.get_lock("c1") is None
    assert store.issue_ticket("c1", 30) == 0


def test_a_message_behind_one_whose_server_died_gets_its_turn(port: int) -> None:
    store, dead = ours(port), ours(port)
    dead.issue_ticket("c2", 1.5)  # its server was killed while answering

    async def wait() -> float:
        started = time.monotonic()
        async with store.lock("c2", 1.5, wait_time_in_seconds=0.5):
            return time.monotonic() - started

    # Rasa's waiting ticket would expire with the dead one: it waited forever
    assert asyncio.run(asyncio.wait_for(wait(), 10)) >= 1.0
    assert rasas(port).get_lock("c2") is None
    store.issue_ticket("c2", -1)  # expired already
    assert store.issue_ticket("c2", 30) == 0


def test_tickets_issued_at_once_by_many_servers_are_all_different(port: int) -> None:
    stores = [ours(port) for _ in range(8)]

    def issue(store: AtomicRedisLockStore) -> List[int]:
        return [store.issue_ticket("c3", 60) for _ in range(25)]

    with ThreadPoolExecutor(len(stores)) as pool:
        issued = [n for found in pool.map(issue, stores) for n in found]

    assert sorted(issued) == list(range(8 * 25))


def test_one_message_of_a_conversation_at_a_time_across_servers(port: int) -> None:
    holders: List[int] = []
    done: List[int] = []
    guard = threading.Lock()

    async def messages(store: AtomicRedisLockStore, server: int) -> None:
        for _ in range(10):
            async with store.lock("c4", 60, wait_time_in_seconds=0.005):
                with guard:
                    holders.append(server)
                    assert len(holders) == 1, holders  # nobody else inside
                await asyncio.sleep(0.002)
                with guard:
                    holders.remove(server)
                    done.append(server)

    def server(number: int) -> None:
        asyncio.run(messages(ours(port), number))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(server, range(4)))

    assert sorted(done) == sorted(list(range(4)) * 10)
    assert rasas(port).get_lock("c4") is None


def test_a_message_alone_costs_two_round_trips(port: int) -> None:
    # its ticket says it is its turn already, then its end: two scripts run
    store, client = ours(port), redis.Redis(port=port)

    async def message() -> None:
        async with store.lock("c5", 60):
            pass

    asyncio.run(message())  # redis-py loads the scripts on their first use
    client.config_resetstat()
    asyncio.run(message())
    stats = client.info("commandstats")  # the scripts' own commands count too

    assert [stats.get(f"cmdstat_{name}", {}).get("calls", 0)
            for name in ("evalsha", "eval", "script|load")] == [2, 0, 0]  # fmt: skip
    assert rasas(port).get_lock("c5") is None
