"""Drive the clinic's page and its chat widget in Chromium, against real servers.

Helpers of the browser tests: the page server, the Rasa server's stop and
start, and :class:`Chat`, the widget as a visitor uses it. Chromium is Debian's
package (``scripts/install_browser.sh``); the widget comes from
``scripts/install_web.sh``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page

from medspa.visitor_input import channel_sender
from tests.support.servers import (
    BIN,
    PROJECT_DIR,
    STARTUP_TIMEOUT,
    Assistant,
    http_json,
    is_rasa_server,
    project_credentials,
    start_rasa_server,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
WIDGET_BUNDLE = (
    PROJECT_DIR / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
)
ARTIFACTS = PROJECT_DIR / "test-artifacts"
ANSWER_TIMEOUT_MS = 60_000

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# The widget's parts (rasa-webchat 1.0.1 class names).
LAUNCHER = "#chat .rw-launcher"
INPUT = "#chat .rw-new-message"
BOT_BUBBLES = "#chat .rw-response"
VISITOR_BUBBLES = "#chat .rw-client"
QUICK_REPLIES = "#chat .rw-reply"
DISCONNECTED = "#chat .rw-loading"

# Answer times measured in the browser, summarised at the end of the run.
ANSWER_TIMES_MS: List[float] = []


@dataclass
class Site:
    """The running servers: the assistant and the clinic's page."""

    assistant: Assistant
    page_url: str
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.page_url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Chat:
    """The chat widget on the clinic's page, driven like a visitor does."""

    page: Page
    url: str

    def open(self) -> None:
        """Load the page, open the widget, wait for it to connect and greet."""
        self.page.goto(self.url)
        self.page.click(LAUNCHER)
        self.page.wait_for_selector(INPUT)
        self.wait_connected()
        self.page.locator(BOT_BUBBLES).first.wait_for()

    def wait_connected(self, timeout_ms: float = ANSWER_TIMEOUT_MS) -> None:
        """Wait until the widget holds a confirmed session and shows no outage."""
        self.page.wait_for_function(
            "sel => !document.querySelector(sel) && "
            "(JSON.parse(sessionStorage.getItem('chat_session') || '{}')"
            ".session_id || null)",
            arg=DISCONNECTED,
            timeout=timeout_ms,
        )

    @property
    def sender(self) -> str:
        """The Rasa conversation (sender id) of this widget."""
        return channel_sender("socketio", self.session_id)

    @property
    def session_id(self) -> str:
        """The session id the server issued to this widget."""
        return str(
            self.page.evaluate(
                "JSON.parse(sessionStorage.getItem('chat_session')).session_id"
            )
        )

    def bot_texts(self) -> List[str]:
        """The texts of the bot's bubbles, oldest first."""
        return self.page.locator(BOT_BUBBLES).all_inner_texts()

    def visitor_texts(self) -> List[str]:
        """The texts of the visitor's bubbles, oldest first."""
        return self.page.locator(VISITOR_BUBBLES).all_inner_texts()

    def ask(self, text: str, expect: str = "", submit: str = "Enter") -> List[str]:
        """Type a question and send it; the bot bubbles of the answer.

        Waits until a new bot bubble contains ``expect`` (any new one when
        empty) and records the time from sending to that bubble shown, measured
        in the browser.
        """
        self.page.fill(INPUT, text)
        return self.send_and_wait(lambda: self.page.press(INPUT, submit), expect)

    def choose(self, title: str, expect: str = "") -> List[str]:
        """Click a quick reply; the bot bubbles of the answer."""
        exactly = re.compile(f"^{re.escape(title)}$")
        button = self.page.locator(QUICK_REPLIES).filter(has_text=exactly).last
        return self.send_and_wait(button.click, expect)

    def send_and_wait(self, send: Callable[[], None], expect: str = "") -> List[str]:
        """Send with ``send`` (a key press, a click); the answer's bot bubbles."""
        before = self.page.locator(BOT_BUBBLES).count()
        sent_at = float(self.page.evaluate("performance.now()"))
        send()
        shown_at = self.wait_for_bot(before, expect)
        ANSWER_TIMES_MS.append(shown_at - sent_at)
        # the rest of the turn's bubbles arrive together with the first
        self.page.wait_for_timeout(300)
        return self.bot_texts()[before:]

    def wait_for_bot(self, before: int, expect: str = "") -> float:
        """Wait for a bot bubble after the first ``before`` containing ``expect``.

        Returns:
            The page's clock (``performance.now()``) when it was shown.

        """
        handle = self.page.wait_for_function(
            """([sel, before, expect]) => {
                const fresh = [...document.querySelectorAll(sel)].slice(before);
                const shown = fresh.some(b => b.innerText.includes(expect));
                return shown && performance.now();
            }""",
            arg=[BOT_BUBBLES, before, expect],
            timeout=ANSWER_TIMEOUT_MS,
        )
        return float(handle.json_value())


def http_status(url: str, headers: Mapping[str, str] | None = None) -> int:
    """The status of a GET (0 when nothing answers)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


@contextlib.contextmanager
def page_server(port: int, socket_url: str, log: Path) -> Iterator[str]:
    """Run ``web/serve.py`` on ``port``; its address."""
    url = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(
        [str(BIN / "python"), "web/serve.py", "--port", str(port)]
        + ["--socket-url", socket_url],
        cwd=PROJECT_DIR,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while http_status(url) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"page server not ready\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _rasa_index(assistant: Assistant) -> int:
    """Where the Rasa server is in the harness's list of processes."""
    for index, process in enumerate(assistant.processes):
        if is_rasa_server(process):
            return index
    raise LookupError("no Rasa server among the harness's processes")


def stop_rasa(site: Site) -> None:
    """Stop the Rasa server (the action server and the page server stay up)."""
    process = site.assistant.processes[_rasa_index(site.assistant)]
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def start_rasa(site: Site) -> None:
    """Start the Rasa server again, on the same port and conversation database."""
    assistant = site.assistant
    index = _rasa_index(assistant)
    process = start_rasa_server(
        assistant.workdir,
        int(urlsplit(assistant.rasa_url).port or 0),
        int(urlsplit(assistant.action_url).port or 0),
        assistant.token,
        {**assistant.env, **site.env},
        project_credentials(),
    )
    assistant.processes[index] = process  # stopped with the others at the end
    deadline = time.monotonic() + STARTUP_TIMEOUT
    status_url = f"{assistant.rasa_url}/status?token={assistant.token}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = assistant.workdir / "rasa.log"
            raise RuntimeError(f"the restarted Rasa server exited\n{log.read_text()}")
        with contextlib.suppress(OSError, ValueError):
            if http_json(status_url, timeout=5).get("model_id"):
                return
        time.sleep(0.5)
    raise RuntimeError("the restarted Rasa server is not ready")


@dataclass
class Watch:
    """What the page did that it should not: dialogs and script errors."""

    dialogs: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def watch(page: Page) -> Watch:
    """Record the page's dialogs (dismissing them) and uncaught script errors."""
    seen = Watch()

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    return seen


def chat_on(context: BrowserContext, site: Site) -> Chat:
    """A new tab on the clinic's page."""
    return Chat(context.new_page(), site.page_url)


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
