"""The whole assistant under the real supervisor (deploy/supervisord.conf), for tests.

:func:`supervised_stack` starts ``supervisord`` with the project's own
configuration, as ``scripts/run.sh`` does, but with free loopback ports and
its own owner-only folder (``MEDSPA_VAR_DIR``: secrets, logs, socket and the
conversation database), and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

from tests.support.servers import (
    BIN,
    MODEL,
    PROJECT_DIR,
    STARTUP_TIMEOUT,
    Assistant,
    free_port,
    http_json,
)

CONFIG = PROJECT_DIR / "deploy" / "supervisord.conf"
PROGRAMS = ("actions", "rasa", "web")


@dataclass
class Stack:
    """A running supervised stack."""

    assistant: Assistant
    var_dir: Path
    env: Dict[str, str]
    web_url: str
    supervisor: subprocess.Popen

    def ctl(self, *args: str) -> str:
        """Run ``supervisorctl`` on this stack; its output."""
        done = subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(CONFIG), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout + done.stderr

    def pid(self, program: str) -> int:
        """The process id of a program (0 when it is not running)."""
        answer = self.ctl("pid", program).strip()
        return int(answer) if answer.isdigit() else 0

    def wait_running(self, program: str, timeout: float = STARTUP_TIMEOUT) -> int:
        """Wait until ``program`` serves again; its new process id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid(program)
            if pid and self.serves(program):
                return pid
            time.sleep(0.25)
        raise AssertionError(f"{program} did not come back\n{self.log(program)}")

    def serves(self, program: str) -> bool:
        """Whether ``program`` answers its health check."""
        urls = {
            "actions": f"{self.assistant.action_url}/health",
            "rasa": f"{self.assistant.rasa_url}/status?token={self.assistant.token}",
            "web": f"{self.web_url}/config.js",
        }
        try:
            if program == "web":
                with urllib.request.urlopen(urls[program], timeout=5) as response:
                    return bool(response.status == 200)
            answer = http_json(urls[program], timeout=5)
            return bool(answer.get("model_id") or answer.get("status") == "ok")
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def log(self, program: str) -> str:
        """The program's log."""
        path = self.var_dir / "log" / f"{program}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _endpoints(var_dir: Path) -> Path:
    """The project's endpoints.yml with the conversation store in ``var_dir``."""
    text = (PROJECT_DIR / "endpoints.yml").read_text()
    line = 'db: "var/conversations.db"'
    assert line in text, "endpoints.yml no longer keeps conversations in var/"
    path = var_dir / "endpoints.yml"
    path.write_text(text.replace(line, f'db: "{var_dir / "conversations.db"}"'))
    return path


@contextlib.contextmanager
def supervised_stack(
    workdir: Path, env: Optional[Mapping[str, str]] = None
) -> Iterator[Stack]:
    """Run the three programs under supervisord for the duration of the block.

    Args:
        workdir: a temporary folder; the stack's ``var/`` goes inside.
        env: extra settings (environment variables) for every program.

    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    var_dir = workdir / "var"
    var_dir.mkdir(mode=0o700, parents=True)
    (var_dir / "log").mkdir(mode=0o700)
    token = secrets.token_hex(16)
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    full_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "MEDSPA_VAR_DIR": str(var_dir),
        "MEDSPA_MODEL": str(MODEL),
        "MEDSPA_ENDPOINTS": str(_endpoints(var_dir)),
        "RASA_AUTH_TOKEN": token,
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(action_port),
        "WEB_PORT": str(web_port),
        "MEDSPA_CONSOLE_PORT": str(free_port()),  # the staff console, also supervised
        **(env or {}),
    }
    supervisor = subprocess.Popen(
        [str(PROJECT_DIR / "scripts" / "supervise.sh")],
        cwd=PROJECT_DIR,
        env=full_env,
        stdout=open(workdir / "supervisord.out", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assistant = Assistant(
        f"http://127.0.0.1:{rasa_port}",
        f"http://127.0.0.1:{action_port}",
        token,
        var_dir,
        env=full_env,
    )
    stack = Stack(
        assistant, var_dir, full_env, f"http://127.0.0.1:{web_port}", supervisor
    )
    started = time.monotonic()
    try:
        for program in PROGRAMS:
            if supervisor.poll() is not None:
                raise RuntimeError((workdir / "supervisord.out").read_text())
            stack.wait_running(program)
        assistant.startup_seconds = time.monotonic() - started
        yield stack
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGTERM)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()


def event_count(assistant: Assistant, sender: str) -> int:
    """How many events the conversation store holds for ``sender``."""
    return len(assistant.tracker(sender)["events"])


def user_texts(assistant: Assistant, sender: str) -> List[str]:
    """The visitor's messages as stored."""
    events = assistant.tracker(sender)["events"]
    return [e.get("text") for e in events if e.get("event") == "user"]


def answers(assistant: Assistant, sender: str) -> List[Dict[str, Any]]:
    """The ``answer`` metadata of every bot message in the conversation."""
    events = assistant.tracker(sender)["events"]
    return [
        (e.get("metadata") or {}).get("answer") or {}
        for e in events
        if e.get("event") == "bot"
    ]
