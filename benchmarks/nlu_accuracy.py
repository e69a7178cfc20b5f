"""Print the NLU accuracy of a trained model on held-out visitor questions.

Parses every single question of a held-out file (grader format: text,
treatment, topic) with the model in-process and prints intent accuracy,
treatment accuracy, what each FallbackClassifier threshold would give, and the
most frequent confusions. Used to tune the pipeline on tests/heldout/dev.yml;
tests/heldout/test.yml gives the reported figures.

usage: python -m benchmarks.nlu_accuracy [--model MODEL] [--data HELDOUT_FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from pathlib import Path

from tests.support.heldout import HELDOUT_DIR, NluScore, single_questions


async def evaluate(model: Path, data: Path, show: int) -> None:
    """Parse every question and print the figures."""
    from rasa.core.agent import Agent

    logging.disable(logging.INFO)
    agent = Agent.load(str(model))
    score = NluScore()
    items = single_questions(data)
    started = time.perf_counter()
    for item in items:
        score.add(item, await agent.parse_message(item["text"]))
    elapsed = time.perf_counter() - started
    print(f"{data}: {1000 * elapsed / len(items):.1f} ms per parse")
    print(score.summary())
    print("FallbackClassifier threshold -> accuracy (a fallback is right only")
    print("for an out-of-scope question), share of questions falling back:")
    print("\n".join(score.fallback_table((0.0, 0.3, 0.4, 0.5, 0.6, 0.7))))
    print("top confusions (label -> predicted):")
    for (label, predicted), n in score.confusions.most_common(12):
        print(f"  {n:>3}  {label} -> {predicted}")
    if show:
        print("misses:")
        print("\n".join(f"  {miss}" for miss in score.misses[:show]))


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("models/medspa.tar.gz"))
    parser.add_argument("--data", type=Path, default=HELDOUT_DIR / "dev.yml")
    parser.add_argument("--show", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    asyncio.run(evaluate(args.model, args.data, args.show))


if __name__ == "__main__":
    main()
