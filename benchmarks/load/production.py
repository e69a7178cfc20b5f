"""The production profile as benchmark targets: 1 or 2 servers of 1 or 2 workers.

Each layout is started from scratch (scripts/production.py, free loopback
ports, data in a temporary folder) so that the figures show how the profile
scales from 1 to 2 Sanic workers and from 1 to 2 Rasa servers.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, ContextManager, Iterator, List, Tuple

from benchmarks.load.target import Target
from scripts.production import running_profile
from tests.support.servers import PROJECT_DIR

LAYOUTS: List[Tuple[int, int]] = [(1, 1), (1, 2), (2, 1), (2, 2)]
"""(Rasa servers, Sanic workers each); two action servers in every layout."""


def _launcher(servers: int, workers: int) -> Callable[[Path], ContextManager[Target]]:
    @contextlib.contextmanager
    def run(_: Path) -> Iterator[Target]:
        token = secrets.token_hex(16)
        # PostgreSQL's own user must reach its data: not under an 0700 folder
        with tempfile.TemporaryDirectory(prefix="medspa-bench-") as var_dir:
            with running_profile(
                Path(var_dir),
                servers=servers,
                workers=workers,
                actions=2,
                extra_env={"MEDSPA_REST_TOKEN": token},
            ) as profile:
                yield Target(
                    f"production, {servers} server(s) x {workers} worker(s)",
                    profile.url,
                    profile.token,
                    [profile.supervisord.pid],
                    {"Authorization": f"Bearer {token}"},
                    (servers, workers),
                )

    return run


def production_launchers() -> List[Callable[[Path], ContextManager[Target]]]:
    """One launcher per layout, after installing the Debian packages if missing."""
    subprocess.run([str(PROJECT_DIR / "scripts" / "install_production.sh")], check=True)
    return [_launcher(servers, workers) for servers, workers in LAYOUTS]
