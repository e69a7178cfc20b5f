"""The clinic's page with the chat widget in headless Chromium, against real servers.

One session runs the action server, the Rasa server (its socket.io channel
allowing only the page's origin) and the page server (``web/serve.py``) on free
loopback ports; every test gets a fresh browser context (empty storage) and
drives the widget as a visitor does. Chromium is Debian's package
(``scripts/install_browser.sh``); the widget comes from ``scripts/install_web.sh``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from channels.socketio import ORIGINS_ENV
from tests.support.servers import (
    BIN,
    PROJECT_DIR,
    STARTUP_TIMEOUT,
    Assistant,
    free_port,
    http_json,
    project_credentials,
    running_assistant,
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
        """Load the page, open the widget and wait until it is connected."""
        self.page.goto(self.url)
        self.page.click(LAUNCHER)
        self.page.wait_for_selector(INPUT)
        self.wait_connected()

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
    def session_id(self) -> str:
        """The Rasa conversation (sender id) of this widget."""
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
        button = self.page.locator(QUICK_REPLIES, has_text=title).last
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


def restart_rasa(site: Site) -> None:
    """Stop the Rasa server and start it again on the same port and database."""
    assistant = site.assistant
    index = next(
        i for i, p in enumerate(assistant.processes) if Path(p.args[0]).name == "rasa"
    )
    old = assistant.processes[index]
    os.killpg(old.pid, signal.SIGTERM)
    old.wait(timeout=30)
    assistant.processes[index] = start_rasa_server(
        assistant.workdir,
        int(urlsplit(assistant.rasa_url).port or 0),
        int(urlsplit(assistant.action_url).port or 0),
        assistant.token,
        {**os.environ, "PYTHONUNBUFFERED": "1", **site.env},
        project_credentials(),
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    status_url = f"{assistant.rasa_url}/status?token={assistant.token}"
    while time.monotonic() < deadline:
        if assistant.processes[index].poll() is not None:
            raise RuntimeError("the restarted Rasa server exited")
        with contextlib.suppress(OSError, ValueError):
            if http_json(status_url, timeout=5).get("model_id"):
                return
        time.sleep(0.5)
    raise RuntimeError("the restarted Rasa server is not ready")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The assistant and the clinic's page, the page on its own port."""
    if not WIDGET_BUNDLE.is_file():
        pytest.fail(f"{WIDGET_BUNDLE} is missing: run scripts/install_web.sh")
    workdir = Path(tmp_path_factory.mktemp("widget"))
    port = free_port()
    env = {ORIGINS_ENV: f"http://127.0.0.1:{port}"}
    with running_assistant(workdir, env=env) as assistant:
        with page_server(port, assistant.rasa_url, workdir / "web.log") as url:
            yield Site(assistant, url, env)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What the page did that it should not: dialogs and script errors."""

    dialogs: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def _context(browser: Browser, options: Dict[str, Any]) -> Iterator[BrowserContext]:
    context = browser.new_context(**options)
    context.set_default_timeout(ANSWER_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture()
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh desktop browser profile (1280 x 800)."""
    yield from _context(browser, DESKTOP)


@pytest.fixture()
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh phone browser profile (375 px wide, touch)."""
    yield from _context(browser, PHONE)


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the widget's answer times measured in the browser (never asserted)."""
    if not ANSWER_TIMES_MS:
        return
    times = sorted(ANSWER_TIMES_MS)
    summary = {
        "answers": len(times),
        "median_ms": round(statistics.median(times)),
        "max_ms": round(times[-1]),
        "min_ms": round(times[0]),
    }
    terminalreporter.write_sep("-", "chat widget: question sent -> answer shown")
    terminalreporter.write_line(
        f"{summary['answers']} answers in the browser: median "
        f"{summary['median_ms']} ms, min {summary['min_ms']} ms, "
        f"max {summary['max_ms']} ms"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "widget-answer-times.json").write_text(
        json.dumps({**summary, "all_ms": [round(t) for t in times]}, indent=2)
    )
