"""NLU parse time in process, by message length: where a long message's cost shows.

Loads the trained model (``models/medspa.tar.gz``) with Rasa's ``Agent`` and
parses the real test set's questions of up to 300 characters (what the load
benchmark sends), one after the other, after a warm-up. Prints, per round, the
CPU time per parse (all threads) and the p50 / p95 wall time for messages
under 100, 100-200 and 200-300 characters. No servers, no network; run it in
two trees back to back to compare two commits.

usage: python -m benchmarks.parse_latency [--model MODEL] [--questions FILE]
       [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from pathlib import Path
from typing import Dict, List, Sequence

from benchmarks.load.__main__ import REALWORLD
from benchmarks.load.visitors import load_questions

BUCKETS = ((100, "<100"), (200, "100-200"), (301, "200-300"))


def bucket(text: str) -> str:
    """The length bucket of a message."""
    return next(name for limit, name in BUCKETS if len(text) < limit)


async def run(model: Path, texts: Sequence[str], rounds: int) -> None:
    """Parse every text ``rounds`` times and print the figures of each round."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    for text in texts[:30]:
        await agent.parse_message(text)
    for round_ in range(rounds):
        spent: Dict[str, List[float]] = {}
        cpu, wall = time.process_time(), time.perf_counter()
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            spent.setdefault(bucket(text), []).append(
                (time.perf_counter() - start) * 1000
            )
        cpu_ms = (time.process_time() - cpu) * 1000 / len(texts)
        wall_ms = (time.perf_counter() - wall) * 1000 / len(texts)
        by_length = "; ".join(
            f"{name} n={len(found)} p50 {statistics.median(found):.1f} "
            f"p95 {sorted(found)[int(0.95 * (len(found) - 1))]:.1f}"
            for _, name in BUCKETS
            if (found := spent.get(name))
        )
        print(
            f"round {round_ + 1}: {len(texts)} parses, CPU {cpu_ms:.1f} ms a parse "
            f"(all threads), wall {wall_ms:.1f} ms; by length (ms): {by_length}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/medspa.tar.gz"))
    parser.add_argument("--questions", type=Path, default=REALWORLD)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    # quiet as the server runs: Rasa's structlog events (one a parse, with the
    # whole parse) are filtered by level, not rendered; ``logging.disable``
    # alone leaves structlog printing them, inside the timed parse
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.disable(logging.INFO)
    asyncio.run(run(args.model, load_questions(args.questions), args.rounds))


if __name__ == "__main__":
    main()
