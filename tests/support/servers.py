"""Start the real action server and Rasa server on loopback for a test.

Every suite that needs the running assistant uses :func:`running_assistant`;
it picks free ports, writes endpoints and credentials files into a temporary
folder (the conversation database goes there too), waits until both servers
answer and stops them afterwards, showing their logs if they fail to start.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import yaml

from scripts.production import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
MODEL = PROJECT_DIR / "models" / "medspa.tar.gz"
BIN = Path(sys.executable).parent
ACTION_SECRET_HEADER = "X-Medspa-Action-Secret"
STARTUP_TIMEOUT = float(os.environ.get("MEDSPA_TEST_STARTUP_TIMEOUT", "240"))


def http_json(
    url: str,
    data: Any = None,
    method: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
    timeout: float = 60,
) -> Any:
    """Send a request and decode the JSON answer (raises HTTPError on 4xx/5xx)."""
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(
        url, data=body, method=method or ("POST" if body else "GET")
    )
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def http_request(
    url: str,
    body: Optional[bytes] = None,
    method: str = "POST",
    headers: Optional[Mapping[str, str]] = None,
) -> Tuple[int, Any]:
    """Send raw bytes; the status and answer, decoded if JSON (4xx/5xx too)."""
    if body is not None and len(body) > _LARGE_BODY:
        status, raw = _send_large(url, body, method, headers or {})
    else:
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


_LARGE_BODY = 256 * 1024


def _send_large(
    url: str, body: bytes, method: str, headers: Mapping[str, str]
) -> Tuple[int, bytes]:
    """Send a large body in chunks, stopping as soon as the server has answered.

    A server may refuse a body by its announced length (413) and close the
    connection without reading it, as HTTP allows: a client that keeps writing
    then gets "connection reset" instead of the answer. This one looks for
    the answer before each chunk, as browsers and proxies do.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=120)
    try:
        connection.putrequest(
            method, parts.path + (f"?{parts.query}" if parts.query else "")
        )
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.endheaders()
        sock = connection.sock
        wait = 0.2  # the refusal of a length comes right after the headers
        for start in range(0, len(body), 64 * 1024):
            if select.select([sock], [], [], wait)[0]:
                break  # answered before the whole body was sent
            wait = 0.0
            try:
                sock.sendall(body[start : start + 64 * 1024])
            except (BrokenPipeError, ConnectionResetError):
                break
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Assistant:
    """The running servers of one test session."""

    rasa_url: str
    action_url: str
    token: str
    workdir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)
    startup_seconds: float = 0.0
    env: Dict[str, str] = field(default_factory=dict)
    """The servers' environment (with the action server's secret)."""

    def say(self, sender: str, text: str, timeout: float = 60) -> List[Dict[str, Any]]:
        """Send a message over the REST channel; the bot's replies."""
        return http_json(
            f"{self.rasa_url}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            timeout=timeout,
        )

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation's tracker through the HTTP API (with the token)."""
        return http_json(
            f"{self.rasa_url}/conversations/{sender}/tracker?token={self.token}"
        )

    def turn_answers(self, sender: str) -> List[Dict[str, Any]]:
        """The ``answer`` metadata of the bot events after the last user message."""
        events = self.tracker(sender)["events"]
        last_user = max(
            (i for i, e in enumerate(events) if e.get("event") == "user"), default=-1
        )
        return [
            e["metadata"]["answer"]
            for e in events[last_user + 1 :]
            if e.get("event") == "bot" and (e.get("metadata") or {}).get("answer")
        ]

    def turn_texts(self, sender: str) -> List[str]:
        """Texts of the bot events after the last user message."""
        events = self.tracker(sender)["events"]
        last_user = max(
            (i for i, e in enumerate(events) if e.get("event") == "user"), default=-1
        )
        return [
            e.get("text") or ""
            for e in events[last_user + 1 :]
            if e.get("event") == "bot"
        ]


def _wait_until(
    check, what: str, processes: Sequence[subprocess.Popen], logs: Sequence[Path]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: a server exited early\n{_tails(logs)}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"{what}: not ready after {STARTUP_TIMEOUT:.0f} s\n{_tails(logs)}"
    )


