"""Grade the assistant on real visitors' questions, with every figure per group.

The yardstick of understanding: tests/realworld/test.yml (never tuned on).
Prints accuracy overall and per group (public / clinic; in scope, no
treatment named, problem reports, out of scope), safety recall and false
alarms, the treatment found, answers about a treatment the visitor did not
name, and the topic confusions. Starts the servers on loopback, or grades an
assistant already running (``--url``, e.g. an earlier commit for comparison).

usage: python -m benchmarks.real_questions [FILE ...] [--url URL --token T]
       [--show-misses]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Tuple

import yaml

from tests.support.realworld import grade_real
from tests.support.servers import running_assistant

REAL_TEST = Path("tests/realworld/test.yml")


@contextlib.contextmanager
def assistant_url(
    url: Optional[str], token: Optional[str]
) -> Iterator[Tuple[str, str]]:
    """The given assistant, or one started on loopback for the run."""
    if url:
        yield url, token or ""
        return
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_assistant(Path(workdir)) as assistant,
    ):
        yield assistant.rasa_url, assistant.token


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path, nargs="*", default=[REAL_TEST])
    parser.add_argument("--url", help="grade this running assistant instead")
    parser.add_argument("--token", help="its HTTP API token")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with assistant_url(args.url, args.token) as (url, token):
        for questions in args.questions:
            items = yaml.safe_load(questions.read_text())
            print(f"\n== {questions} ({len(items)} real questions)")
            print(grade_real(url, token, items).report(args.show_misses))


if __name__ == "__main__":
    main()
