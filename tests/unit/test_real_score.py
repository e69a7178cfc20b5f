"""The real-questions report: figures always, items by name only when asked."""

from __future__ import annotations

from tests.support.heldout import load_grader
from tests.support.realworld import RealScore

ITEM = {
    "text": "Will Titan burn my skin?",
    "treatment": "infrared_laser",
    "topic": "side_effects",
    "origin": "public",
}
WRONG = [{"kind": "kb", "treatment": "thermage", "topic": "side_effects"}]


def test_an_answer_about_another_treatment_is_counted() -> None:
    score = RealScore()
    score.add(ITEM, WRONG, ok=False)
    assert len(score.wrong_treatment) == 1
    assert score.treatment_found == 0.0
    assert score.accuracy() == 0.0


def test_the_report_names_items_only_when_misses_are_asked_for() -> None:
    """Run on the test set, the benchmark prints counts: no item to tune on."""
    score = RealScore()
    score.add(ITEM, WRONG, ok=False)
    assert "answers about a treatment not named: 1" in score.report()
    assert ITEM["text"] not in score.report()
    assert ITEM["text"] in score.report(show_misses=True)


def test_misses_are_counted_by_the_kind_expected_and_the_kind_given() -> None:
    grader = load_grader()
    score = RealScore()
    report = {"text": "I got burned by Titan", "treatment": None}
    reports = {**report, "topic": "adverse_event"}
    for item, answers, ok in [
        (ITEM, WRONG, False),
        (reports, [{"kind": "kb"}], False),
        (reports, [], False),
        (reports, [{"kind": "safety"}], True),
    ]:
        score.add(item, answers, ok, grader.expected_of(item)["kinds"])
    assert score.kind_confusions == {
        ("kb", "kb"): 1,
        ("safety", "kb"): 1,
        ("safety", "no reply"): 1,
    }
    assert "    1  safety -> kb" in score.report()
    merged = RealScore()
    merged.merge(score)
    assert merged.kind_confusions == score.kind_confusions
