"""Fixtures of the console's tests: a seeded tracker store, the real console.

The tracker store is written once per session through Rasa's own
SQLTrackerStore (``seed.py``); each test that changes it works on a copy. The
console runs as ``python -m console serve`` (waitress) on a free loopback
port, its accounts made with ``python -m console add-user``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from console.store import Stores
from tests.browser.conftest import browser  # noqa: F401  (headless Chromium)
from tests.console.seed import ERASURE_REQUEST, seed
from tests.console.site import ConsoleSite, running_console


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker store holding the seeded conversations (never changed)."""
    db = Path(tmp_path_factory.mktemp("seeded")) / "conversations.db"
    seed(db)
    return db


@pytest.fixture()
def stores(seeded_db: Path, tmp_path: Path) -> Iterator[Stores]:
    """A copy of the seeded tracker store and an empty console database."""
    copy = tmp_path / "conversations.db"
    shutil.copy(seeded_db, copy)
    opened = Stores.open(f"sqlite:///{copy}", f"sqlite:///{tmp_path / 'console.db'}")
    yield opened
    opened.dispose()


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    """A fresh browser profile (no cookies)."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    fresh.set_default_timeout(20_000)
    yield fresh
    fresh.close()


@pytest.fixture(scope="package")
def console(
    seeded_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleSite]:
    """The console served on loopback over a copy of the seeded store."""
    workdir = Path(tmp_path_factory.mktemp("console"))
    shutil.copy(seeded_db, workdir / "conversations.db")
    seed(workdir / "conversations.db", [ERASURE_REQUEST])
    with running_console(workdir) as site:
        yield site
