"""Split the corpus of real visitors' questions into dev and test, by source page.

The rule, written in each file's header: an item goes to ``test`` when the
first byte of the SHA-256 of its source page's address is even, else to
``dev``. All questions of one page land on the same side, so no page's wording
leaks from test into tuning. The rule depends on the address only, so running
this script again on ``dev.yml`` and ``test.yml`` reproduces the same split.

Items are checked against the contract's ids and de-duplicated (the same text
twice is kept once, first seen).

usage: python scripts/split_realworld.py RAW.yml [RAW.yml ...] --out tests/realworld
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medspa.contract import TOPIC_IDS, TREATMENT_IDS  # noqa: E402

SPECIAL_TOPICS = ("adverse_event", "out_of_scope", "booking")
ORIGINS = ("public", "clinic")
KEYS = ("text", "treatment", "topic", "origin", "source", "also", "also_topics")

HEADER = """\
# Real visitors' questions: {side} split ({count} questions from {pages} source pages).
#
# Gathered from stored copies of public pages (Q&A sites such as RealSelf,
# forums, clinic FAQ pages, and the FAQ arrays in clinic websites' public
# source code), copied VERBATIM (typos and all; a post is its title, a space,
# then its body, cut at 1500 characters) with the page's address in `source`.
# Nobody on this project wrote or paraphrased a question; we only labelled
# them by ../shared/contract.md. `origin`: public (written by a member of the
# public) or clinic (a clinic's own FAQ item). Grader format
# (../shared/tools/grade.py): topic adverse_event = a report of a problem after
# a treatment (expects safety advice), out_of_scope, booking (handoff).
#
# Split rule (scripts/split_realworld.py), applied once, by source page: an item
# is in TEST when the first byte of sha256(source address) is even, else in DEV.
# {purpose}
"""
PURPOSE = {
    "dev": "DEV: tune on it; its phrasings may be copied into the training data.",
    "test": (
        "TEST: never tuned on, never copied into training data. `make grade` "
        "reports it first."
    ),
}


def side_of(source: str) -> str:
    """``test`` or ``dev`` for a source page's address."""
    return "test" if hashlib.sha256(source.encode()).digest()[0] % 2 == 0 else "dev"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def check(item: Dict[str, Any], where: str) -> None:
    """Raise ValueError when an item's labels are not the contract's ids."""
    if not isinstance(item.get("text"), str) or not item["text"].strip():
        raise ValueError(f"{where}: no text")
    if item.get("treatment") not in (None, *TREATMENT_IDS):
        raise ValueError(f"{where}: unknown treatment {item.get('treatment')!r}")
    if item.get("topic") not in (*TOPIC_IDS, *SPECIAL_TOPICS):
        raise ValueError(f"{where}: unknown topic {item.get('topic')!r}")
    if item.get("origin") not in ORIGINS:
        raise ValueError(f"{where}: origin must be one of {ORIGINS}")
    if not str(item.get("source") or "").startswith("http"):
        raise ValueError(f"{where}: no source address")
    for topic in item.get("also_topics") or []:
        if topic not in TOPIC_IDS:
            raise ValueError(f"{where}: unknown also_topics entry {topic!r}")


def split(paths: List[Path]) -> Dict[str, List[Dict[str, Any]]]:
    """The checked, de-duplicated items of ``paths``, by side."""
    seen = set()
    sides: Dict[str, List[Dict[str, Any]]] = {"dev": [], "test": []}
    for path in paths:
        for index, item in enumerate(yaml.safe_load(path.read_text()) or []):
            check(item, f"{path}[{index}]")
            key = _norm(item["text"])
            if key in seen:
                continue
            seen.add(key)
            clean = {"text": item["text"], "treatment": item.get("treatment")}
            clean.update({k: item[k] for k in KEYS[2:] if item.get(k)})
            sides[side_of(item["source"])].append(clean)
    return sides


def write(side: str, items: List[Dict[str, Any]], out: Path) -> None:
    """Write one side with its header, items sorted by source page."""
    items = sorted(items, key=lambda i: (i["source"], i["text"]))
    header = HEADER.format(
        side=side,
        count=len(items),
        pages=len({i["source"] for i in items}),
        purpose=PURPOSE[side],
    )
    body = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=10**6)
    (out / f"{side}.yml").write_text(header + body)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("tests/realworld"))
    args = parser.parse_args()
    sides = split(args.raw)
    args.out.mkdir(parents=True, exist_ok=True)
    for side, items in sides.items():
        write(side, items, args.out)
        print(f"{side}: {len(items)} questions")


if __name__ == "__main__":
    main()
