"""Profile the assistant's Rasa server (or action server) at saturation with py-spy.

Starts the assistant on loopback (the embedded default, or with
``--production 1x1`` the production profile as that many Rasa servers of that
many Sanic workers), drives it with closed-loop visitors (32 by default) and
samples the Rasa server's process (the first one's, with its workers) with
``py-spy record`` for the same time; then prints the functions that take the
most time (their own time, and their time including what they call) and the
share of a few known areas (sentence encoder, JSON, action server call,
tracker and lock stores, extractor).

usage: python -m benchmarks.load.profile [--seconds 20] [--visitors 32]
       [--questions FILE] [--top 25] [--raw OUT.txt] [--process rasa|actions]
       [--production SERVERSxWORKERS] [--gil]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from benchmarks.load import processes
from benchmarks.load.__main__ import HELDOUT, REALWORLD, WARM_UP
from benchmarks.load.production import LAYOUTS, production_launchers
from benchmarks.load.visitors import drive, load_questions
from tests.support.servers import running_assistant

PROCESSES = {"actions": 0, "rasa": 1}
"""The assistant's processes, by their index in ``running_assistant``."""

PRODUCTION_COMMANDS = {"actions": "-m actions", "rasa": "rasa_production"}
"""The production profile's processes, by a piece of their command line."""

# (area, a piece of a frame that belongs to it)
AREAS: List[Tuple[str, str]] = [
    ("sentence encoder", "components/sentence_encoder.py"),
    ("entity extractor", "medspa/text_matching.py"),
    ("intent classifier", "components/intent_classifier.py"),
    ("spaCy", "/spacy/"),
    ("count vectors", "count_vectors_featurizer.py"),
    ("JSON", "json"),
    ("action server call", "rasa/core/actions/action.py"),
    ("tracker store", "tracker_store.py"),
    ("tracker store", "stores/sql.py"),
    ("lock store", "lock_store.py"),
    ("lock store", "stores/redis_lock.py"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("policies", "rasa/core/policies/"),
]


def summarise(collapsed: str, top: int) -> str:
    """Top functions and areas of py-spy's collapsed stacks (``--format raw``)."""
    own: Counter = Counter()
    total: Counter = Counter()
    areas: Counter = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
        for area in {name for name, piece in AREAS for f in frames if piece in f}:
            areas[area] += count
    if not samples:
        return "no samples (is py-spy allowed to trace the process?)"
    lines = [f"{samples} samples of the Rasa server's threads"]
    lines.append("\nareas (time including callees; they overlap):")
    lines += [f"  {100 * n / samples:5.1f} %  {a}" for a, n in areas.most_common()]
    lines.append(f"\ntop {top} functions by own time:")
    lines += [f"  {100 * n / samples:5.1f} %  {f}" for f, n in own.most_common(top)]
    lines.append(f"\ntop {top} functions including callees:")
    lines += [f"  {100 * n / samples:5.1f} %  {f}" for f, n in total.most_common(top)]
    return "\n".join(lines)


async def _warm_up(url: str, questions: List[str], headers: Dict[str, str]) -> None:
    """As the load benchmark does: the first messages' one-off work is not sampled."""
    await drive(url, questions, 1, 60, WARM_UP, headers=headers)


async def _load(
    url: str, questions: List[str], args: argparse.Namespace, headers: Dict[str, str]
) -> None:
    seconds = args.seconds + 5
    await drive(url, questions, args.visitors, seconds, 100_000, headers=headers)


@contextlib.contextmanager
def _started(
    tmp: Path, process: str, production: Optional[str]
) -> Iterator[Tuple[str, Dict[str, str], int]]:
    """The assistant started: its URL, the headers it wants, the pid to sample."""
    if production is None:
        with running_assistant(tmp) as assistant:
            yield assistant.rasa_url, {}, assistant.processes[PROCESSES[process]].pid
        return
    servers, workers = (int(n) for n in production.lower().split("x"))
    launch = production_launchers()[LAYOUTS.index((servers, workers))]
    with launch(tmp) as target:
        found = processes.tree(target.pids)
        wanted = PRODUCTION_COMMANDS[process]
        named = {pid for pid, command, _ in found if wanted in command}
        # the first server's main process (py-spy follows its workers)
        pid = min(pid for pid in named if processes.parent(pid) not in named)
        yield target.url, dict(target.headers), pid


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--visitors", type=int, default=32)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--questions", type=Path, default=REALWORLD if REALWORLD.exists() else HELDOUT
    )
    parser.add_argument("--raw", type=Path, help="also keep the collapsed stacks")
    parser.add_argument(
        "--process",
        choices=sorted(PROCESSES),
        default="rasa",
        help="the process to sample: the Rasa server or the action server",
    )
    parser.add_argument(
        "--production",
        choices=[f"{servers}x{workers}" for servers, workers in LAYOUTS],
        help="the production profile as Rasa servers x Sanic workers",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only samples holding the GIL: Python's own work, without the waits "
        "on a socket or the database that a thread's stack otherwise shows",
    )
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        with _started(Path(tmp), args.process, args.production) as (url, headers, pid):
            asyncio.run(_warm_up(url, questions, headers))
            out = Path(tmp) / "stacks.txt"
            spy = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(pid),
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    "200",
                    "--subprocesses",
                    *(["--gil"] if args.gil else []),
                ],  # fmt: skip
                stdout=subprocess.DEVNULL,
            )
            asyncio.run(_load(url, questions, args, headers))
            spy.wait(timeout=120)
            collapsed = out.read_text() if out.exists() else ""
            if args.raw:
                args.raw.write_text(collapsed)
    print(summarise(collapsed, args.top))


if __name__ == "__main__":
    main()
