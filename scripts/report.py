"""What visitors ask: a report for clinic staff from the conversation store.

Reads the SQLite tracker store the assistant writes (endpoints.yml,
``var/conversations.db``) and prints how many conversations there were, which
treatments and topics were asked about, and, most useful for improving the
knowledge base, the questions it could not answer from the articles, the
treatments visitors named that the articles don't cover (``not_offered``)
and the messages it did not understand.

usage: python scripts/report.py [--db var/conversations.db] [--days 30]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # started as a script: find the core package
    sys.path.insert(0, str(PROJECT_DIR))

from medspa.visitor_input import escape_controls  # noqa: E402

Turn = Tuple[str, str, List[Dict[str, Any]], List[str]]


def _not_offered(event: Dict[str, Any]) -> List[str]:
    """The treatments not offered that the NLU found in a visitor's message."""
    entities = (event.get("parse_data") or {}).get("entities") or []
    return [
        str(e.get("value"))
        for e in entities
        if isinstance(e, dict) and e.get("entity") == "other_treatment"
    ]


def turns(db: Path, since: float) -> Iterator[Turn]:
    """(sender, text, answers, treatments not offered) per visitor message."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = connection.execute(
        "SELECT sender_id, type_name, data FROM events "
        "WHERE timestamp >= ? AND type_name IN ('user', 'bot') ORDER BY sender_id, id",
        (since,),
    )
    current: Turn | None = None
    for sender, kind, data in rows:
        event = json.loads(data)
        if kind == "user":
            if current:
                yield current
            current = (sender, event.get("text") or "", [], _not_offered(event))
        elif current and current[0] == sender:
            answer = (event.get("metadata") or {}).get("answer")
            if answer:
                current[2].append(answer)
    if current:
        yield current
    connection.close()


def report(db: Path, days: float, limit: int = 15) -> str:
    """The report as text."""
    kinds: Counter = Counter()
    treatments: Counter = Counter()
    topics: Counter = Counter()
    uncovered: Counter = Counter()
    not_understood: Counter = Counter()
    not_offered: Counter = Counter()
    senders = set()
    total = 0
    for sender, text, answers, others in turns(db, time.time() - days * 86400):
        if text.startswith("/"):
            continue  # a button press, counted with its answer below
        total += 1
        senders.add(sender)
        not_offered.update(others)
        for answer in answers:
            kinds[answer["kind"]] += 1
            for treatment in answer.get("treatments") or [answer.get("treatment")]:
                if treatment:
                    treatments[treatment] += 1
            if answer.get("topic"):
                topics[answer["topic"]] += 1
            if answer["kind"] == "kb" and not answer.get("covered", True):
                uncovered[f"{answer['treatment']}/{answer['topic']}: {text[:80]}"] += 1
            if answer["kind"] == "out_of_scope":
                not_understood[text[:100]] += 1

    def section(title: str, counter: Counter) -> str:
        # visitors' text is shown escaped: no terminal escape reaches staff
        rows = [
            f"  {n:>4}  {escape_controls(str(item))}"
            for item, n in counter.most_common(limit)
        ]
        return f"\n{title}\n" + ("\n".join(rows) if rows else "     (none)")

    return (
        f"Last {days:g} days: {len(senders)} conversations, {total} visitor messages"
        + section("Replies by kind", kinds)
        + section("Treatments asked about", treatments)
        + section("Topics asked about", topics)
        + section(
            "Asked, but not covered by the articles (add to the knowledge base?)",
            uncovered,
        )
        + section(
            "Treatments named that the articles don't cover (not_offered)",
            not_offered,
        )
        + section("Not understood or out of scope", not_understood)
    )


def main() -> int:
    """Print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("var/conversations.db"))
    parser.add_argument("--days", type=float, default=30)
    args = parser.parse_args()
    if not args.db.exists():
        print(
            f"No conversation store at {args.db}: has the assistant run yet?",
            file=sys.stderr,
        )
        return 1
    print(report(args.db, args.days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
