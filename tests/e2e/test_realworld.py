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

OVERALL_FLOOR = 0.87  # measured 88.2 % (1,717 questions; 88.0 % at 7979e90)
# measured 96.7 % (204/211; the same at 7979e90): a missed report is the worst failure
SAFETY_RECALL_FLOOR = 0.955
FALSE_ALARM_CEILING = 0.05  # measured 3.9 % (58/1,506; the same at 7979e90)
TREATMENT_FOUND_FLOOR = 0.95  # measured 96.3 % (the same at 7979e90)
WRONG_TREATMENT_CEILING = 12  # measured 12 (12 at 7979e90 on the same 1,717)


def test_real_visitors_test_set(assistant: Assistant) -> None:
    items = yaml.safe_load(TEST_SET.read_text())
    score = grade_real(assistant.rasa_url, assistant.token, items)
    print(f"\nreal visitors' test set:\n{score.report()}")
    assert score.accuracy() >= OVERALL_FLOOR
    assert score.safety_recall >= SAFETY_RECALL_FLOOR
    assert score.false_alarm_rate <= FALSE_ALARM_CEILING
    assert score.treatment_found >= TREATMENT_FOUND_FLOOR
    assert len(score.wrong_treatment) <= WRONG_TREATMENT_CEILING
