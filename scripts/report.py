"""What visitors ask: the staff console's figures as text, for a terminal.

A thin view over the console's queries (``console/queries.py``), so it reads
any SQL tracker store Rasa writes (SQLite by default, PostgreSQL too: set
``MEDSPA_CONVERSATIONS_URL``). It prints how many conversations there were,
which treatments and topics were asked about, what became of the messages,
the problem reports, the questions the articles don't cover yet, the
treatments named that the articles don't cover (``not_offered``) and the
messages not understood. Visitor text is hostile input: control characters
are printed escaped, never sent to the terminal.

usage: python scripts/report.py [--url sqlite:///var/conversations.db] [--days 30]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # started as a script: find the packages
    sys.path.insert(0, str(PROJECT_DIR))

from console import queries  # noqa: E402
from console.labels import when  # noqa: E402
from medspa.settings import get_console_settings  # noqa: E402
from medspa.visitor_input import escape_controls  # noqa: E402


def printable(text: str) -> str:
    r"""``text`` on one line, control characters escaped (``\x1b``, ``\n``...)."""
    return escape_controls(text).replace("\n", "\\n")


def _section(title: str, counter: Counter, limit: int) -> str:
    rows = [
        f"  {n:>4}  {printable(str(item))}" for item, n in counter.most_common(limit)
    ]
    return f"\n{title}\n" + ("\n".join(rows) if rows else "     (none)")


def _lines(title: str, turns: Iterable[queries.Turn], limit: int) -> str:
    rows = [
        f"  {when(t.timestamp)}  {printable(t.sender_id)}: {printable(t.text[:100])}"
        for t in list(turns)[:limit]
    ]
    return f"\n{title}\n" + ("\n".join(rows) if rows else "     (none)")


def report(store: str | Path, days: int, limit: int = 15) -> str:
    """The report of the last ``days`` days of a tracker store.

    Args:
        store: its SQLAlchemy URL, or the path of a SQLite file.
        days: how many days back, today included (and anything since).
        limit: the longest list printed.
    """
    filters = queries.Filters(start=queries.last_days(days).start)
    url = f"sqlite:///{store}" if isinstance(store, Path) else store
    engine = sa.create_engine(url, future=True)
    try:
        found = queries.turns(engine, filters)
    finally:
        engine.dispose()
    board = queries.dashboard(found, filters)
    kinds: Counter = Counter(k for t in found for k in t.kinds)
    treatments: Counter = Counter(x for t in found for x in t.treatments)
    topics: Counter = Counter(
        a["topic"] for t in found for a in t.answers if a.get("topic")
    )
    uncovered: Counter = Counter(
        f"{a.get('treatment')}/{a.get('topic')}: {t.text[:80]}"
        for t in board.not_covered
        for a in t.answers
        if a.get("covered") is False
    )
    not_offered: Counter = Counter(x for t in found for x in t.not_offered)
    not_understood: Counter = Counter(t.text[:100] for t in board.not_understood)
    return (
        f"Last {days} days: {board.conversations} conversations, "
        f"{board.messages} visitor messages"
        + _section("What became of the messages", board.outcomes, limit)
        + _section("Replies by kind", kinds, limit)
        + _section("Conversations by channel", board.channels, limit)
        + _section("Treatments asked about", treatments, limit)
        + _section("Topics asked about", topics, limit)
        + _lines(
            "Problem reports, newest first (call them back)",
            board.problem_reports,
            limit,
        )  # fmt: skip
        + _section(
            "Asked, but not covered by the articles (add to the knowledge base?)",
            uncovered,
            limit,
        )
        + _section(
            "Treatments named that the articles don't cover (not_offered)",
            not_offered,
            limit,
        )
        + _section("Not understood or out of scope", not_understood, limit)
    )


def main() -> int:
    """Print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=get_console_settings().conversations_url,
        help="SQLAlchemy URL of the tracker store (MEDSPA_CONVERSATIONS_URL)",
    )
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    url = sa.engine.make_url(args.url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        print(
            f"No conversation store at {url.database}: has the assistant run yet?",
            file=sys.stderr,
        )
        return 1
    print(report(args.url, args.days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
