"""Start, watch and stop the production profile under supervisord."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping

from medspa.settings import action_secret, auth_token
from scripts.production.layout import (
    PROJECT_DIR,
    PYTHON,
    SUPERVISORCTL,
    Layout,
    Server,
)
from scripts.production.setup import (
    init_database,
    passwords,
    program_environment,
    render,
)

READY_TIMEOUT = float(os.environ.get("MEDSPA_TEST_STARTUP_TIMEOUT", "300"))

UP = "Rasa server is up and running."
"""What Rasa logs in each Sanic worker once its model is loaded."""


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass
class Profile:
    """A running production profile."""

    layout: Layout
    config: Path
    supervisord: subprocess.Popen
    token: str
    environment: Dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        """The balancer's address."""
        return self.layout.url

    def ctl(self, *args: str) -> str:
        """Run ``supervisorctl`` on the profile's supervisord; its output."""
        done = subprocess.run(
            [str(SUPERVISORCTL), "-c", str(self.config), *args],
            capture_output=True,
            text=True,
        )
        return done.stdout

    def pid(self, program: str) -> int:
        """The process id of a program (0 when it is not running)."""
        text = self.ctl("pid", program).strip()
        return int(text) if text.isdigit() else 0

    def pids(self) -> List[int]:
        """Every program's process id (supervisord's children)."""
        return [int(p) for p in self.ctl("pid", "all").split() if p.isdigit()]

    def balancer_states(self) -> Dict[str, str]:
        """``backend/server`` -> ``UP``, ``DOWN``… as HAProxy sees them now."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.layout.run_dir / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            raw = b"".join(iter(lambda: sock.recv(65536), b""))
        rows = csv.DictReader(io.StringIO(raw.decode().lstrip("# ")))
        return {
            f"{row['pxname']}/{row['svname']}": row["status"]
            for row in rows
            if row.get("svname") not in ("FRONTEND", "BACKEND")
        }

    def server_ready(self, server: Server) -> bool:
        """Whether one Rasa server has loaded its model, in every worker.

        Any worker answers ``/status``; a worker still loading its model does
        not take connections, so the others would take every message meanwhile.
        Each worker logs Rasa's "up and running" once it has the model.
        """
        url = f"http://127.0.0.1:{server.port}/status?token={self.token}"
        log = self.layout.run_dir / "log" / f"{server.name}.log"
        try:
            if _get(url) != 200:
                return False
            return log.read_text(errors="replace").count(UP) >= self.layout.workers
        except OSError:
            return False

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until every Rasa server has its model and the balancer answers.

        Raises:
            RuntimeError: not ready in time (the logs' tails are in the message).

        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.supervisord.poll() is not None:
                break
            try:
                if all(map(self.server_ready, self.layout.rasa_servers)) and all(
                    state == "UP" for state in self.balancer_states().values()
                ):
                    return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"the production profile is not ready\n{self.log_tails()}")

    def log_tails(self, lines: int = 30) -> str:
        """The last lines of every program's log."""
        parts = []
        for log in sorted((self.layout.run_dir / "log").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop supervisord and everything it runs."""
        if self.supervisord.poll() is None:
            self.supervisord.send_signal(signal.SIGTERM)
            try:
                self.supervisord.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisord.pid, signal.SIGKILL)
                self.supervisord.wait()


def start(layout: Layout, var_dir: Path, extra_env: Mapping[str, str] = ()) -> Profile:
    """Prepare the folders, database and configuration, then start supervisord.

    Args:
        layout: ports, folders and sizes.
        var_dir: the project's owner-only folder (API token, action secret).
        extra_env: more environment for every program.

    """
    for folder in (var_dir, layout.run_dir):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o711)  # traversable (PostgreSQL's data is below), not readable
    (layout.run_dir / "log").mkdir(mode=0o700, exist_ok=True)
    secrets = passwords(layout)
    environ = {**os.environ, "MEDSPA_VAR_DIR": str(var_dir)}
    secrets["RASA_AUTH_TOKEN"] = auth_token(environ)
    secrets["MEDSPA_ACTION_SECRET"] = action_secret(environ)
    init_database(layout, secrets["MEDSPA_PG_PASSWORD"])
    config = render(layout, secrets["MEDSPA_REDIS_PASSWORD"])
    environment = {
        **os.environ,
        **program_environment(layout, var_dir, secrets),
        **dict(extra_env),
    }
    supervisord = subprocess.Popen(
        [str(PYTHON.parent / "supervisord"), "-c", str(config)],
        cwd=PROJECT_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Profile(layout, config, supervisord, secrets["RASA_AUTH_TOKEN"], environment)


@contextlib.contextmanager
def running_profile(
    var_dir: Path,
    servers: int = 2,
    workers: int = 1,
    actions: int = 2,
    extra_env: Mapping[str, str] = (),
) -> Iterator[Profile]:
    """The profile on free loopback ports, data under ``var_dir``, for a block."""
    layout = Layout.create(var_dir / "production", servers, workers, actions)
    profile = start(layout, var_dir, extra_env)
    try:
        profile.wait_ready()
        yield profile
    finally:
        profile.stop()
