"""Profile the assistant's Rasa server (or action server) at saturation with py-spy.

Starts the assistant on loopback, drives it with closed-loop visitors (32 by
default) and samples the Rasa server's process with ``py-spy record`` for the
same time; then prints the functions that take the most time (their own time,
and their time including what they call) and the share of a few known areas
(sentence encoder, JSON, action server call, tracker store, extractor).

usage: python -m benchmarks.load.profile [--seconds 20] [--visitors 32]
       [--questions FILE] [--top 25] [--raw OUT.txt] [--process rasa|actions]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import List, Tuple

from benchmarks.load.__main__ import HELDOUT, REALWORLD, WARM_UP
from benchmarks.load.visitors import drive, load_questions
from tests.support.servers import running_assistant

PROCESSES = {"actions": 0, "rasa": 1}
"""The assistant's processes, by their index in ``running_assistant``."""

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


async def _warm_up(url: str, questions: List[str]) -> None:
    """As the load benchmark does: the first messages' one-off work is not sampled."""
    await drive(url, questions, 1, 60, WARM_UP)


async def _load(url: str, questions: List[str], args: argparse.Namespace) -> None:
    await drive(url, questions, args.visitors, args.seconds + 5, 100_000)


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
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        with running_assistant(Path(tmp)) as assistant:
            pid = assistant.processes[PROCESSES[args.process]].pid
            asyncio.run(_warm_up(assistant.rasa_url, questions))
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
                ],  # fmt: skip
                stdout=subprocess.DEVNULL,
            )
            asyncio.run(_load(assistant.rasa_url, questions, args))
            spy.wait(timeout=120)
            collapsed = out.read_text() if out.exists() else ""
            if args.raw:
                args.raw.write_text(collapsed)
    print(summarise(collapsed, args.top))


if __name__ == "__main__":
    main()
