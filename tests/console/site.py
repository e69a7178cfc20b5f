"""Run the console as a real server, and sign in to it in Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator

from playwright.sync_api import BrowserContext, Page

from tests.browser.widget import http_status
from tests.support.servers import BIN, PROJECT_DIR, free_port

PASSWORDS = {
    "admin": "admin-password-1",
    "staff": "staff-password-1",
    "receptionist": "front-desk-password-1",  # locked out by the throttling test
}
ROLES = {"admin": "admin"}


@dataclass
class ConsoleSite:
    """A running console: its address, folder and environment."""

    url: str
    workdir: Path
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "conversations.db"

    def sign_in(self, context: BrowserContext, username: str) -> Page:
        """A new page of ``context``, signed in as ``username``."""
        page = context.new_page()
        page.goto(self.url + "login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORDS[username])
        page.click("form.login button[type=submit]")
        page.wait_for_url(self.url)
        return page


def workdir_files(workdir: Path) -> Dict[str, str]:
    """Copies of the knowledge base and the NLU data in ``workdir``, as settings.

    The console edits and exports into these, never into the project's files;
    an assistant started with the same settings answers from the same copy.
    """
    kb = workdir / "treatments.yml"
    if not kb.exists():
        shutil.copy(PROJECT_DIR / "knowledge" / "treatments.yml", kb)
    data = workdir / "data"
    if not data.exists():
        shutil.copytree(
            PROJECT_DIR / "data",
            data,
            ignore=shutil.ignore_patterns("reviewed.yml", "rules.yml", "stories.yml"),
        )
    return {"MEDSPA_KNOWLEDGE_BASE": str(kb), "MEDSPA_TRAINING_DATA_DIR": str(data)}


def console_env(workdir: Path) -> Dict[str, str]:
    """The environment of a console whose files are all in ``workdir``."""
    return {
        **os.environ,
        **workdir_files(workdir),
        "MEDSPA_CONVERSATIONS_URL": f"sqlite:///{workdir / 'conversations.db'}",
        "MEDSPA_CONSOLE_DB_URL": f"sqlite:///{workdir / 'console.db'}",
        "MEDSPA_VAR_DIR": str(workdir / "var"),
        "MEDSPA_CONSOLE_LOGIN_ATTEMPTS": "3",
    }


def add_user(env: Dict[str, str], username: str, role: str) -> None:
    """Make an account with the console's command, the password on stdin."""
    subprocess.run(
        [str(BIN / "python"), "-m", "console", "add-user", username, "--role", role],
        input=PASSWORDS[username] + "\n",
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def running_console(workdir: Path) -> Iterator[ConsoleSite]:
    """Serve the console on a free loopback port for the block's duration."""
    port = free_port()
    env = {**console_env(workdir), "MEDSPA_CONSOLE_PORT": str(port)}
    for username in PASSWORDS:
        add_user(env, username, ROLES.get(username, "staff"))
    log = workdir / "console.log"
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "console", "serve"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while http_status(url + "login") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"console not ready\n{log.read_text()}")
            time.sleep(0.2)
        yield ConsoleSite(url, workdir, env)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
