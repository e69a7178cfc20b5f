"""Fixtures of the browser tests: real servers, headless Chromium, fresh profiles.

One session runs the action server, the Rasa server (its socket.io channel
allowing only the page's origin) and the page server (``web/serve.py``) on free
loopback ports; every test gets a fresh browser context (empty storage).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from channels.socketio import ORIGINS_ENV
from tests.browser.widget import (
    ANSWER_TIMEOUT_MS,
    ANSWER_TIMES_MS,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    WIDGET_BUNDLE,
    Site,
    page_server,
)
from tests.support.servers import free_port, running_assistant


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
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
