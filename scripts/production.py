r"""The production profile: PostgreSQL, Redis, HAProxy and several Rasa servers.

``make run-production`` (``python -m scripts.production``) runs, on this
machine and on loopback, everything under one supervisord:

- PostgreSQL as Rasa's tracker store (data in ``var/production/pg``);
- Redis as Rasa's lock store, so that one conversation is handled by one
  server at a time;
- N Rasa servers of M Sanic workers each, and K action servers;
- HAProxy in front of both, round robin with health checks
  (``RASA_PORT``: the REST, socket.io and Telegram channels and the HTTP API;
  ``ACTIONS_PORT``: the action servers, for the Rasa servers).

The Debian packages come from ``scripts/install_production.sh``. The
configuration files are rendered from ``deploy/production/`` into the
owner-only ``var/production/``; passwords are generated into owner-only files
there (or taken from ``MEDSPA_PG_PASSWORD``, ``MEDSPA_REDIS_PASSWORD``) and
reach the programs through their environment, never a command line.

The same module starts the profile for the tests and the load benchmark on
free ports (:func:`running_profile`).

usage: python -m scripts.production [--servers 2] [--workers 2] [--actions 2]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import io
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional

import jinja2
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # started as a script: find the packages
    sys.path.insert(0, str(PROJECT_DIR))

from medspa.answers import Wording  # noqa: E402
from medspa.fallback import fallback_reply  # noqa: E402
from medspa.settings import (  # noqa: E402
    action_secret,
    auth_token,
    env,
    get_settings,
    secret,
)

TEMPLATES = PROJECT_DIR / "deploy" / "production"
PYTHON = PROJECT_DIR / ".venv" / "bin" / "python"
SUPERVISORCTL = PROJECT_DIR / ".venv" / "bin" / "supervisorctl"
DATABASE = "medspa"
DB_USER = "medspa"
READY_TIMEOUT = float(os.environ.get("MEDSPA_TEST_STARTUP_TIMEOUT", "300"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(pattern: str, name: str) -> str:
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
                servers then listen from ``rasa + 100`` and action servers
                from ``actions + 100`` upwards.

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


def _pg_user() -> str:
    """PostgreSQL refuses to run as root: as root it runs as ``postgres``."""
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _as_pg_user(command: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", _pg_user(), "--", *command]
    return command


def _pg_bin(name: str) -> str:
    return _binary(f"/usr/lib/postgresql/*/bin/{name}", name)


def passwords(layout: Layout) -> Dict[str, str]:
    """The database's and Redis's passwords (environment, else owner-only files)."""
    return {
        "MEDSPA_PG_PASSWORD": secret(
            "MEDSPA_PG_PASSWORD", layout.run_dir / "pg_password"
        ),
        "MEDSPA_REDIS_PASSWORD": secret(
            "MEDSPA_REDIS_PASSWORD", layout.run_dir / "redis_password"
        ),
    }


def init_database(layout: Layout, password: str) -> None:
    """Create the PostgreSQL cluster, its user and database (once).

    The cluster belongs to the PostgreSQL user; the folders above it are made
    traversable (mode 0711), not readable, so that it can reach its data.
    """
    if (layout.pg_data / "PG_VERSION").exists():
        return
    layout.pg_data.mkdir(mode=0o700)
    shutil.chown(layout.pg_data, _pg_user(), None)
    subprocess.run(
        _as_pg_user(
            [
                _pg_bin("initdb"),
                "-D",
                str(layout.pg_data),
                "-U",
                "postgres",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        ),  # fmt: skip
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {layout.pg_port} -k {layout.pg_data} -c listen_addresses=''"
    ctl = [_pg_bin("pg_ctl"), "-D", str(layout.pg_data), "-o", options, "-w"]
    subprocess.run(
        _as_pg_user([*ctl, "-l", str(layout.pg_data / "init.log"), "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        # the password goes through psql's standard input, never a command line
        literal = password.replace("'", "''")
        sql = (
            f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{literal}';\n"
            f"CREATE DATABASE {DATABASE} OWNER {DB_USER};\n"
        )
        subprocess.run(
            _as_pg_user(
                [
                    "psql",
                    "-q",
                    "-h",
                    str(layout.pg_data),
                    "-p",
                    str(layout.pg_port),
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-f",
                    "-",
                ]
            ),  # fmt: skip
            input=sql,
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        subprocess.run(
            _as_pg_user([*ctl, "-m", "fast", "stop"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def render(layout: Layout, redis_password: str) -> Path:
    """Write supervisord's, HAProxy's and Redis's configuration; supervisord's path."""
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    values = {
        "project_dir": PROJECT_DIR,
        "run_dir": layout.run_dir,
        "host": layout.host,
        "rasa_port": layout.rasa_port,
        "actions_port": layout.actions_port,
        "redis_port": layout.redis_port,
        "redis_password": redis_password,
        "data_dir": layout.run_dir,
        "pg_data": layout.pg_data,
        "pg_port": layout.pg_port,
        "pg_user": _pg_user() if os.geteuid() == 0 else "",
        "rasa_servers": layout.rasa_servers,
        "action_servers": layout.action_servers,
        "workers": layout.workers,
        "python": PYTHON,
        "postgres": _pg_bin("postgres"),
        "redis_server": _binary("/usr/bin/redis-server", "redis-server"),
        "haproxy": _binary("/usr/sbin/haproxy", "haproxy"),
    }
    for name in ("supervisord.conf", "haproxy.cfg", "redis.conf"):
        target = layout.run_dir / name
        target.write_text(templates.get_template(f"{name}.j2").render(values))
        target.chmod(0o600)
    (layout.run_dir / "unavailable.http").write_bytes(unavailable_response())
    return layout.run_dir / "supervisord.conf"


def unavailable_response() -> bytes:
    """HAProxy's answer when no Rasa server can take a message (503).

    Its body is a REST channel reply with the assistant's own "can't answer
    right now" message and the clinic's contacts, so that a visitor still
    reads what to do.
    """
    wording = Wording(yaml.safe_load((PROJECT_DIR / "domain.yml").read_text()))
    text, _ = fallback_reply("", None, wording, get_settings().clinic)
    body = json.dumps([{"recipient_id": "", "text": text}]).encode()
    head = (
        "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\n"
        "Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def program_environment(
    layout: Layout, var_dir: Path, secrets: Mapping[str, str]
) -> Dict[str, str]:
    """What every program finds in its environment (supervisord passes it on)."""
    return {
        "MEDSPA_PROFILE": "production",
        "MEDSPA_VAR_DIR": str(var_dir),
        "MEDSPA_ENDPOINTS": str(TEMPLATES / "endpoints.yml"),
        "ACTIONS_PORT": str(layout.actions_port),
        "MEDSPA_ACTIONS_HOST": "127.0.0.1",
        "MEDSPA_PG_HOST": "127.0.0.1",
        "MEDSPA_PG_PORT": str(layout.pg_port),
        "MEDSPA_PG_DB": DATABASE,
        "MEDSPA_PG_USER": DB_USER,
        "MEDSPA_REDIS_HOST": "127.0.0.1",
        "MEDSPA_REDIS_PORT": str(layout.redis_port),
        # a conversation whose server died mid-message waits this long for its
        # lock (Rasa's default is 60 s); longer than a message ever takes
        "TICKET_LOCK_LIFETIME": "20",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        **secrets,
    }


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
        """Whether one Rasa server has loaded its model."""
        url = f"http://127.0.0.1:{server.port}/status?token={self.token}"
        try:
            return _get(url) == 200
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


def main() -> None:
    """Command line entry point: run the profile until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="Rasa servers")
    parser.add_argument("--workers", type=int, default=2, help="Sanic workers each")
    parser.add_argument("--actions", type=int, default=2, help="action servers")
    args = parser.parse_args()
    var_dir = Path(env("MEDSPA_VAR_DIR"))
    ports = {
        "rasa": int(env("RASA_PORT")),
        "actions": int(env("ACTIONS_PORT")),
        "pg": int(env("MEDSPA_PG_PORT")),
        "redis": int(env("MEDSPA_REDIS_PORT")),
    }
    layout = Layout.create(
        var_dir / "production", args.servers, args.workers, args.actions, ports
    )
    profile = start(layout, var_dir)
    signal.signal(signal.SIGTERM, lambda *_: profile.stop())
    try:
        profile.wait_ready()
        print(
            f"\n  The production profile is running: {args.servers} Rasa server(s) x "
            f"{args.workers} worker(s), {args.actions} action server(s).\n"
            f"  Balancer:   {layout.url}  (REST: POST /webhooks/rest/webhook with "
            f"Authorization: Bearer $MEDSPA_REST_TOKEN)\n"
            f"  PostgreSQL: 127.0.0.1:{layout.pg_port}  Redis: 127.0.0.1:"
            f"{layout.redis_port}\n"
            f"  Processes:  {SUPERVISORCTL} -c {profile.config} status\n"
            f"  Logs:       {layout.run_dir / 'log'}\n  Stop with Ctrl-C.\n",
            flush=True,
        )
        profile.supervisord.wait()
    except KeyboardInterrupt:
        pass
    finally:
        profile.stop()


if __name__ == "__main__":
    main()
