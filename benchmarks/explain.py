"""Show how the NLU reads questions: intent, runners-up, safety score, cues, names.

For a closer look at a miss of ``benchmarks.cross_validate`` (with ``--keep``,
its fold models) or of the real-questions benchmark, without the servers.

usage: python -m benchmarks.explain --model MODEL.tar.gz TEXT [TEXT ...]
       python -m benchmarks.explain --model MODEL.tar.gz --questions FILE
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any, Dict, List

import yaml

from medspa import safety
from medspa.cues import default_cues
from medspa.sentences import focus


def describe(text: str, parsed: Dict[str, Any]) -> str:
    """One block of lines about one parsed message."""
    ranking = parsed.get("intent_ranking") or []
    runners = ", ".join(f"{r['name']} {r['confidence']:.2f}" for r in ranking[:3])
    reading = parsed.get("safety") or {}
    entities = ", ".join(
        f"{e['entity']}={e['value']}" for e in parsed.get("entities") or []
    )
    cues = sorted(default_cues().found(text, safety.SAFETY_CUES))
    return "\n".join(
        [
            f"text:    {' '.join(text.split())[:160]}",
            f"focus:   {' '.join(focus(text).split())[:160]}",
            f"intent:  {runners}",
            f"safety:  score {reading.get('score', 0):.2f}; cues "
            f"{safety.assess(text)} {cues}",
            f"names:   {entities}",
        ]
    )


async def explain(model: Path, texts: List[str]) -> None:
    """Parse every text with the model and print what it read."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    for text in texts:
        print(describe(text, await agent.parse_message(text)), end="\n\n")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("models/medspa.tar.gz"))
    parser.add_argument("--questions", type=Path)
    parser.add_argument("texts", nargs="*")
    args = parser.parse_args()
    texts = list(args.texts)
    if args.questions:
        texts += [str(i["text"]) for i in yaml.safe_load(args.questions.read_text())]
    asyncio.run(explain(args.model, texts))


if __name__ == "__main__":
    main()