def _tails(logs: Sequence[Path], lines: int = 40) -> str:
    parts = []
    for log in logs:
        text = log.read_text(errors="replace").splitlines() if log.exists() else []
        parts.append(f"--- {log.name} ---\n" + "\n".join(text[-lines:]))
    return "\n".join(parts)


def is_rasa_server(process: subprocess.Popen) -> bool:
    """Whether ``process`` is a Rasa server started by :func:`start_rasa_server`."""
    args = process.args
    return isinstance(args, (list, tuple)) and any(
        Path(str(arg)).name == "rasa_server.py" for arg in args
    )


def _stop(processes: Sequence[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start_action_server(
    workdir: Path, port: int, env: Mapping[str, str]
) -> subprocess.Popen:
    """Start ``python -m actions`` (validates the knowledge base, then serves)."""
    log = open(workdir / "actions.log", "w")
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "actions", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_rasa_server(
    workdir: Path,
    port: int,
    action_port: int,
    token: str,
    env: Mapping[str, str],
    credentials: Mapping[str, Any],
    rasa_args: Sequence[str] = (),
) -> subprocess.Popen:
    """Start the Rasa server through the launcher, ``token`` in its environment."""
    endpoints = {
        "action_endpoint": {
            "url": f"http://127.0.0.1:{action_port}/webhook",
            "headers": {ACTION_SECRET_HEADER: "${MEDSPA_ACTION_SECRET}"},
        },
        "tracker_store": {
            "type": project_store_type(),
            "dialect": "sqlite",
            "db": str(workdir / "conversations.db"),
        },
    }
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    (workdir / "credentials.yml").write_text(yaml.safe_dump(dict(credentials)))
    log = open(workdir / "rasa.log", "w")
    command = [
        str(BIN / "python"), str(PROJECT_DIR / "scripts" / "rasa_server.py"),
        "--model", str(MODEL),
        "--endpoints", str(workdir / "endpoints.yml"),
        "--credentials", str(workdir / "credentials.yml"),
        "--interface", "127.0.0.1", "--port", str(port),
        *rasa_args,
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env={**env, "RASA_AUTH_TOKEN": token},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def project_store_type() -> str:
    """The tracker store type of the project's endpoints.yml (the servers' own)."""
    endpoints = yaml.safe_load((PROJECT_DIR / "endpoints.yml").read_text()) or {}
    return str(endpoints["tracker_store"]["type"])


def project_credentials() -> Dict[str, Any]:
    """The project's credentials.yml as a dict."""
    return yaml.safe_load((PROJECT_DIR / "credentials.yml").read_text()) or {}


@contextlib.contextmanager
def running_assistant(
    workdir: Path,
    env: Optional[Mapping[str, str]] = None,
    credentials: Optional[Mapping[str, Any]] = None,
    rasa_args: Sequence[str] = (),
) -> Iterator[Assistant]:
    """Run both servers on free loopback ports for the duration of the block.

    Args:
        workdir: a temporary folder for the config files, logs and database.
        env: extra environment variables for both servers.
        credentials: the channels (defaults to the project's credentials.yml).
        rasa_args: extra arguments of ``rasa run``.
    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    workdir.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        **(env or {}),
    }
    token = secrets.token_hex(16)
    full_env.setdefault("MEDSPA_ACTION_SECRET", secrets.token_hex(16))
    full_env.setdefault("MEDSPA_VAR_DIR", str(workdir / "var"))
    action_port, rasa_port = free_port(), free_port()
    action_url = f"http://127.0.0.1:{action_port}"
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    processes: List[subprocess.Popen] = []
    started = time.monotonic()
    try:
        processes.append(start_action_server(workdir, action_port, full_env))
        processes.append(
            start_rasa_server(
                workdir,
                rasa_port,
                action_port,
                token,
                full_env,
                project_credentials() if credentials is None else credentials,
                rasa_args,
            )
        )
        _wait_until(
            lambda: http_json(f"{action_url}/health")["status"] == "ok",
            "action server",
            processes,
            logs,
        )
        _wait_until(
            lambda: bool(http_json(f"{rasa_url}/status?token={token}").get("model_id")),
            "rasa server",
            processes,
            logs,
        )
        yield Assistant(
            rasa_url,
            action_url,
            token,
            workdir,
            processes,
            time.monotonic() - started,
            full_env,
        )
    finally:
        _stop(processes)
