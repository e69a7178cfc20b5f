"""Print how long the staff console takes on a large conversation store.

Writes N synthetic conversations (Rasa's own event dictionaries, spread over
the last 30 days, each visitor message answered with the contract's `answer`
metadata) into a temporary SQLite tracker store, then times the console's
queries and its pages (signed in, through Flask's test client). Prints
figures; asserts nothing.

usage: python -m benchmarks.console_queries [--conversations 2000] [--messages 5]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, List

import sqlalchemy as sa

from console import accounts, queries, review
from console.app import create_app
from console.store import EVENTS, Stores
from medspa.contract import TOPIC_IDS, TREATMENT_IDS
from medspa.settings import get_console_settings

DAY = 86400.0
KINDS = ["kb", "kb", "kb", "compare", "clarify", "safety", "out_of_scope", "chitchat"]


def _answer(kind: str, rng: random.Random) -> Dict[str, Any]:
    treatment, topic = rng.choice(TREATMENT_IDS), rng.choice(TOPIC_IDS)
    if kind == "kb":
        return {"kind": kind, "treatment": treatment, "topic": topic,
                "covered": rng.random() < 0.8, "sources": ["x.txt"]}  # fmt: skip
    if kind == "compare":
        return {
            "kind": kind,
            "treatments": rng.sample(TREATMENT_IDS, 2),
            "topic": topic,
        }
    return {"kind": kind}


def fill(engine: sa.engine.Engine, conversations: int, messages: int) -> int:
    """Insert the synthetic events; how many."""
    rng, now, rows = random.Random(7), time.time(), []
    for c in range(conversations):
        sender = rng.choice(["web-", "telegram-", ""]) + f"visitor{c}"
        at = now - rng.random() * 30 * DAY
        for m in range(messages):
            text = f"question {m} of visitor {c} about {rng.choice(TREATMENT_IDS)}"
            intent = {"name": "ask_pain", "confidence": rng.random()}
            rows.append((sender, "user", at, {
                "event": "user", "timestamp": at, "text": text,
                "parse_data": {"intent": intent, "entities": [], "text": text},
                "input_channel": "rest"}))  # fmt: skip
            answer = _answer(rng.choice(KINDS), rng)
            rows.append((sender, "bot", at + 0.1, {
                "event": "bot", "timestamp": at + 0.1, "text": "reply " * 40,
                "data": {}, "metadata": {"answer": answer}}))  # fmt: skip
            at += 60
    with engine.begin() as connection:
        connection.execute(
            sa.insert(EVENTS),
            [{"sender_id": s, "type_name": k, "timestamp": t, "data": json.dumps(d)}
             for s, k, t, d in rows],
        )  # fmt: skip
    return len(rows)


def timed(what: str, work: Callable[[], Any], runs: int = 3) -> Any:
    """Run ``work`` a few times; print the median time."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    print(f"  {what:<44} {1000 * statistics.median(times):8.0f} ms")
    return result


def main() -> None:
    """Fill a store, time the queries and pages, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="console-bench-"))
    stores = Stores.open(
        f"sqlite:///{workdir / 'conversations.db'}", f"sqlite:///{workdir / 'c.db'}"
    )
    events = fill(stores.tracker, args.conversations, args.messages)
    size = (workdir / "conversations.db").stat().st_size / 1e6
    print(f"{args.conversations} conversations, {events} events ({size:.0f} MB SQLite)")
    filters = queries.last_days(30)
    found: List[queries.Turn] = timed(
        "read 30 days of turns", lambda: queries.turns(stores.tracker, filters)
    )
    timed("count the dashboard", lambda: queries.dashboard(found, filters))
    timed("list the conversations", lambda: queries.conversations(found))
    timed("review inbox", lambda: review.inbox(stores, filters, 0.5))
    settings = replace(
        get_console_settings(),
        conversations_url=str(stores.tracker.url),
        console_db_url=str(stores.console.url),
        var_dir=workdir,
    )
    app = create_app(settings, stores)
    accounts.create_account(stores.console, "bench", "admin", "bench-password-1")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    form = {"username": "bench", "password": "bench-password-1"}
    client.post("/login", data={**form, "csrf_token": token.group(1) if token else ""})
    for page in ("/", "/conversations", "/inbox", "/export/daily.csv"):
        response = timed(f"page {page}", lambda page=page: client.get(page))
        assert response.status_code == 200, page
    stores.dispose()


if __name__ == "__main__":
    main()
