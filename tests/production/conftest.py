"""The production profile started once for this package's tests.

Two Rasa servers and two action servers behind HAProxy, PostgreSQL and Redis,
all on free loopback ports, with their data in a temporary folder; the
project's own scripts install the Debian packages when they are missing
(scripts/install_production.sh) and start everything (scripts/production.py).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import psycopg2
import pytest

from scripts.production import Profile, running_profile
from tests.support.servers import PROJECT_DIR

REST_TOKEN = "production-tests-rest-token"


@dataclass
class Reply:
    """The balancer's answer to one visitor message."""

    status: int
    server: str
    texts: List[str]


def say(profile: Profile, sender: str, text: str, timeout: float = 90) -> Reply:
    """Send a message over REST through the balancer."""
    request = urllib.request.Request(
        f"{profile.url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {REST_TOKEN}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # the balancer's reply has a body too
        status, headers, raw = error.code, error.headers, error.read()
    body = json.loads(raw or b"[]")
    messages = body if isinstance(body, list) else []  # an error is an object
    return Reply(
        status,
        headers.get("X-Medspa-Server") or "",
        [m.get("text") or "" for m in messages],
    )


def answers(profile: Profile, sender: str) -> List[Dict[str, Any]]:
    """The ``answer`` metadata of every bot event, through the HTTP API."""
    url = f"{profile.url}/conversations/{sender}/tracker?token={profile.token}"
    with urllib.request.urlopen(url, timeout=60) as response:
        events = json.loads(response.read())["events"]
    return [
        e["metadata"]["answer"]
        for e in events
        if e.get("event") == "bot" and (e.get("metadata") or {}).get("answer")
    ]


def stored_events(profile: Profile, sender: str) -> List[Dict[str, Any]]:
    """A conversation's events as PostgreSQL holds them, in insertion order."""
    environment = profile.environment
    with (
        psycopg2.connect(
            host="127.0.0.1",
            port=profile.layout.pg_port,
            dbname=environment["MEDSPA_PG_DB"],
            user=environment["MEDSPA_PG_USER"],
            password=environment["MEDSPA_PG_PASSWORD"],
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT id, type_name, timestamp, data FROM events "
            "WHERE sender_id = %s ORDER BY id",
            (sender,),
        )
        rows = cursor.fetchall()
    connection.close()
    return [
        {"id": i, "event": kind, "timestamp": stamp, **json.loads(data)}
        for i, kind, stamp, data in rows
    ]


def wait_for(check, what: str, timeout: float = 180) -> None:
    """Wait until ``check()`` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@contextlib.contextmanager
def started_profile(servers: int, workers: int, actions: int) -> Iterator[Profile]:
    """The profile in a temporary folder, the Debian packages installed if missing."""
    subprocess.run([str(PROJECT_DIR / "scripts" / "install_production.sh")], check=True)
    # not under pytest's owner-only tmp folders: PostgreSQL's own user must
    # be able to reach its data folder
    var_dir = Path(tempfile.mkdtemp(prefix="medspa-production-"))
    try:
        with running_profile(
            var_dir,
            servers=servers,
            workers=workers,
            actions=actions,
            extra_env={"MEDSPA_REST_TOKEN": REST_TOKEN},
        ) as running:
            yield running
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def profile() -> Iterator[Profile]:
    with started_profile(servers=2, workers=1, actions=2) as running:
        yield running
