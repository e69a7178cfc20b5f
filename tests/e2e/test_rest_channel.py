"""End to end: the real action server and Rasa server on loopback.

Messages go in over the REST channel; the `answer` metadata is read back
through the HTTP API with the token, as staff analytics and the graders do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from medspa.contract import CONTENT_KINDS, TREATMENT_IDS
from tests.support.servers import Assistant, http_json


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def ask(assistant: Assistant, sender: str, text: str) -> list:
    assistant.say(sender, text)
    return assistant.turn_answers(sender)


def test_does_microneedling_hurt(assistant: Assistant) -> None:
    sender = new_sender()
    replies = assistant.say(sender, "does microneedling hurt?")
    (answer,) = assistant.turn_answers(sender)
    assert {k: answer[k] for k in ("kind", "treatment", "topic")} == {
        "kind": "kb",
        "treatment": "microneedling",
        "topic": "pain",
    }
    assert answer["covered"] is True and answer["sources"] == [
        "002_abd2556e1dc0e659.txt"
    ]
    (text,) = assistant.turn_texts(sender)
    assert "qualified practitioner" in text
    # the REST channel sends each paragraph of the bot's message on its own
    assert [r["text"] for r in replies] == text.split("\n\n")


def test_the_api_needs_the_token(assistant: Assistant) -> None:
    sender = new_sender()
    assistant.say(sender, "hello")
    for url in (
        f"{assistant.rasa_url}/conversations/{sender}/tracker",
        f"{assistant.rasa_url}/conversations/{sender}/tracker?token=wrong",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            http_json(url)
        assert refused.value.code == 401


def test_context_carries_over_and_a_new_treatment_replaces_it(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    (first,) = ask(assistant, sender, "tell me about thermage")
    assert (first["kind"], first["treatment"], first["topic"]) == (
        "kb",
        "thermage",
        "overview",
    )
    (second,) = ask(assistant, sender, "does it hurt?")
    assert (second["treatment"], second["topic"]) == ("thermage", "pain")
    (third,) = ask(assistant, sender, "what about mesotherapy?")
    assert (third["treatment"], third["topic"]) == ("mesotherapy", "pain")
    (fourth,) = ask(assistant, sender, "how many sessions do I need")
    assert (fourth["treatment"], fourth["topic"]) == ("mesotherapy", "sessions")


def test_clarify_with_a_button_answers_the_pending_topic(assistant: Assistant) -> None:
    sender = new_sender()
    (reply,) = assistant.say(sender, "is there any downtime?")
    assert assistant.turn_answers(sender) == [{"kind": "clarify", "topic": "downtime"}]
    titles = [b["title"] for b in reply["buttons"]]
    assert len(titles) == len(TREATMENT_IDS) and "Thermage" in titles
    payload = next(b["payload"] for b in reply["buttons"] if b["title"] == "Thermage")
    (answer,) = ask(assistant, sender, payload)
    assert (answer["kind"], answer["treatment"], answer["topic"]) == (
        "kb",
        "thermage",
        "downtime",
    )


def test_comparison_and_recommendation(assistant: Assistant) -> None:
    (compare,) = ask(
        assistant, new_sender(), "thermage or laser skin tightening, which hurts less?"
    )
    assert compare["kind"] == "compare"
    assert set(compare["treatments"]) == {"thermage", "laser_skin_tightening"}
    (recommend,) = ask(assistant, new_sender(), "what helps with acne scars?")
    assert recommend["kind"] == "recommend" and recommend["concern"] == "acne_scars"
    assert "microneedling" in recommend["treatments"]


def test_safety_wins_over_an_faq_reading(assistant: Assistant) -> None:
    sender = new_sender()
    ask(assistant, sender, "how long is the downtime after microneedling?")
    answers = ask(
        assistant,
        sender,
        "I had microneedling 2 days ago and now it's oozing yellow pus, "
        "how long is the downtime?",
    )
    assert answers == [{"kind": "safety"}]
    (text,) = assistant.turn_texts(sender)
    assert "contact" in text.lower() and "urgent medical care" in text


def test_a_problem_after_a_procedure_not_offered_gets_advice_then_the_decline(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    answers = ask(
        assistant, sender, "My left eyelid droops 5 days after Botox, is that bad?"
    )
    assert answers == [{"kind": "safety"}, {"kind": "out_of_scope"}]
    advice, decline = assistant.turn_texts(sender)
    assert "practitioner who gave you Botox" in advice
    assert "urgent medical care" in advice
    assert "doesn't offer Botox" in decline
    # the decline does not close the problem: a follow-up about it stays safety
    assert ask(assistant, sender, "should I put ice on it?") == [{"kind": "safety"}]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi there", "chitchat"),
        ("what treatments do you offer?", "list"),
        ("can I book an appointment for next week?", "handoff"),
        ("who won the football last night?", "out_of_scope"),
    ],
)
def test_every_kind_of_reply(assistant: Assistant, text: str, kind: str) -> None:
    answers = ask(assistant, new_sender(), text)
    assert [a["kind"] for a in answers] == [kind]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi! does thermage hurt?", ("kb", "thermage", "pain")),
        ("u do titan here?", ("kb", "infrared_laser", "overview")),
        ("how much is lip filler with you?", ("out_of_scope", None, None)),
        ("do you do laser hair removal?", ("out_of_scope", None, None)),
        ("anything you offer for thinning hair?", ("recommend", None, None)),
    ],
    ids=["greeting-then-question", "do-you-offer", "filler", "hair-removal", "concern"],
)
def test_what_the_visitor_means_not_the_first_words(
    assistant: Assistant, text: str, expected: tuple
) -> None:
    (answer,) = ask(assistant, new_sender(), text)
    assert (answer["kind"], answer.get("treatment"), answer.get("topic")) == expected


def test_a_treatment_not_offered_is_named_and_the_memory_kept(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    ask(assistant, sender, "tell me about thermage")
    (answer,) = ask(assistant, sender, "and do you do botox?")
    assert answer == {"kind": "out_of_scope"}
    assert "Botox" in assistant.turn_texts(sender)[0]
    (after,) = ask(assistant, sender, "ok, does thermage hurt then?")
    assert (after["treatment"], after["topic"]) == ("thermage", "pain")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "<img src=x onerror=alert(1)>",
        "\x00\x01\x02 binary \ufffd",
        "¿Duele el microneedling? 微针疼吗",
        "thermage " * 20_000,
    ],
    ids=["empty", "blank", "html", "binary", "other-languages", "huge"],
)
def test_bad_input_gets_a_reply_and_the_conversation_goes_on(
    assistant: Assistant, text: str
) -> None:
    sender = new_sender()
    answers = ask(assistant, sender, text)
    assert len(answers) == 1 and answers[0]["kind"]
    (answer,) = ask(assistant, sender, "does thermage hurt?")
    assert (answer["treatment"], answer["topic"]) == ("thermage", "pain")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'"just a string"',
        json.dumps({"message": "hi"}).encode(),
        json.dumps({"sender": "x", "message": 42}).encode(),
        json.dumps({"sender": "x" * 300, "message": "hi"}).encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_requests_do_not_break_the_server(
    assistant: Assistant, body: bytes
) -> None:
    request = urllib.request.Request(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 400
    (answer,) = ask(assistant, new_sender(), "does microneedling hurt?")
    assert answer["topic"] == "pain"


def test_every_content_reply_carries_the_disclaimer(assistant: Assistant) -> None:
    for text in (
        "what is mesotherapy",
        "rf microneedling vs microneedling",
        "something for wrinkles?",
    ):
        sender = new_sender()
        assistant.say(sender, text)
        answers = assistant.turn_answers(sender)
        texts = assistant.turn_texts(sender)
        assert answers and len(answers) == len(texts)
        for answer, reply in zip(answers, texts, strict=True):
            if answer["kind"] in CONTENT_KINDS:
                assert "qualified practitioner" in reply
