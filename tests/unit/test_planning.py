"""What kind of reply each turn gets: the dialogue logic without Rasa."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import pytest

from medspa.contract import TREATMENT_IDS
from medspa.planning import (
    Plan,
    Turn,
    clinic_visit_plan,
    decline_plan,
    definition_plan,
    not_offered_plan,
    off_topic_plan,
    offer_plan,
    other_care_plan,
    plan_chitchat,
    plan_list,
    plan_out_of_scope,
    plan_question,
    safety_plan,
    topic_of_intent,
)
from medspa.safety import Severity


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (
            Turn("ask_pain", treatments=("microneedling",)),
            Plan("kb", "pain", ("microneedling",)),
        ),
        (Turn("ask_pain", remembered="thermage"), Plan("kb", "pain", ("thermage",))),
        (
            Turn("ask_pain", treatments=("mesotherapy",), remembered="thermage"),
            Plan("kb", "pain", ("mesotherapy",)),
        ),
        (Turn("ask_downtime"), Plan("clarify", "downtime")),
        (
            Turn(
                "inform_treatment", treatments=("thermage",), pending_topic="downtime"
            ),
            Plan("kb", "downtime", ("thermage",)),
        ),
        (
            Turn("ask_overview", treatments=("thermage",), pending_topic="downtime"),
            Plan("kb", "downtime", ("thermage",)),
        ),
        (
            Turn("inform_treatment", treatments=("thermage",)),
            Plan("kb", "overview", ("thermage",)),
        ),
        (
            Turn(
                "inform_treatment", treatments=("rf_microneedling",), last_topic="pain"
            ),
            Plan("kb", "pain", ("rf_microneedling",)),
        ),
        (
            Turn(
                "ask_pain",
                "thermage or laser, which hurts less?",
                treatments=("thermage", "laser_skin_tightening"),
            ),
            Plan("compare", "pain", ("thermage", "laser_skin_tightening")),
        ),
        (
            Turn(
                "ask_candidates",
                "can rf microneedling be done on dark skin? a laser left marks",
                treatments=("rf_microneedling", "laser_skin_tightening"),
            ),
            Plan("kb", "candidates", ("rf_microneedling",)),
        ),
        (
            Turn(
                "ask_comparison", treatments=("thermage",), remembered="microneedling"
            ),
            Plan("compare", "comparison", ("microneedling", "thermage")),
        ),
        (
            Turn("ask_comparison", treatments=("thermage",)),
            Plan("compare", "comparison", ("thermage",)),
        ),
        (Turn("ask_comparison"), Plan("compare", "comparison", TREATMENT_IDS)),
        (
            Turn("ask_sessions", compared=("thermage", "infrared_laser")),
            Plan("compare", "sessions", ("thermage", "infrared_laser")),
        ),
        (
            Turn("ask_recommendation", concerns=("acne_scars",)),
            Plan("recommend", "concerns", concern="acne_scars"),
        ),
        (
            Turn("ask_concerns", concerns=("acne_scars",)),
            Plan("recommend", "concerns", concern="acne_scars"),
        ),
        (
            Turn("ask_concerns", concerns=("acne_scars",), remembered="microneedling"),
            Plan("kb", "concerns", ("microneedling",), concern="acne_scars"),
        ),
        (
            Turn(
                "ask_recommendation", treatments=("thermage",), concerns=("wrinkles",)
            ),
            Plan("kb", "concerns", ("thermage",), concern="wrinkles"),
        ),
        (
            Turn("ask_areas", treatments=("thermage",), areas=("neck",)),
            Plan("kb", "areas", ("thermage",), area="neck"),
        ),
        (Turn("greet"), Plan("out_of_scope")),
    ],
)
def test_plan_question(turn: Turn, expected: Plan) -> None:
    plan = plan_question(turn)
    assert plan == Plan(
        expected.kind,
        expected.topic,
        expected.treatments,
        expected.concern,
        expected.area,
        intent=turn.intent,
    )


def test_topic_of_intent() -> None:
    assert topic_of_intent("ask_results_duration") == "results_duration"
    assert topic_of_intent("ask_recommendation") is None
    assert topic_of_intent("greet") is None


def test_safety_plan_wins_for_a_reported_problem() -> None:
    turn = Turn("ask_downtime", text="my skin is blistering since my laser yesterday")
    plan = safety_plan(turn)
    assert (
        plan is not None and plan.kind == "safety" and plan.severity is Severity.PROBLEM
    )


@pytest.mark.parametrize(
    ("treatments", "others", "vague", "expected_treatments", "expected_other"),
    [
        ((), ("botox",), (), (), "botox"),
        (("thermage",), ("botox",), (), ("thermage",), None),
        ((), ("botox",), ("laser_skin_tightening",), ("thermage",), None),
        ((), (), (), ("thermage",), None),
    ],
    ids=["elsewhere", "also-ours", "also-a-laser", "remembered"],
)
def test_safety_plan_names_a_treatment_given_elsewhere(
    treatments: tuple,
    others: tuple,
    vague: tuple,
    expected_treatments: tuple,
    expected_other: str,
) -> None:
    turn = Turn(
        "report_problem",
        text="my eyelid droops since the injections last week",
        treatments=treatments,
        others=others,
        vague=vague,
        remembered="thermage",
    )
    plan = safety_plan(turn, reported_by_nlu=True)
    assert plan is not None and plan.kind == "safety"
    assert (plan.treatments, plan.other) == (expected_treatments, expected_other)


def test_safety_plan_trusts_the_nlu() -> None:
    plan = safety_plan(
        Turn("report_problem", text="something is wrong"), reported_by_nlu=True
    )
    assert plan is not None and plan.severity is Severity.PROBLEM
    assert safety_plan(Turn("ask_pain", text="does it hurt?")) is None


@pytest.mark.parametrize(
    ("score", "report"),
    [(None, True), (0.6, True), (0.1, True), (0.02, False)],
)
def test_the_nlu_report_intent_needs_the_safety_classifier_not_to_rule_it_out(
    score: Optional[float], report: bool
) -> None:
    """The intent alone is not a report when the classifier all but rules one out."""
    text = "I spaced my 3rd E-matrix treatment 11 weeks from the 2nd. Was it wasted?"
    turn = Turn("report_problem", text=text, report_score=score)
    plan = safety_plan(turn, reported_by_nlu=True)
    assert (plan is not None and plan.kind == "safety") is report
    # a symptom the cues read is a report, whatever the score
    told = replace(turn, text="I had E-matrix 3 days ago and my face is blistering")
    assert safety_plan(told, reported_by_nlu=True) is not None


@pytest.mark.parametrize(
    "turn",
    [
        Turn("report_problem", text="can't breathe after injection"),
        Turn("ask_pain", text="chest pain after the session", reported=True),
        Turn("out_of_scope", text="and now chest pain", problem_open=True),
    ],
    ids=["nlu", "classifier", "follow-up"],
)
def test_an_emergency_read_without_the_cue_rule_is_an_emergency(turn: Turn) -> None:
    plan = safety_plan(turn, reported_by_nlu=True)
    assert plan is not None and plan.severity is Severity.EMERGENCY
    assert plan.topic is None  # no article about the usual recovery


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("Can Fraxel cause hyperpigmentation?", False),
        ("Is peeling normal after laser?", False),
        ("is hyperpigmentation common after fraxel? how long does it last?", False),
        ("can it cause hyperpigmentation? mine is getting darker", True),
        ("is peeling normal? it started after my session", True),
        ("is this normal 3 days after thermage?", True),
        ("the treated area is hot and oozing", True),
        ("something is wrong", True),
    ],
)
def test_the_nlu_report_intent_is_not_read_into_a_mere_question(
    text: str, report: bool
) -> None:
    """A message that only asks, and tells of no person and no time, is a question."""
    plan = safety_plan(Turn("report_problem", text=text), reported_by_nlu=True)
    assert (plan is not None and plan.kind == "safety") is report
    # the safety classifier's reading still counts
    turn = Turn("report_problem", text=text, reported=True)
    assert safety_plan(turn, reported_by_nlu=True) is not None


@pytest.mark.parametrize(
    ("text", "report"),
    [
        ("I am thinking of getting Botox. Can it cause nerve damage?", False),
        ("I'm considering Thermage but I worry about burns and blisters", False),
        ("Planning to have Morpheus8: how swollen will I be?", False),
        ("I want to try meso but could it leave lumps?", False),
        ("I had Fraxel 3 days ago, considering another, my face is blistering", True),
        ("thinking of my last session, my cheek is still numb", True),
        ("considering a second session but I can't breathe right now", True),
        ("my skin is burnt and oozing", True),
    ],
)
def test_a_treatment_still_to_come_is_not_read_as_a_report(
    text: str, report: bool
) -> None:
    """Weighing a treatment, with nothing had yet, reports nothing."""
    turn = Turn("report_problem", text=text, reported=True)
    plan = safety_plan(turn, reported_by_nlu=True)
    assert (plan is not None and plan.kind == "safety") is report


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("list_treatments"), Plan("list", treatments=TREATMENT_IDS)),
        (
            Turn("list_treatments", concerns=("hair_loss",)),
            Plan("recommend", "concerns", concern="hair_loss"),
        ),
        (
            Turn("list_treatments", treatments=("infrared_laser",)),
            Plan("kb", "overview", ("infrared_laser",)),
        ),
        (
            Turn("list_treatments", treatments=("thermage", "mesotherapy")),
            Plan("list", treatments=TREATMENT_IDS),
        ),
    ],
    ids=["plain", "concern", "one-treatment", "two-treatments"],
)
def test_plan_list(turn: Turn, expected: Plan) -> None:
    plan = plan_list(turn)
    assert (plan.kind, plan.topic, plan.treatments, plan.concern) == (
        expected.kind,
        expected.topic,
        expected.treatments,
        expected.concern,
    )


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("greet"), ("chitchat", None, ())),
        (Turn("thank", treatments=("thermage",)), ("chitchat", None, ())),
        (
            Turn("greet", treatments=("thermage",), ranking=("greet", "ask_pain")),
            ("kb", "pain", ("thermage",)),
        ),
        (
            Turn("greet", treatments=("thermage",), ranking=("greet", "thank")),
            ("kb", "overview", ("thermage",)),
        ),
        (
            Turn(
                "greet",
                treatments=("thermage",),
                ranking=("greet", "list_treatments", "ask_cost"),
            ),
            ("kb", "overview", ("thermage",)),
        ),
    ],
    ids=[
        "greeting",
        "thanks-naming-one",
        "greeting-then-question",
        "no-question",
        "greeting-do-you-offer",
    ],
)
def test_plan_chitchat(turn: Turn, expected: tuple) -> None:
    plan = plan_chitchat(turn)
    assert (plan.kind, plan.topic, plan.treatments) == expected


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("out_of_scope"), ("out_of_scope", None, ())),
        (
            Turn(
                "nlu_fallback",
                treatments=("infrared_laser",),
                ranking=("out_of_scope", "ask_overview"),
            ),
            ("kb", "overview", ("infrared_laser",)),
        ),
        (
            Turn(
                "out_of_scope",
                treatments=("mesotherapy",),
                ranking=("out_of_scope", "ask_sessions"),
                remembered="thermage",
            ),
            ("kb", "sessions", ("mesotherapy",)),
        ),
    ],
    ids=["unrelated", "fallback-naming-one", "out-of-scope-naming-one"],
)
def test_plan_out_of_scope(turn: Turn, expected: tuple) -> None:
    plan = plan_out_of_scope(turn)
    assert (plan.kind, plan.topic, plan.treatments) == expected


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("ask_overview", others=("botox",)), Plan("out_of_scope", other="botox")),
        (
            Turn("ask_cost", others=("fillers",), remembered="thermage"),
            Plan("out_of_scope", other="fillers"),
        ),
        (Turn("ask_comparison", treatments=("thermage",), others=("surgery",)), None),
        (Turn("ask_pain", treatments=("thermage",)), None),
        (Turn("ask_candidates", declined=("ipl",)), Plan("out_of_scope", other="ipl")),
        (
            Turn("ask_comparison", declined=("other_lasers",)),
            Plan("out_of_scope", other="other_lasers"),
        ),
        (Turn("ask_recommendation", declined=("botox",), concerns=("wrinkles",)), None),
        (Turn("ask_overview", declined=("surgery",), remembered="thermage"), None),
        (
            Turn(
                "ask_pain", declined=("surgery",), vague=("thermage", "infrared_laser")
            ),
            None,
        ),
    ],
    ids=[
        "botox",
        "filler-after-thermage",
        "thermage-vs-facelift",
        "no-other",
        "who-should-not-have-m22",
        "alternatives-to-laser360",
        "instead-of-botox-for-wrinkles",
        "without-surgery-after-thermage",
        "without-surgery-a-laser",
    ],
)
def test_not_offered_plan(turn: Turn, expected: Optional[Plan]) -> None:
    plan = not_offered_plan(turn)
    if expected is None:
        assert plan is None
    else:
        assert plan is not None
        assert (plan.kind, plan.other) == (expected.kind, expected.other)


LASERS = ("laser_skin_tightening", "infrared_laser")


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        # "does the laser hurt?": no treatment named, ask which laser
        (Turn("ask_pain", vague=LASERS), Plan("clarify", "pain", LASERS)),
        # the conversation is about one of them: that one
        (
            Turn("ask_pain", vague=LASERS, remembered="infrared_laser"),
            Plan("kb", "pain", ("infrared_laser",)),
        ),
        # ... but not about another treatment the word can't mean
        (
            Turn("ask_pain", vague=LASERS, remembered="thermage"),
            Plan("clarify", "pain", LASERS),
        ),
        # a named treatment beside it is the subject
        (
            Turn("ask_pain", treatments=("microneedling",), vague=LASERS),
            Plan("kb", "pain", ("microneedling",)),
        ),
        # "microneedling or laser for acne scars?" compares with every meaning
        (
            Turn("ask_comparison", treatments=("microneedling",), vague=LASERS),
            Plan("compare", "comparison", ("microneedling", *LASERS)),
        ),
    ],
)
def test_a_generic_word_names_no_treatment(turn: Turn, expected: Plan) -> None:
    plan = plan_question(turn)
    assert (plan.kind, plan.topic, plan.treatments) == (
        expected.kind,
        expected.topic,
        expected.treatments,
    )


def test_a_generic_word_out_of_the_nlu_s_reach_is_still_asked_about() -> None:
    plan = plan_out_of_scope(Turn("out_of_scope", vague=LASERS, ranking=("ask_cost",)))
    assert (plan.kind, plan.topic, plan.treatments) == ("clarify", "cost", LASERS)


@pytest.mark.parametrize(
    ("turn", "plan", "offered"),
    [
        # "Is Fraxel painful? ... How long is the downtime?"
        (
            Turn("ask_pain", other_intent="ask_downtime"),
            Plan("kb", "pain", ("laser_skin_tightening",)),
            Plan("kb", "downtime", ("laser_skin_tightening",), intent="ask_downtime"),
        ),
        # the same topic twice, no other question, or not a kb answer: no offer
        (
            Turn("ask_pain", other_intent="ask_pain"),
            Plan("kb", "pain", ("laser_skin_tightening",)),
            None,
        ),
        (Turn("ask_pain"), Plan("kb", "pain", ("thermage",)), None),
        (
            Turn("ask_pain", other_intent="ask_downtime"),
            Plan("clarify", "pain"),
            None,
        ),
        (Turn("report_problem", other_intent="ask_downtime"), Plan("safety"), None),
    ],
)
def test_offer_plan(turn: Turn, plan: Plan, offered: Optional[Plan]) -> None:
    assert offer_plan(turn, plan) == offered


@pytest.mark.parametrize(
    ("plan", "declined"),
    [
        # advice about a procedure the clinic does not give, then its decline
        (
            Plan("safety", other="botox", severity=Severity.PROBLEM, intent="i"),
            Plan("out_of_scope", other="botox", intent="i"),
        ),
        # emergency care is all an emergency gets
        (Plan("safety", other="botox", severity=Severity.EMERGENCY), None),
        # advice about a treatment the clinic gives, or no safety advice: none
        (Plan("safety", treatments=("thermage",), severity=Severity.PROBLEM), None),
        (Plan("out_of_scope", other="botox"), None),
    ],
    ids=["elsewhere", "emergency", "offered-here", "not-safety"],
)
def test_decline_plan(plan: Plan, declined: Optional[Plan]) -> None:
    assert decline_plan(plan) == declined


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("How long does a consultation take?", "ask_procedure_time", "handoff"),
        ("How does the deposit work?", "ask_mechanism", "handoff"),
        ("What are your clinic hours?", "ask_procedure_time", "handoff"),
        ("Do you offer payment plans?", "out_of_scope", "handoff"),
        ("Is there parking?", "out_of_scope", "handoff"),
        ("Do you offer financing?", "out_of_scope", "handoff"),
        ("Where is the clinic?", "out_of_scope", "handoff"),
        ("Do you take walk-ins?", "out_of_scope", "handoff"),
        ("How soon could we be seen?", "ask_results_timeline", "handoff"),
        ("Can I be seen next week?", "out_of_scope", "handoff"),
        ("Are same-day appointments possible?", "out_of_scope", "handoff"),
        ("Is it a long drive from the airport?", "out_of_scope", "handoff"),
        ("Do I need a referral?", "out_of_scope", "handoff"),
        ("Do your packages expire?", "out_of_scope", "handoff"),
        ("Do I have to borrow the full price?", "ask_cost", "handoff"),
        ("Can I apply for half of it?", "out_of_scope", "handoff"),
        ("Which payment methods do you accept?", "out_of_scope", "handoff"),
        ("Do you take credit cards?", "ask_cost", "handoff"),
        ("How much does it cost?", "ask_cost", "clarify"),
        ("Should I apply sunscreen after?", "ask_aftercare", "clarify"),
        ("Can I be seen in public after the treatment?", "ask_downtime", "clarify"),
        ("Can I walk in the sun after my treatment?", "ask_aftercare", "clarify"),
        ("How long is the appointment?", "ask_procedure_time", "clarify"),
        ("Can I go to the park after my treatment?", "ask_aftercare", "clarify"),
        ("Does it hurt?", "ask_pain", "clarify"),
        ("What is the weather like?", "out_of_scope", "out_of_scope"),
    ],
)
def test_a_question_about_visiting_the_clinic_goes_to_the_team(
    text: str, intent: str, expected: str
) -> None:
    turn = Turn(intent, text)
    planned = (
        plan_question(turn) if intent.startswith("ask_") else plan_out_of_scope(turn)
    )
    assert clinic_visit_plan(turn, planned).kind == expected


@pytest.mark.parametrize(
    "turn",
    [
        Turn(
            "ask_cost", "how much is a microneedling consultation?", ("microneedling",)
        ),
        Turn("ask_cost", "is the Botox consultation free?", others=("botox",)),
    ],
    ids=["names-a-treatment", "names-a-procedure-not-offered"],
)
def test_a_plan_about_a_named_treatment_is_kept(turn: Turn) -> None:
    planned = not_offered_plan(turn) or plan_question(turn)
    assert clinic_visit_plan(turn, planned) == planned


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("ask_overview", "What is cellulite?"), "out_of_scope"),
        (Turn("ask_overview", "whats melasma"), "out_of_scope"),
        (Turn("ask_overview", "What is “skin cycling”?"), "out_of_scope"),
        (Turn("ask_overview", "What is the treatment?"), "clarify"),
        (Turn("ask_overview", "What is it?"), "clarify"),
        (Turn("ask_overview", "what are the benefits"), "clarify"),
        (Turn("ask_overview", "What is this procedure like?"), "clarify"),
        (
            Turn(
                "ask_overview",
                "What is laser?",
                vague=("laser_skin_tightening", "infrared_laser"),
            ),
            "clarify",
        ),
        (Turn("ask_pain", "What is painful?"), "clarify"),
        (Turn("ask_overview", "What is Thermage?", ("thermage",)), "kb"),
    ],
)
def test_a_question_about_what_a_word_means_is_out_of_scope(
    turn: Turn, expected: str
) -> None:
    assert definition_plan(turn, plan_question(turn)).kind == expected


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (Turn("ask_candidates", "Is Accutane safe?"), "out_of_scope"),
        (Turn("ask_side_effects", "Will the surgery leave a scar?"), "out_of_scope"),
        (Turn("ask_aftercare", "any restrictions after surgery?"), "out_of_scope"),
        (Turn("ask_sessions", "how many units do I need"), "out_of_scope"),
        (Turn("ask_candidates", "can I have it if I'm on Accutane"), "clarify"),
        (Turn("ask_preparation", "should I stop tretinoin before?"), "clarify"),
        (Turn("ask_aftercare", "when can I restart my Retin-A"), "clarify"),
        (Turn("ask_preparation", "do I need to stop retinol"), "clarify"),
        (
            Turn(
                "ask_candidates",
                "Can I use Retin-A while I'm pregnant? I am pregnant with my first "
                "child, so I worry about everything I use. My doctor says it is "
                "fine but I keep reading otherwise online, and the leaflet is no "
                "help at all. Thank you so much for reading all of this. What do "
                "you think?",
            ),
            "out_of_scope",
        ),
        (
            Turn(
                "ask_candidates",
                "Can I get laser on Accutane?",
                vague=("laser_skin_tightening", "infrared_laser"),
            ),
            "clarify",
        ),
        (Turn("ask_candidates", "Thermage on Accutane?", ("thermage",)), "kb"),
    ],
)
def test_a_question_about_a_medicine_or_surgery_alone_is_out_of_scope(
    turn: Turn, expected: str
) -> None:
    assert other_care_plan(turn, plan_question(turn)).kind == expected


@pytest.mark.parametrize(
    "turn, plan_of, expected",
    [
        (
            Turn("ask_recommendation", "How can I get rid of stretch marks?"),
            plan_question,
            "out_of_scope",
        ),
        (Turn("ask_concerns", "what helps rosacea?"), plan_question, "out_of_scope"),
        (
            Turn("ask_results_timeline", "how long do spider veins take to fade?"),
            plan_question,
            "out_of_scope",
        ),
        (Turn("list_treatments", "do you treat rosacea?"), plan_list, "out_of_scope"),
        (Turn("ask_recommendation", "what helps my acne?"), plan_question, "recommend"),
        (Turn("list_treatments", "what do you offer?"), plan_list, "list"),
        (
            Turn(
                "ask_concerns",
                "does microneedling help stretch marks?",
                ("microneedling",),
            ),
            plan_question,
            "kb",
        ),
        (
            Turn(
                "ask_recommendation",
                "what helps wrinkles and stretch marks?",
                concerns=("wrinkles",),
            ),
            plan_question,
            "recommend",
        ),
        (
            Turn(
                "ask_sessions", "how many sessions will my stretch marks need with it?"
            ),
            plan_question,
            "clarify",
        ),
        (
            Turn(
                "ask_concerns",
                "can a laser fix dark circles?",
                vague=("laser_skin_tightening", "infrared_laser"),
            ),
            plan_question,
            "clarify",
        ),
    ],
)
def test_a_condition_the_articles_treat_nowhere_is_out_of_scope(
    turn: Turn, plan_of: Any, expected: str
) -> None:
    assert other_care_plan(turn, plan_of(turn)).kind == expected


@pytest.mark.parametrize(
    "turn, expected",
    [
        # names nothing, and the NLU finds it as likely off-topic as not
        (Turn("ask_side_effects", "Does moderate acne cause scarring?", off_topic=0.4),
         "out_of_scope"),
        (Turn("ask_recommendation", "Will sunlight improve acne?", off_topic=0.35),
         "out_of_scope"),
        # a question with its treatment left out: the NLU sees no other subject
        (Turn("ask_downtime", "is there any downtime?", off_topic=0.02), "clarify"),
        (Turn("ask_recommendation", "what would you suggest?", off_topic=0.1),
         "recommend"),
        # a treatment named, meant by a generic word, or remembered: answered
        (Turn("ask_side_effects", "is thermage risky?", ("thermage",), off_topic=0.5),
         "kb"),
        (Turn("ask_pain", "does the laser hurt?", off_topic=0.5,
              vague=("laser_skin_tightening", "infrared_laser")), "clarify"),
        (Turn("ask_pain", "does it hurt?", off_topic=0.5, remembered="thermage"),
         "kb"),
        # a recommendation for a concern it could name is kept
        (Turn("ask_recommendation", "what helps wrinkles?", concerns=("wrinkles",),
              off_topic=0.5), "recommend"),
    ],
)  # fmt: skip
def test_a_question_naming_nothing_that_may_be_off_topic_is_out_of_scope(
    turn: Turn, expected: str
) -> None:
    assert off_topic_plan(turn, plan_question(turn)).kind == expected
