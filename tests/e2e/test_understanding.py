"""Real visitors' ways of writing, through the real servers on loopback.

Long posts, brand names, procedures the clinic doesn't offer, and a problem
report followed by a question about it. The wording here is this project's
own (never copied from tests/realworld/test.yml).
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import yaml

from tests.support.realworld import grade_real
from tests.support.servers import PROJECT_DIR, Assistant

REALWORLD = PROJECT_DIR / "tests" / "realworld"
DEV_REPORT_RECALL_FLOOR = 0.97

STORY = (
    "I am 52 and I have spent months reading reviews and comparing clinics in "
    "my area, and my sister had a few treatments last year that she liked. "
    "I have sensitive skin and a busy job, so I want to be careful. "
)


def _ask(assistant: Assistant, sender: str, text: str) -> List[Dict[str, Any]]:
    assistant.say(sender, text)
    return assistant.turn_answers(sender)


def _one(assistant: Assistant, text: str) -> Dict[str, Any]:
    answers = _ask(assistant, f"test-{uuid.uuid4().hex[:12]}", text)
    assert answers, text
    return answers[0]


def test_a_long_post_is_answered_for_its_title_question(
    assistant: Assistant,
) -> None:
    post = "How many Morpheus8 sessions will I need? " + STORY * 3
    answer = _one(assistant, post)
    assert (answer["kind"], answer.get("treatment"), answer.get("topic")) == (
        "kb",
        "rf_microneedling",
        "sessions",
    )


def test_a_post_asking_two_things_gets_the_main_answer_and_the_other_offered(
    assistant: Assistant,
) -> None:
    sender = f"test-{uuid.uuid4().hex[:12]}"
    post = "Does Thermage hurt? " + STORY * 2 + "And how long do the results last?"
    replies = assistant.say(sender, post)
    answers = assistant.turn_answers(sender)
    assert [(a["kind"], a["treatment"], a["topic"]) for a in answers] == [
        ("kb", "thermage", "pain"),
        ("kb", "thermage", "pain"),  # the offer belongs to the same answer
    ]
    offer = replies[-1]
    assert "how long results last" in offer["text"]
    (button,) = offer["buttons"]
    # the button asks the other question, answered without the NLU
    assistant.say(sender, button["payload"])
    (answer,) = assistant.turn_answers(sender)
    assert (answer["kind"], answer["treatment"], answer["topic"]) == (
        "kb",
        "thermage",
        "results_duration",
    )


def test_a_generic_laser_gets_asked_which_laser(assistant: Assistant) -> None:
    sender = f"test-{uuid.uuid4().hex[:12]}"
    replies = assistant.say(sender, "how much does laser cost?")
    assert assistant.turn_answers(sender) == [{"kind": "clarify", "topic": "cost"}]
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert titles == ["Laser skin tightening", "Infrared laser tightening"]
    assistant.say(sender, replies[0]["buttons"][1]["payload"])
    (answer,) = assistant.turn_answers(sender)
    assert (answer["kind"], answer["treatment"], answer["topic"]) == (
        "kb",
        "infrared_laser",
        "cost",
    )


def test_a_report_at_the_end_of_a_long_story_gets_safety_advice(
    assistant: Assistant,
) -> None:
    post = (
        "Titan on my neck. "
        + STORY * 4
        + "I had it done 5 days ago and now there are blisters and it's oozing."
    )
    assert _one(assistant, post)["kind"] == "safety"


def test_brand_names_find_their_treatment(assistant: Assistant) -> None:
    for text, treatment in (
        ("does NIR skin tightening hurt?", "infrared_laser"),
        ("how long does Fraxel Restore take?", "laser_skin_tightening"),
        ("is Potenza painful", "rf_microneedling"),
    ):
        answer = _one(assistant, text)
        assert answer.get("treatment") == treatment, (text, answer)


def test_a_procedure_not_offered_is_declined_not_mistaken(
    assistant: Assistant,
) -> None:
    for text in (
        "how long is the downtime after fractional CO2 laser?",
        "IPL laser for sun spots, how many sessions?",
    ):
        assert _one(assistant, text)["kind"] == "out_of_scope", text


def test_peeling_skin_is_recovery_not_a_chemical_peel(assistant: Assistant) -> None:
    """ "peel" the verb is downtime; only the noun names the peels not offered."""
    answer = _one(assistant, "how long will my skin peel after microneedling?")
    assert (answer["kind"], answer.get("treatment"), answer.get("topic")) == (
        "kb",
        "microneedling",
        "downtime",
    )
    assert _one(assistant, "will my skin peel after the laser")["kind"] == "clarify"
    assert _one(assistant, "do you do peels")["kind"] == "out_of_scope"


def test_a_question_about_risks_or_recovery_is_answered_not_alarmed(
    assistant: Assistant,
) -> None:
    """A question about risks or recovery, telling of no person, reports nothing."""
    for text, topic in (
        ("Can Fraxel cause hyperpigmentation?", "side_effects"),
        ("Is peeling normal after fraxel?", "downtime"),
    ):
        answer = _one(assistant, text)
        assert (answer["kind"], answer.get("treatment"), answer.get("topic")) == (
            "kb",
            "laser_skin_tightening",
            topic,
        ), text
    told = _one(assistant, "can fraxel cause hyperpigmentation? mine got darker")
    assert told["kind"] == "safety"


def test_an_emergency_told_without_i_or_when_gets_emergency_advice(
    assistant: Assistant,
) -> None:
    sender = f"test-{uuid.uuid4().hex[:12]}"
    assert [
        a["kind"] for a in _ask(assistant, sender, "cant breathe after injection")
    ] == ["safety"]
    (text,) = assistant.turn_texts(sender)
    assert text.startswith("This may be a medical emergency"), text


def test_a_follow_up_about_a_reported_problem_stays_safety(
    assistant: Assistant,
) -> None:
    sender = f"test-{uuid.uuid4().hex[:12]}"
    first = _ask(assistant, sender, "my cheeks blistered after the laser yesterday")
    assert [a["kind"] for a in first] == ["safety"]
    assert [a["kind"] for a in _ask(assistant, sender, "should I put ice on it?")] == [
        "safety"
    ]
    cost = _ask(assistant, sender, "ok, and how much does thermage cost?")
    assert [(a["kind"], a.get("treatment")) for a in cost] == [("kb", "thermage")]


def test_the_dev_problem_reports_get_safety_advice(assistant: Assistant) -> None:
    """A floor just below the measured recall on the dev split's real reports.

    The dev split is tuned on (tests/realworld/dev.yml), so this guards against
    regressions; the real figure is measured on test.yml by the benchmark.
    """
    items = yaml.safe_load((REALWORLD / "dev.yml").read_text())
    reports = [i for i in items if i["topic"] == "adverse_event"]
    score = grade_real(assistant.rasa_url, assistant.token, reports)
    assert len(reports) >= 60
    assert score.safety_recall >= DEV_REPORT_RECALL_FLOOR, score.report(True)
