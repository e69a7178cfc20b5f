"""Every custom action, run with real rasa-sdk Tracker and CollectingDispatcher.

Messages are rendered with Rasa's own response interpolation against the
project's domain.yml, so the tests read what a visitor would read.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import pytest
from rasa.core.nlg.interpolator import interpolate_text
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as actions_module
from actions.actions import (
    ActionAnswerQuestion,
    ActionChitchat,
    ActionHandoff,
    ActionListTreatments,
    ActionOutOfScope,
    ActionSafety,
    ReplyAction,
)
from medspa.contract import CONTENT_KINDS, TREATMENT_IDS
from medspa.knowledge_base import KnowledgeBase
from medspa.settings import get_settings


def tracker_for(
    text: str,
    intent: str,
    entities: Optional[Dict[str, List[str]]] = None,
    ranking: Optional[List[str]] = None,
    confidence: float = 0.9,
    **slots: Any,
) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent``.

    ``ranking`` lists the intents the NLU ranked, most likely first (by
    default only ``intent``).
    """
    found = [
        {"entity": entity, "value": value, "extractor": "KnowledgeBaseEntityExtractor"}
        for entity, values in (entities or {}).items()
        for value in values
    ]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [
            {"name": name, "confidence": round(0.9 / (i + 1), 3)}
            for i, name in enumerate(ranking or [intent])
        ],
        "entities": found,
    }
    all_slots = {
        "treatment": None,
        "compared": None,
        "pending_topic": None,
        "last_topic": None,
        **slots,
    }
    return Tracker(
        sender_id="visitor",
        slots=all_slots,
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run_action(
    action: ReplyAction, tracker: Tracker, domain: Dict[str, Any]
) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Run an action; its messages (with the rendered ``text``) and events."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    for message in dispatcher.messages:
        template = domain["responses"][message["response"]][0]["text"]
        values = {k: v for k, v in message.items() if k not in ("response", "buttons")}
        message["text"] = interpolate_text(template, values)
    return dispatcher.messages, events


@pytest.fixture(autouse=True)
def project_kb(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions_module, "_cache", None)


def assert_content_reply(message: Dict[str, Any]) -> None:
    assert message["answer"]["kind"] in CONTENT_KINDS
    assert "qualified practitioner" in message["text"]
    assert "{" not in message["text"], message["text"]


async def test_kb_answer_for_a_covered_question(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "does microneedling hurt?", "ask_pain", {"treatment": ["microneedling"]}
    )
    messages, events = await run_action(ActionAnswerQuestion(), tracker, domain)
    entry = kb.entry("microneedling", "pain")
    assert entry.covered
    (message,) = messages
    assert message["answer"] == {
        "kind": "kb",
        "treatment": "microneedling",
        "topic": "pain",
        "covered": True,
        "sources": [entry.source],
    }
    assert entry.answer in message["text"]
    assert_content_reply(message)
    assert SlotSet("treatment", "microneedling") in events
    assert SlotSet("pending_topic", None) in events


async def test_uncovered_question_says_so_honestly(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    treatment, topic = next(
        (t.id, topic)
        for t in kb.treatments.values()
        for topic in t.entries
        if not t.entries[topic].covered
    )
    tracker = tracker_for("question", f"ask_{topic}", {"treatment": [treatment]})
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {
        "kind": "kb",
        "treatment": treatment,
        "topic": topic,
        "covered": False,
        "sources": [],
    }
    assert "don't cover" in message["text"]
    assert (
        kb.topic_labels[kb.treatments[treatment].covered_topics()[0]] in message["text"]
    )
    assert_content_reply(message)


async def test_remembered_treatment_answers_a_follow_up(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for("does it hurt?", "ask_pain", treatment="thermage")
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["kind"] == "kb"
    assert (message["answer"]["treatment"], message["answer"]["topic"]) == (
        "thermage",
        "pain",
    )


async def test_unknown_treatment_is_asked_with_buttons_then_answered(
    domain: Dict[str, Any],
) -> None:
    messages, events = await run_action(
        ActionAnswerQuestion(),
        tracker_for("is there any downtime?", "ask_downtime"),
        domain,
    )
    (message,) = messages
    assert message["answer"] == {"kind": "clarify", "topic": "downtime"}
    assert [b["payload"] for b in message["buttons"]] == [
        f'/inform_treatment{{"treatment":"{t}"}}' for t in TREATMENT_IDS
    ]
    assert events == [SlotSet("pending_topic", "downtime")]

    button = tracker_for(
        message["buttons"][2]["payload"],
        "inform_treatment",
        {"treatment": ["microneedling"]},
        pending_topic="downtime",
    )
    (answer,), events = await run_action(ActionAnswerQuestion(), button, domain)
    assert (
        answer["answer"]["kind"],
        answer["answer"]["treatment"],
        answer["answer"]["topic"],
    ) == (
        "kb",
        "microneedling",
        "downtime",
    )
    assert SlotSet("pending_topic", None) in events


async def test_comparison_of_two_treatments(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "thermage or laser, which hurts less?",
        "ask_pain",
        {"treatment": ["thermage", "laser_skin_tightening"]},
    )
    (message,), events = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {
        "kind": "compare",
        "treatments": ["thermage", "laser_skin_tightening"],
        "topic": "pain",
    }
    assert (
        "Thermage" in message["text"]
        and kb.treatments["laser_skin_tightening"].name in message["text"]
    )
    assert_content_reply(message)
    assert SlotSet("compared", ["thermage", "laser_skin_tightening"]) in events


async def test_recommendation_for_a_concern(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    concern = next(iter(kb.concerns))
    tracker = tracker_for("what helps?", "ask_recommendation", {"concern": [concern]})
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    expected = kb.treatments_for_concern(concern)
    assert message["answer"] == {
        "kind": "recommend",
        "concern": concern,
        "treatments": expected,
    }
    assert [b["title"] for b in message["buttons"]] == [
        kb.treatments[t].name for t in expected
    ]
    assert_content_reply(message)


async def test_recommendation_without_a_known_concern(domain: Dict[str, Any]) -> None:
    (message,), _ = await run_action(
        ActionAnswerQuestion(),
        tracker_for("what do you suggest for me", "ask_recommendation"),
        domain,
    )
    assert message["answer"] == {"kind": "recommend", "concern": None, "treatments": []}
    assert_content_reply(message)


@pytest.mark.parametrize(
    ("ranking", "kind"),
    [
        # out_of_scope second, at 0.45 (the ranking's confidences: 0.9, 0.45, 0.3...)
        (["ask_side_effects", "out_of_scope"], "out_of_scope"),
        # fourth, at 0.225: the question's treatment is asked for
        (["ask_side_effects", "ask_downtime", "ask_pain", "out_of_scope"], "clarify"),
        (["ask_side_effects"], "clarify"),
    ],
)
async def test_a_question_naming_nothing_the_nlu_finds_off_topic_is_out_of_scope(
    ranking: List[str], kind: str, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "Does moderate acne cause scarring?", "ask_side_effects", ranking=ranking
    )
    (message,), events = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["kind"] == kind
    wording = {"clarify": "Which treatment", "out_of_scope": "I can only help"}
    assert wording[kind] in message["text"]


@pytest.mark.parametrize(
    ("action", "intent"),
    [
        (ActionAnswerQuestion(), "ask_downtime"),
        (ActionChitchat(), "greet"),
        (ActionSafety(), "report_problem"),
    ],
)
async def test_a_reported_problem_always_gets_safety_advice(
    action: ReplyAction, intent: str, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "my face is blistering after the laser yesterday, how long is the downtime?",
        intent,
        {"treatment": ["laser_skin_tightening"]},
    )
    (message,), events = await run_action(action, tracker, domain)
    assert message["answer"] == {"kind": "safety"}
    assert message["response"] == "utter_safety"
    assert get_settings().clinic.phone in message["text"]
    assert events == []


async def test_emergency_gets_emergency_advice(domain: Dict[str, Any]) -> None:
    tracker = tracker_for(
        "my throat feels tight after my meso injections", "report_problem"
    )
    (message,), _ = await run_action(ActionSafety(), tracker, domain)
    assert message["response"] == "utter_safety_emergency"
    assert message["answer"] == {"kind": "safety"}


async def test_handoff_uses_the_configured_clinic(
    domain: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_PHONE", "+44 20 7946 0000")
    monkeypatch.setenv("CLINIC_BOOKING_URL", "https://clinic.example/booking")
    get_settings.cache_clear()
    try:
        (message,), _ = await run_action(
            ActionHandoff(), tracker_for("can I book?", "handoff"), domain
        )
    finally:
        get_settings.cache_clear()
    assert message["answer"] == {"kind": "handoff"}
    assert (
        "+44 20 7946 0000" in message["text"]
        and "https://clinic.example/booking" in message["text"]
    )


async def test_list_of_treatments_has_a_button_each(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    (message,), _ = await run_action(
        ActionListTreatments(),
        tracker_for("what do you offer", "list_treatments"),
        domain,
    )
    assert message["answer"] == {"kind": "list", "treatments": list(TREATMENT_IDS)}
    assert len(message["buttons"]) == len(TREATMENT_IDS)
    assert all(t.name in message["text"] for t in kb.treatments.values())


@pytest.mark.parametrize(
    ("intent", "response"),
    [
        ("greet", "utter_greet"),
        ("goodbye", "utter_goodbye"),
        ("thank", "utter_thanks"),
        ("bot_challenge", "utter_bot_challenge"),
    ],
)
async def test_chitchat(intent: str, response: str, domain: Dict[str, Any]) -> None:
    (message,), events = await run_action(
        ActionChitchat(), tracker_for("hello", intent), domain
    )
    assert (message["response"], message["answer"]) == (response, {"kind": "chitchat"})
    assert "{" not in message["text"]
    assert events == []


@pytest.mark.parametrize(
    ("intent", "response"),
    [("out_of_scope", "utter_out_of_scope"), ("nlu_fallback", "utter_default")],
)
async def test_out_of_scope_and_fallback(
    intent: str, response: str, domain: Dict[str, Any]
) -> None:
    (message,), _ = await run_action(
        ActionOutOfScope(), tracker_for("what's the weather", intent), domain
    )
    assert (message["response"], message["answer"]) == (
        response,
        {"kind": "out_of_scope"},
    )


@pytest.mark.parametrize(
    "text",
    ["", "\x00\xff", "<script>alert(1)</script>", "a" * 100_000],
    ids=["empty", "binary", "html", "huge"],
)
async def test_bad_input_gets_a_graceful_reply(
    text: str, domain: Dict[str, Any]
) -> None:
    (message,), _ = await run_action(
        ActionOutOfScope(), tracker_for(text, "nlu_fallback"), domain
    )
    assert message["answer"] == {"kind": "out_of_scope"}


async def test_every_kb_pair_renders_with_disclaimer(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    for treatment in kb.treatments.values():
        for topic in treatment.entries:
            tracker = tracker_for("q", f"ask_{topic}", {"treatment": [treatment.id]})
            (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
            if topic == "comparison":
                assert message["answer"]["kind"] == "compare"
            else:
                assert message["answer"]["treatment"] == treatment.id
            assert_content_reply(message)


async def test_a_single_treatment_comparison_is_remembered(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "how does thermage compare with other treatments?",
        "ask_comparison",
        {"treatment": ["thermage"]},
    )
    (message,), events = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {
        "kind": "compare",
        "treatments": ["thermage"],
        "topic": "comparison",
    }
    assert SlotSet("treatment", "thermage") in events
    assert_content_reply(message)


@pytest.mark.parametrize(
    ("action", "text", "intent"),
    [
        (
            ActionOutOfScope(),
            "so thermage, my sister swears by it... ouchy?",
            "nlu_fallback",
        ),
        (ActionOutOfScope(), "thermage: will I be screaming lol", "out_of_scope"),
        (ActionChitchat(), "hiya! does thermage hurt", "greet"),
    ],
    ids=["fallback", "out-of-scope", "greeting"],
)
async def test_a_message_naming_a_treatment_gets_its_likeliest_question(
    action: ReplyAction, text: str, intent: str, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        text,
        intent,
        {"treatment": ["thermage"]},
        ranking=[intent, "ask_pain", "ask_downtime"],
    )
    (message,), events = await run_action(action, tracker, domain)
    assert message["answer"]["kind"] == "kb"
    assert (message["answer"]["treatment"], message["answer"]["topic"]) == (
        "thermage",
        "pain",
    )
    assert SlotSet("treatment", "thermage") in events
    assert_content_reply(message)


async def test_thanks_naming_a_treatment_stays_small_talk(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "thanks, thermage sounds great",
        "thank",
        {"treatment": ["thermage"]},
        ranking=["thank", "ask_overview"],
    )
    (message,), events = await run_action(ActionChitchat(), tracker, domain)
    assert message["answer"] == {"kind": "chitchat"}
    assert events == []


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "is there anything you offer for thinning hair?",
            {"concern": ["hair_loss"]},
            {"kind": "recommend", "concern": "hair_loss"},
        ),
        (
            "is Titan something you do here?",
            {"treatment": ["infrared_laser"]},
            {"kind": "kb", "treatment": "infrared_laser", "topic": "overview"},
        ),
    ],
    ids=["concern", "one-treatment"],
)
async def test_a_list_question_with_a_subject_answers_it(
    text: str,
    entities: Dict[str, List[str]],
    expected: Dict[str, str],
    domain: Dict[str, Any],
) -> None:
    (message,), _ = await run_action(
        ActionListTreatments(), tracker_for(text, "list_treatments", entities), domain
    )
    assert {k: message["answer"][k] for k in expected} == expected
    assert_content_reply(message)


@pytest.mark.parametrize(
    ("action", "intent", "kind"),
    [
        (ActionAnswerQuestion(), "ask_cost", "out_of_scope"),
        (ActionListTreatments(), "list_treatments", "out_of_scope"),
        (ActionHandoff(), "handoff", "handoff"),
    ],
)
async def test_a_treatment_not_offered_is_named_honestly(
    action: ReplyAction,
    intent: str,
    kind: str,
    kb: KnowledgeBase,
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "how much is lip filler?",
        intent,
        {"other_treatment": ["fillers"]},
        treatment="thermage",
    )
    (message,), events = await run_action(action, tracker, domain)
    assert message["answer"] == {"kind": kind}
    if kind == "out_of_scope":
        assert message["response"] == "utter_not_offered"
        assert kb.not_offered["fillers"].name in message["text"]
        assert get_settings().clinic.phone in message["text"]
        assert "{" not in message["text"]
    assert events == []


async def test_a_treatment_ruled_out_is_not_the_question(
    domain: Dict[str, Any],
) -> None:
    text = "I really don't want botox, what can you do for my wrinkles?"
    found = [
        {"entity": "other_treatment", "value": "botox", "start": text.index("botox")},
        {"entity": "concern", "value": "wrinkles", "start": text.index("wrinkles")},
    ]
    tracker = tracker_for(text, "ask_recommendation")
    tracker.latest_message["entities"] = found
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["kind"] == "recommend"
    assert message["answer"]["concern"] == "wrinkles"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("What alternatives to Laser360 are available?", "laser360"),
        ("Is there an alternative to Aerolase?", "aerolase"),
    ],
)
async def test_alternatives_to_a_procedure_not_offered_name_the_nearest(
    text: str, name: str, kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    """Asked for alternatives to a procedure it does not give, the assistant
    says so and names the nearest treatment offered, not a comparison of all
    six."""
    tracker = tracker_for(text, "ask_comparison")
    start = text.lower().index(name)
    tracker.latest_message["entities"] = [
        {"entity": "other_treatment", "value": "other_lasers", "start": start}
    ]
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {"kind": "out_of_scope"}
    assert message["response"] == "utter_not_offered_nearest"
    assert kb.treatments["laser_skin_tightening"].name in message["text"]


@pytest.mark.parametrize(
    ("action", "text", "intent"),
    [
        (
            ActionAnswerQuestion(),
            "How long does a consultation take?",
            "ask_procedure_time",
        ),
        (ActionOutOfScope(), "Do you offer payment plans?", "out_of_scope"),
    ],
)
async def test_a_question_about_visiting_the_clinic_gets_the_team(
    action: ReplyAction, text: str, intent: str, domain: Dict[str, Any]
) -> None:
    """Not "which treatment do you mean?": the clinic's contacts."""
    (message,), events = await run_action(action, tracker_for(text, intent), domain)
    assert message["answer"] == {"kind": "handoff"}
    assert get_settings().clinic.phone in message["text"]


async def test_a_procedure_not_offered_points_to_the_nearest(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "how long is the downtime after fractional CO2?",
        "ask_downtime",
        {"other_treatment": ["ablative_resurfacing"]},
    )
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {"kind": "out_of_scope"}
    assert message["response"] == "utter_not_offered_nearest"
    assert kb.not_offered["ablative_resurfacing"].name in message["text"]
    assert kb.treatments["laser_skin_tightening"].name in message["text"]
    assert "{" not in message["text"]


async def test_the_safety_classifier_flag_gets_safety_advice(
    domain: Dict[str, Any],
) -> None:
    text = "my face looks uneven since the Morpheus8, is that normal?"
    tracker = tracker_for(text, "ask_downtime", {"treatment": ["rf_microneedling"]})
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["kind"] == "kb"  # no cue of a report in these words
    tracker.latest_message["safety"] = {"score": 0.9, "report": True}
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {"kind": "safety"}


async def test_the_report_intent_the_safety_classifier_rules_out_is_a_question(
    domain: Dict[str, Any],
) -> None:
    text = "I spaced my 3rd Morpheus8 treatment 11 weeks from the 2nd, was it wasted?"
    tracker = tracker_for(
        text,
        "report_problem",
        {"treatment": ["rf_microneedling"]},
        ranking=["report_problem", "ask_sessions"],
    )
    (message,), _ = await run_action(ActionSafety(), tracker, domain)
    assert message["answer"] == {"kind": "safety"}  # no score: the intent decides
    tracker.latest_message["safety"] = {"score": 0.02, "report": False}
    (message,), _ = await run_action(ActionSafety(), tracker, domain)
    assert message["answer"]["kind"] == "kb"
    assert message["answer"]["treatment"] == "rf_microneedling"
    assert message["answer"]["topic"] == "sessions"


Answered = Union[Dict[str, Any], Tuple[Dict[str, Any], ...]]


def _after(
    earlier: List[Answered], text: str, intent: str, **entities: List[str]
) -> Tracker:
    """A tracker whose conversation had the ``earlier`` bot answers.

    Each item of ``earlier`` answers one visitor message: an answer, or a
    tuple of the answers of the bot's messages to it.
    """
    tracker = tracker_for(text, intent, entities)
    history: List[Dict[str, Any]] = [{"event": "bot", "text": "Hi!"}]
    for answers in earlier:
        history.append({"event": "user", "text": "..."})
        for answer in answers if isinstance(answers, tuple) else (answers,):
            history.append(
                {"event": "bot", "text": "...", "metadata": {"answer": answer}}
            )
    tracker.events = history + tracker.events
    return tracker


@pytest.mark.parametrize(
    ("earlier", "text", "intent", "entities", "kind"),
    [
        (
            [{"kind": "safety"}],
            "should I put ice on it?",
            "ask_aftercare",
            {},
            "safety",
        ),
        ([{"kind": "safety"}], "how long will it last", "ask_downtime", {}, "safety"),
        (
            [{"kind": "safety"}, {"kind": "chitchat"}],
            "can I put makeup on it?",
            "ask_aftercare",
            {},
            "safety",
        ),
        (
            [{"kind": "safety"}],
            "ok and how much is thermage?",
            "ask_cost",
            {"treatment": ["thermage"]},
            "kb",
        ),
        (
            [{"kind": "safety"}, {"kind": "kb"}],
            "should I put ice on it?",
            "ask_aftercare",
            {"treatment": ["thermage"]},
            "kb",
        ),
        ([], "should I put ice on it?", "ask_aftercare", {}, "clarify"),
        (
            [({"kind": "safety"}, {"kind": "out_of_scope"})],
            "should I put ice on it?",
            "ask_aftercare",
            {},
            "safety",
        ),
        (
            [({"kind": "safety"}, {"kind": "out_of_scope"}), {"kind": "kb"}],
            "should I put ice on it?",
            "ask_aftercare",
            {"treatment": ["thermage"]},
            "kb",
        ),
    ],
    ids=[
        "ice",
        "how-long",
        "after-thanks",
        "something-else",
        "closed-by-an-answer",
        "no-problem-reported",
        "advice-then-a-decline",
        "advice-then-a-decline-closed-by-an-answer",
    ],
)
async def test_a_follow_up_about_the_problem_stays_safety(
    earlier: List[Dict[str, Any]],
    text: str,
    intent: str,
    entities: Dict[str, List[str]],
    kind: str,
    domain: Dict[str, Any],
) -> None:
    tracker = _after(earlier, text, intent, **entities)
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["kind"] == kind


async def test_a_change_that_may_be_normal_quotes_the_usual_recovery(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "I'm 4 days out from Morpheus8 and peeling, is that normal?",
        "ask_downtime",
        {"treatment": ["rf_microneedling"]},
    )
    tracker.latest_message["safety"] = {"score": 0.8, "report": True}
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {"kind": "safety"}
    assert message["response"] == "utter_safety_recovery"
    assert kb.entry("rf_microneedling", "downtime").answer in message["text"]
    assert get_settings().clinic.phone in message["text"]
    assert "qualified practitioner" in message["text"]
    assert "{" not in message["text"]


async def test_a_problem_after_a_treatment_given_elsewhere_sends_to_that_practitioner(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    tracker = tracker_for(
        "My left eye lid droops 5 days after Botox, will it get worse?",
        "report_problem",
        {"other_treatment": ["botox"]},
    )
    (message, decline), events = await run_action(ActionSafety(), tracker, domain)
    assert message["answer"] == {"kind": "safety"}
    assert message["response"] == "utter_safety_elsewhere"
    assert kb.not_offered["botox"].name in message["text"]
    assert "practitioner who gave you" in message["text"]
    assert get_settings().clinic.phone in message["text"]
    assert "{" not in message["text"]
    # then the honest word that the clinic does not offer it, no FAQ answer
    assert decline["answer"] == {"kind": "out_of_scope"}
    assert decline["response"] == "utter_not_offered_after_safety"
    assert kb.not_offered["botox"].name in decline["text"]
    assert "{" not in decline["text"]
    assert events == []


async def test_an_emergency_after_a_treatment_given_elsewhere_is_an_emergency(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "my throat is closing after my filler injection",
        "report_problem",
        {"other_treatment": ["fillers"]},
    )
    (message,), _ = await run_action(ActionSafety(), tracker, domain)
    assert message["response"] == "utter_safety_emergency"


async def test_a_generic_laser_asks_which_of_the_two_lasers(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "does the laser hurt?",
        "ask_pain",
        {"generic_treatment": ["laser_skin_tightening", "infrared_laser"]},
    )
    (message,), events = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"] == {"kind": "clarify", "topic": "pain"}
    assert [b["payload"] for b in message["buttons"]] == [
        '/inform_treatment{"treatment":"laser_skin_tightening"}',
        '/inform_treatment{"treatment":"infrared_laser"}',
    ]
    assert events == [SlotSet("pending_topic", "pain")]


async def test_a_generic_laser_in_a_conversation_about_one_is_that_one(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "does the laser hurt?",
        "ask_pain",
        {"generic_treatment": ["laser_skin_tightening", "infrared_laser"]},
        treatment="infrared_laser",
    )
    (message,), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert message["answer"]["treatment"] == "infrared_laser"
    assert_content_reply(message)


async def test_an_unsure_report_intent_alone_is_answered_as_its_question(
    domain: Dict[str, Any],
) -> None:
    # the NLU is unsure (0.35) and neither its safety classifier nor the cues
    # read a report: the question ranked next is answered
    tracker = tracker_for(
        "What will my skin look like following thermage?",
        "report_problem",
        {"treatment": ["thermage"]},
        ranking=["report_problem", "ask_downtime"],
        confidence=0.35,
    )
    (message,), _ = await run_action(ActionSafety(), tracker, domain)
    assert message["answer"]["kind"] == "kb"
    assert message["answer"]["topic"] == "downtime"
    # sure enough, the same message is a report
    sure = tracker_for(
        "What will my skin look like following thermage?",
        "report_problem",
        {"treatment": ["thermage"]},
        confidence=0.6,
    )
    (message,), _ = await run_action(ActionSafety(), sure, domain)
    assert message["answer"]["kind"] == "safety"


async def test_a_post_s_other_question_is_offered_after_the_answer(
    domain: Dict[str, Any],
) -> None:
    tracker = tracker_for(
        "Is Fraxel painful? ... How long is the downtime?",
        "ask_pain",
        {"treatment": ["laser_skin_tightening"]},
    )
    tracker.latest_message["other_question"] = {
        "intent": "ask_downtime",
        "confidence": 0.8,
        "text": "How long is the downtime?",
    }
    (answer, offer), _ = await run_action(ActionAnswerQuestion(), tracker, domain)
    assert answer["answer"]["topic"] == "pain"
    assert_content_reply(answer)
    assert offer["response"] == "utter_offer_other"
    assert offer["answer"] == answer["answer"]  # it belongs to the same reply
    assert "downtime" in offer["text"].lower()
    assert offer["buttons"] == [
        {
            "title": offer["topic_label"],
            "payload": '/ask_downtime{"treatment":"laser_skin_tightening"}',
        }
    ]
