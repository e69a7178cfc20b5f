"""Start the assistant on loopback and grade it with the shared grader.

The same grading as the held-out evaluation (../shared/tools/grade.py), run on
one of this repository's held-out files, with the servers started and stopped
for you.

usage: python -m benchmarks.grade_heldout [FILE ...] [--show-misses]
       (default: tests/heldout/dev.yml; several files share one server start)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml

from tests.support.heldout import load_grader
from tests.support.servers import running_assistant


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "questions", type=Path, nargs="*", default=[Path("tests/heldout/dev.yml")]
    )
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    grader = load_grader()
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_assistant(Path(workdir)) as assistant,
    ):
        print(f"servers ready in {assistant.startup_seconds:.1f} s")
        for questions in args.questions:
            print(f"\n== {questions}")
            grader.grade(
                grader.Bot(assistant.rasa_url, assistant.token),
                yaml.safe_load(questions.read_text()),
                args.show_misses,
            )


if __name__ == "__main__":
    main()
