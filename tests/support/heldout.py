"""Held-out visitor questions: loading them and scoring NLU parses of them.

Shared by the held-out test (tests/e2e/test_heldout.py) and the benchmarks
(benchmarks/), so both measure the same way. The files use the shared
grader's format (text, treatment, topic; or turns), see ../shared/tools/grade.py.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import yaml

from tests.support.servers import PROJECT_DIR

HELDOUT_DIR = PROJECT_DIR / "tests" / "heldout"
GRADER = PROJECT_DIR.parent / "shared" / "tools" / "grade.py"

_SPECIAL_INTENTS = {
    "adverse_event": {"report_problem"},
    "out_of_scope": {"out_of_scope", "nlu_fallback"},
    "booking": {"handoff"},
    "concerns": {"ask_concerns", "ask_recommendation"},
}


def load_grader() -> Any:
    """The shared grader module (../shared/tools/grade.py)."""
    spec = importlib.util.spec_from_file_location("grade", GRADER)
    if not (spec and spec.loader and GRADER.exists()):
        raise FileNotFoundError(f"the shared grader is missing: {GRADER}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_items(path: Path) -> List[Dict[str, Any]]:
    """Every item of a held-out file (single questions and dialogues)."""
    return list(yaml.safe_load(path.read_text()))


def single_questions(path: Path) -> List[Dict[str, Any]]:
    """The single questions of a held-out file (dialogues left out)."""
    return [item for item in load_items(path) if "text" in item]


def expected_intents(topic: str) -> set:
    """The intents that count as right for a labelled topic."""
    return _SPECIAL_INTENTS.get(topic, {f"ask_{topic}"})


@dataclass
class NluScore:
    """Intent and treatment accuracy of NLU parses of held-out questions."""

    questions: int = 0
    intent_right: int = 0
    with_treatment: int = 0
    treatment_right: int = 0
    confusions: Counter = field(default_factory=Counter)
    misses: List[str] = field(default_factory=list)
    # (confidence of the best intent other than nlu_fallback, right?, out of scope?)
    ranked: List[Tuple[float, bool, bool]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        """Share of questions whose intent is right."""
        return self.intent_right / max(self.questions, 1)

    @property
    def treatment_accuracy(self) -> float:
        """Share of questions naming a treatment where it was found."""
        return self.treatment_right / max(self.with_treatment, 1)

    def add(self, item: Dict[str, Any], parsed: Dict[str, Any]) -> None:
        """Score one parse (Rasa's parse result) of a labelled question."""
        self.questions += 1
        intent = parsed["intent"]["name"]
        expected = expected_intents(item["topic"])
        if intent in expected:
            self.intent_right += 1
        else:
            self.confusions[(item["topic"], intent)] += 1
            self.misses.append(f"{item['text'][:80]!r}: {item['topic']} -> {intent}")
        best = next(r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback")
        self.ranked.append(
            (
                best["confidence"],
                best["name"] in expected,
                item["topic"] == "out_of_scope",
            )
        )
        if item.get("treatment"):
            self.with_treatment += 1
            found = [
                e["value"] for e in parsed["entities"] if e["entity"] == "treatment"
            ]
            self.treatment_right += item["treatment"] in found

    def fallback_table(self, thresholds: Iterable[float]) -> List[str]:
        """Accuracy and fallback share if the FallbackClassifier used each threshold."""
        rows = []
        for threshold in thresholds:
            right = sum(
                (ok if confidence >= threshold else oos)
                for confidence, ok, oos in self.ranked
            )
            fallen = sum(confidence < threshold for confidence, _, _ in self.ranked)
            rows.append(
                f"  {threshold:.1f}: {right / len(self.ranked):.1%} right, "
                f"{fallen / len(self.ranked):.1%} fall back"
            )
        return rows

    def summary(self) -> str:
        """The figures as text."""
        return (
            f"intent accuracy {self.intent_accuracy:.1%} "
            f"on {self.questions} questions, "
            f"treatment found {self.treatment_accuracy:.1%} "
            f"({self.with_treatment} naming one)"
        )
