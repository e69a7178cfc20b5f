"""The corpus of real visitors' questions keeps its shape and its split rule.

tests/realworld/{dev,test}.yml were gathered verbatim from public pages and
split by source page (scripts/split_realworld.py). These checks keep them
honest: the contract's ids, the split rule, no page on both sides, the sizes
the understanding issue asks for, and no test question in the training data.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from medspa.contract import TREATMENT_IDS
from scripts.split_realworld import check, side_of
from tests.support.realworld import GATHERED_FILES

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_DIR = PROJECT_DIR / "tests" / "realworld"


def _items(side: str) -> List[Dict[str, Any]]:
    return yaml.safe_load((REAL_DIR / f"{side}.yml").read_text())


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("side", ["dev", "test"])
def test_items_use_the_contract_ids_and_follow_the_split_rule(side: str) -> None:
    for index, item in enumerate(_items(side)):
        check(item, f"{side}.yml[{index}]")
        assert side_of(item["source"]) == side, item["source"]


def test_no_source_page_is_on_both_sides() -> None:
    dev = {i["source"] for i in _items("dev")}
    test = {i["source"] for i in _items("test")}
    assert dev & test == set()


def test_the_corpus_has_the_size_and_coverage_asked_for() -> None:
    items = _items("dev") + _items("test")
    topics = Counter(i["topic"] for i in items)
    assert len(items) >= 600
    assert topics["adverse_event"] >= 120
    assert topics["out_of_scope"] >= 60
    assert (
        sum(
            1
            for i in items
            if i["treatment"] is None
            and i["topic"] not in ("adverse_event", "out_of_scope", "booking")
        )
        >= 20
    )
    named = Counter(i["treatment"] for i in _items("test"))
    assert all(named[t] > 0 for t in TREATMENT_IDS), named


def test_no_test_question_is_in_the_training_data() -> None:
    training = " ".join(
        _norm(path.read_text())
        for path in sorted((PROJECT_DIR / "data").rglob("*.yml"))
    )
    leaked = [
        i["text"]
        for i in _items("test")
        if len(_norm(i["text"])) >= 40 and _norm(i["text"])[:60] in training
    ]
    assert leaked == []


@pytest.mark.parametrize("path", GATHERED_FILES, ids=lambda p: p.name)
def test_questions_gathered_for_training_are_not_in_the_corpus(path: Path) -> None:
    """The questions gathered for training come from other pages.

    ``data/nlu/gathered_*.yml`` hold real questions copied from public pages
    for training only: none of their pages is a source of the corpus and none
    of their texts is a corpus question, so the real test set stays unseen and
    the dev set is not counted twice.
    """
    content = yaml.safe_load(path.read_text())
    examples = [e for block in content["nlu"] for e in block["examples"]]
    assert len(examples) >= 150
    corpus = _items("dev") + _items("test")
    sources = {i["source"] for i in corpus}
    texts = {_norm(i["text"]) for i in corpus}
    assert all(e["metadata"]["source"].startswith("http") for e in examples)
    assert [e for e in examples if e["metadata"]["source"] in sources] == []
    assert [e for e in examples if _norm(e["text"]) in texts] == []
