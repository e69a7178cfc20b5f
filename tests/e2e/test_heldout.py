"""Held-out visitor questions (tests/heldout/test.yml), never used for training.

Two measures, both printed (run pytest with -s to see them):
- NLU: intent and treatment accuracy of the trained model (HTTP API /model/parse);
- end to end: the shared grader (../shared/tools/grade.py), exactly as the
  held-out evaluation grades the assistant, through the REST channel.
A floor is asserted on both so a regression fails the build.
"""

from __future__ import annotations

from tests.support.heldout import (
    HELDOUT_DIR,
    NluScore,
    load_grader,
    load_items,
    single_questions,
)
from tests.support.servers import Assistant, http_json

HELDOUT = HELDOUT_DIR / "test.yml"

# Floors sit a few points under the accuracy measured when they were set
# (see README, "Measured accuracy"): they catch regressions, not noise.
END_TO_END_FLOOR = 0.85
INTENT_FLOOR = 0.85
TREATMENT_FLOOR = 0.95


def test_nlu_accuracy_on_heldout_questions(assistant: Assistant) -> None:
    score = NluScore()
    for item in single_questions(HELDOUT):
        parsed = http_json(
            f"{assistant.rasa_url}/model/parse?token={assistant.token}",
            {"text": item["text"]},
        )
        score.add(item, parsed)
    print(f"\nNLU on {HELDOUT.name}: {score.summary()}")
    print("\n".join(score.misses))
    assert score.intent_accuracy >= INTENT_FLOOR
    assert score.treatment_accuracy >= TREATMENT_FLOOR


def test_end_to_end_grade_on_heldout_questions(assistant: Assistant) -> None:
    grader = load_grader()
    print()
    bot = grader.Bot(assistant.rasa_url, assistant.token)
    accuracy = grader.grade(bot, load_items(HELDOUT), True)
    assert accuracy >= END_TO_END_FLOOR
