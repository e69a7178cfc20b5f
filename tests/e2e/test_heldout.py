"""Held-out visitor questions (tests/heldout/test.yml), never used for training.

Two measures, both printed (run pytest with -s to see them):
- NLU: intent and treatment accuracy of the trained model (HTTP API /model/parse);
- end to end: the shared grader (../shared/tools/grade.py), exactly as the
  held-out evaluation grades the assistant, through the REST channel.
A floor is asserted on both so a regression fails the build.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Dict, List

import pytest
import yaml

from tests.support.servers import PROJECT_DIR, Assistant, http_json

HELDOUT = PROJECT_DIR / "tests" / "heldout" / "test.yml"
GRADER = PROJECT_DIR.parent / "shared" / "tools" / "grade.py"

# Floors sit a few points under the accuracy measured when they were set
# (see README, "Measured accuracy"): they catch regressions, not noise.
END_TO_END_FLOOR = 0.80
INTENT_FLOOR = 0.80
TREATMENT_FLOOR = 0.95


def load_grader() -> Any:
    spec = importlib.util.spec_from_file_location("grade", GRADER)
    assert spec and spec.loader, f"grader missing: {GRADER}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def single_questions() -> List[Dict[str, Any]]:
    items = yaml.safe_load(HELDOUT.read_text())
    return [item for item in items if "text" in item]


def expected_intents(item: Dict[str, Any]) -> set:
    topic = item.get("topic")
    special = {
        "adverse_event": {"report_problem"},
        "out_of_scope": {"out_of_scope", "nlu_fallback"},
        "booking": {"handoff"},
    }
    if topic in special:
        return special[topic]
    if topic == "concerns":
        return {"ask_concerns", "ask_recommendation"}
    return {f"ask_{topic}"}


def test_nlu_accuracy_on_heldout_questions(assistant: Assistant) -> None:
    items = single_questions()
    intent_ok = treatment_ok = treatment_n = 0
    misses = []
    for item in items:
        parsed = http_json(
            f"{assistant.rasa_url}/model/parse?token={assistant.token}",
            {"text": item["text"]},
        )
        intent = parsed["intent"]["name"]
        if intent in expected_intents(item):
            intent_ok += 1
        else:
            misses.append(f"{item['text'][:70]!r}: want {item['topic']}, got {intent}")
        if item.get("treatment"):
            treatment_n += 1
            found = [
                e["value"] for e in parsed["entities"] if e["entity"] == "treatment"
            ]
            treatment_ok += item["treatment"] in found
    intent_acc = intent_ok / len(items)
    treatment_acc = treatment_ok / treatment_n
    print(
        f"\nNLU on {len(items)} held-out questions: intent accuracy {intent_acc:.1%}, "
        f"treatment found {treatment_acc:.1%} ({treatment_n} with a treatment)"
    )
    print("\n".join(misses[:40]))
    assert intent_acc >= INTENT_FLOOR
    assert treatment_acc >= TREATMENT_FLOOR


def test_end_to_end_grade_on_heldout_questions(assistant: Assistant) -> None:
    if not GRADER.exists():
        pytest.fail(f"the shared grader is missing: {GRADER}")
    grader = load_grader()
    items = yaml.safe_load(HELDOUT.read_text())
    print()
    accuracy = grader.grade(
        grader.Bot(assistant.rasa_url, assistant.token), items, True
    )
    assert accuracy >= END_TO_END_FLOOR
