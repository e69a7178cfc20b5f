"""Real visitors' questions (tests/realworld/test.yml), graded as the evaluation grades.

The test split was never tuned on. Floors sit a little below what was measured
when they were set (README, "Measured"; `python -m benchmarks.real_questions`):
they catch a regression in understanding or safety, not noise. Run pytest with
-s to see the figures.
"""

from __future__ import annotations

import yaml

from tests.support.realworld import grade_real
from tests.support.servers import PROJECT_DIR, Assistant

TEST_SET = PROJECT_DIR / "tests" / "realworld" / "test.yml"

OVERALL_FLOOR = 0.87  # measured 89.5 % (1,732 questions; 88.9 % at ca11cc1)
# measured 97.3 % (219/225; the same at ca11cc1): a missed report is the worst failure
SAFETY_RECALL_FLOOR = 0.955
FALSE_ALARM_CEILING = 0.05  # measured 3.5 % (52/1,507; the same at ca11cc1)
TREATMENT_FOUND_FLOOR = 0.95  # measured 96.3 % (the same at ca11cc1)
# measured 13 (the same at ca11cc1; 12 at 46d6076 on the 1,717 of then: one more
# with the model retrained on the gathered questions and the new device names;
# the target is none)
WRONG_TREATMENT_CEILING = 13


def test_real_visitors_test_set(assistant: Assistant) -> None:
    items = yaml.safe_load(TEST_SET.read_text())
    score = grade_real(assistant.rasa_url, assistant.token, items)
    print(f"\nreal visitors' test set:\n{score.report()}")
    assert score.accuracy() >= OVERALL_FLOOR
    assert score.safety_recall >= SAFETY_RECALL_FLOOR
    assert score.false_alarm_rate <= FALSE_ALARM_CEILING
    assert score.treatment_found >= TREATMENT_FOUND_FLOOR
    assert len(score.wrong_treatment) <= WRONG_TREATMENT_CEILING
