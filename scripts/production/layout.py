"""Where every part of the production profile listens and keeps its files."""

from __future__ import annotations

import glob
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Set

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_DIR / "deploy" / "production"
PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
SUPERVISORCTL = PROJECT_DIR / ".venv" / "bin" / "supervisorctl"


_GIVEN: Set[int] = set()
"""The ports :func:`free_port` handed out in this process."""


def free_port() -> int:
    """A TCP port nobody listens on right now, and not handed out here before.

    The system may give the same port to two calls in a row, the first not
    listened on yet: two servers started with them would collide (the second
    one fails to bind).
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def binary(pattern: str, name: str) -> str:
    """The newest installed program matching ``pattern``, else ``name`` on PATH.

    Raises:
        SystemExit: it is not installed (scripts/install_production.sh installs it).

    """
    found = sorted(glob.glob(pattern)) or [shutil.which(name) or ""]
    if not found[-1]:
        raise SystemExit(
            f"{name} is missing: run scripts/install_production.sh (Debian packages)"
        )
    return found[-1]


@dataclass(frozen=True)
class Server:
    """One server process behind the balancer."""

    name: str
    port: int


@dataclass
class Layout:
    """Where every part of the profile listens and keeps its files."""

    run_dir: Path
    rasa_port: int
    actions_port: int
    pg_port: int
    redis_port: int
    rasa_servers: List[Server]
    action_servers: List[Server]
    workers: int = 1
    host: str = "127.0.0.1"

    @classmethod
    def create(
        cls,
        run_dir: Path,
        servers: int,
        workers: int,
        actions: int,
        ports: Optional[Mapping[str, int]] = None,
    ) -> Layout:
        """A layout; ports not given are free ports picked now.

        Args:
            run_dir: the profile's owner-only folder (configuration, data, logs).
            servers: Rasa servers.
            workers: Sanic workers of each Rasa server.
            actions: action servers.
            ports: ``rasa``, ``actions``, ``pg``, ``redis``: fixed ports; Rasa
                servers then listen from ``rasa + 101`` and action servers
                from ``actions + 101`` upwards.

        """
        fixed = dict(ports or {})

        def port(key: str, offset: int = 0) -> int:
            return fixed[key] + offset if key in fixed else free_port()

        return cls(
            run_dir=run_dir,
            rasa_port=port("rasa"),
            actions_port=port("actions"),
            pg_port=port("pg"),
            redis_port=port("redis"),
            rasa_servers=[
                Server(f"rasa-{i + 1}", port("rasa", 101 + i)) for i in range(servers)
            ],
            action_servers=[
                Server(f"actions-{i + 1}", port("actions", 101 + i))
                for i in range(actions)
            ],
            workers=workers,
        )

    @property
    def pg_data(self) -> Path:
        """PostgreSQL's data folder."""
        return self.run_dir / "pg"

    @property
    def url(self) -> str:
        """The balancer's address for visitors and the HTTP API."""
        return f"http://{self.host}:{self.rasa_port}"
