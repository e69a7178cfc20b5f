"""Print the NLU accuracy of a trained model on held-out visitor questions.

Parses every single question of a held-out file (grader format: text,
treatment, topic) with the model in-process and prints intent accuracy,
treatment accuracy and the most frequent confusions. Used to tune the
pipeline on tests/heldout/dev.yml; tests/heldout/test.yml is the final figure.

usage: python -m benchmarks.nlu_accuracy [--model MODEL] [--data HELDOUT_FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import yaml

SPECIAL = {
    "adverse_event": {"report_problem"},
    "out_of_scope": {"out_of_scope", "nlu_fallback"},
    "booking": {"handoff"},
    "concerns": {"ask_concerns", "ask_recommendation"},
}


def expected_intents(topic: str) -> set:
    """The intents that count as right for a labelled topic."""
    return SPECIAL.get(topic, {f"ask_{topic}"})


def questions(path: Path) -> List[Dict[str, Any]]:
    """The single questions of a held-out file (dialogues left out)."""
    return [item for item in yaml.safe_load(path.read_text()) if "text" in item]


async def evaluate(model: Path, data: Path, show: int) -> None:
    """Parse every question and print the figures."""
    from rasa.core.agent import Agent

    logging.disable(logging.INFO)
    agent = Agent.load(str(model))
    items = questions(data)
    intent_ok = treatment_ok = treatment_n = 0
    confusions: Counter = Counter()
    misses = []
    ranked = []  # (confidence of the best real intent, right?, out of scope?)
    started = time.perf_counter()
    for item in items:
        parsed = await agent.parse_message(item["text"])
        intent = parsed["intent"]["name"]
        best = next(r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback")
        ranked.append(
            (
                best["confidence"],
                best["name"] in expected_intents(item["topic"]),
                item["topic"] == "out_of_scope",
            )
        )
        if intent in expected_intents(item["topic"]):
            intent_ok += 1
        else:
            confusions[(item["topic"], intent)] += 1
            misses.append(f"  {item['text'][:80]!r}: {item['topic']} -> {intent}")
        if item.get("treatment"):
            treatment_n += 1
            found = [
                e["value"] for e in parsed["entities"] if e["entity"] == "treatment"
            ]
            treatment_ok += item["treatment"] in found
    elapsed = time.perf_counter() - started
    print(
        f"{data}: {len(items)} questions, "
        f"{1000 * elapsed / len(items):.1f} ms per parse"
    )
    print(f"intent accuracy    {intent_ok / len(items):.1%}")
    print(
        f"treatment accuracy {treatment_ok / max(treatment_n, 1):.1%} "
        f"({treatment_n} labelled)"
    )
    print("FallbackClassifier threshold -> accuracy (a fallback is right only")
    print("for an out-of-scope question), share of questions falling back:")
    for threshold in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7):
        right = sum(
            (ok if confidence >= threshold else oos) for confidence, ok, oos in ranked
        )
        fallen = sum(confidence < threshold for confidence, _, _ in ranked)
        print(
            f"  {threshold:.1f}: {right / len(ranked):.1%} right, "
            f"{fallen / len(ranked):.1%} fall back"
        )
    print("top confusions (label -> predicted):")
    for (label, predicted), n in confusions.most_common(12):
        print(f"  {n:>3}  {label} -> {predicted}")
    if show:
        print("misses:")
        print("\n".join(misses[:show]))


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("models/medspa.tar.gz"))
    parser.add_argument("--data", type=Path, default=Path("tests/heldout/dev.yml"))
    parser.add_argument("--show", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    asyncio.run(evaluate(args.model, args.data, args.show))


if __name__ == "__main__":
    main()
