"""One Rasa server's Sanic workers share its messages from the start.

The workers of a server accept connections on one shared socket, and the
balancer keeps its connections to a server open; a worker still loading its
model accepts none, so a profile that took messages then would leave that
worker idle for as long as the connections last. The profile is ready only
once every worker has logged that it has its model (a server answering
``/status`` is not enough: the first worker answers it).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

from benchmarks.load import processes
from tests.production.conftest import say, started_profile

VISITORS = 8
MESSAGES = 8
TEXTS = ["does microneedling hurt?", "how long does thermage last?"]


def workers(root: int) -> List[int]:
    """The Sanic workers: server processes whose parent is a server process."""
    found = processes.tree([root])
    servers = {pid for pid, command, _ in found if "rasa_production" in command}
    return [pid for pid in servers if processes.parent(pid) in servers]


def cpu(pids: List[int]) -> Dict[int, float]:
    return {pid: processes.cpu_seconds([pid]) for pid in pids}


def test_both_workers_of_a_server_take_messages() -> None:
    with started_profile(servers=1, workers=2, actions=1) as profile:
        pids = workers(profile.supervisord.pid)
        assert len(pids) == 2
        before = cpu(pids)

        def visitor(n: int) -> List[int]:
            sender = f"workers-{n}-{uuid.uuid4().hex[:8]}"
            return [
                say(profile, sender, TEXTS[m % len(TEXTS)]).status
                for m in range(MESSAGES)
            ]

        with ThreadPoolExecutor(VISITORS) as pool:
            found = pool.map(visitor, range(VISITORS))
            statuses = [status for sent in found for status in sent]
        used = {pid: cpu([pid])[pid] - before[pid] for pid in pids}

    assert statuses == [200] * VISITORS * MESSAGES
    # each worker did a fair part of the work (an idle one spends next to none)
    assert min(used.values()) > 0.2 * sum(used.values()), used
