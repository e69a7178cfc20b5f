"""The connector's pure parts: settings, splitting, buttons, reading updates."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest

from channels.telegram import (
    DEFAULT_API_URL,
    GREETING_PAYLOAD,
    MAX_MESSAGE_LENGTH,
    NOT_UNDERSTOOD_PAYLOAD,
    IgnoredUpdate,
    Incoming,
    TelegramConfigError,
    TelegramSettings,
    callback_data,
    derived_secret,
    inline_keyboard,
    parse_update,
    split_message,
    telegram_length,
)
from medspa.answers import Composer, Wording
from medspa.knowledge_base import KnowledgeBase
from medspa.planning import Plan
from medspa.settings import get_settings
from tests.telegram.bot_api import BOT_NAME, TOKEN

ENV = {
    "TELEGRAM_ACCESS_TOKEN": TOKEN,
    "TELEGRAM_BOT_NAME": "@" + BOT_NAME,
    "TELEGRAM_WEBHOOK_URL": "https://clinic.example/webhooks/telegram/webhook",
}

# -- settings ---------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    settings = TelegramSettings.from_env(
        {
            **ENV,
            "TELEGRAM_SECRET_TOKEN": "abc_DEF-123",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
        }
    )
    assert settings.bot_name == BOT_NAME
    assert settings.secret_token == "abc_DEF-123"
    assert settings.api_url == "http://127.0.0.1:8081"


def test_the_secret_defaults_to_one_derived_from_the_token() -> None:
    settings = TelegramSettings.from_env(ENV)
    assert settings.api_url == DEFAULT_API_URL
    assert settings.secret_token == derived_secret(TOKEN)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", settings.secret_token)
    assert TOKEN not in settings.secret_token
    assert derived_secret(TOKEN.replace("AAE", "AAF")) != settings.secret_token


@pytest.mark.parametrize("missing", sorted(ENV))
def test_a_missing_variable_is_named_without_values(missing: str) -> None:
    env = {**ENV, missing: "  "}
    with pytest.raises(TelegramConfigError, match=missing) as problem:
        TelegramSettings.from_env(env)
    assert TOKEN not in str(problem.value)


@pytest.mark.parametrize(
    "override",
    [
        {"TELEGRAM_ACCESS_TOKEN": "not-a-token"},
        {"TELEGRAM_SECRET_TOKEN": "has spaces"},
        {"TELEGRAM_SECRET_TOKEN": "x" * 257},
        {"TELEGRAM_WEBHOOK_URL": "clinic.example/hook"},
        {"TELEGRAM_API_URL": "ftp://api.example"},
    ],
)
def test_invalid_values_are_refused(override: Dict[str, str]) -> None:
    with pytest.raises(TelegramConfigError):
        TelegramSettings.from_env({**ENV, **override})


# -- splitting long messages ------------------------------------------------------


def words(texts: List[str]) -> List[str]:
    return " ".join(texts).split()


def test_a_message_within_the_limit_stays_whole() -> None:
    text = "First paragraph.\n\nSecond paragraph.\n\nℹ️ Disclaimer."
    assert split_message(f"  {text}\n") == [text]
    assert split_message("x" * MAX_MESSAGE_LENGTH) == ["x" * MAX_MESSAGE_LENGTH]


def test_a_blank_message_gives_no_messages() -> None:
    assert split_message(" \n\n ") == []


def test_paragraphs_are_packed_and_kept_whole() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 190 + "end." for i in range(5)]
    text = "\n\n".join(paragraphs)
    chunks = split_message(text, limit=2100)
    assert chunks == [
        "\n\n".join(paragraphs[0:2]),
        "\n\n".join(paragraphs[2:4]),
        paragraphs[4],
    ]


def test_a_long_paragraph_breaks_between_sentences() -> None:
    sentences = [
        f"Sentence {i} is about aftercare and sun protection." for i in range(40)
    ]
    chunks = split_message(" ".join(sentences), limit=500)
    assert all(len(c) <= 500 for c in chunks) and len(chunks) > 1
    assert all(c.endswith(".") for c in chunks)
    assert words(chunks) == words(sentences)


def test_lines_are_kept_before_sentences() -> None:
    lines = [f"• Treatment {i}: " + "fine " * 10 for i in range(10)]
    chunks = split_message("\n".join(lines), limit=200)
    assert all(chunk.startswith("• ") for chunk in chunks)
    assert [line.strip() for chunk in chunks for line in chunk.split("\n")] == [
        line.strip() for line in lines
    ]


def test_a_word_longer_than_the_limit_is_cut_and_nothing_is_lost() -> None:
    url = "https://clinic.example/" + "a" * 120
    chunks = split_message(f"See {url} for more.", limit=50)
    assert all(len(c) <= 50 for c in chunks)
    assert "".join(chunks).replace(" ", "") == f"See{url}formore."


def test_lengths_count_utf16_like_telegram_and_never_split_a_character() -> None:
    text = "😀" * 3000  # 6,000 UTF-16 code units
    chunks = split_message(text)
    assert telegram_length(text) == 6000
    assert all(telegram_length(c) <= MAX_MESSAGE_LENGTH for c in chunks)
    assert "".join(chunks) == text


# -- buttons ----------------------------------------------------------------------


def project_buttons(kb: KnowledgeBase, domain: Dict[str, Any]) -> List[Dict[str, str]]:
    """Every button the assistant's replies can carry."""
    composer = Composer(kb, Wording(domain), get_settings().clinic)
    replies = [
        composer.clarify_reply(Plan("clarify", topic="downtime")),
        composer.list_reply(Plan("list")),
    ]
    replies += [
        composer.recommend_reply(Plan("recommend", concern=c)) for c in kb.concerns
    ]
    return [button for reply in replies for button in reply.buttons]


def test_every_button_payload_fits_telegrams_64_bytes(
    kb: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    buttons = project_buttons(kb, domain)
    assert buttons
    for button in buttons:
        assert len(button["payload"].encode()) <= 64, button
        assert callback_data(button) == button["payload"]


def test_a_payload_too_long_for_telegram_sends_the_title() -> None:
    button = {"title": "Laser skin tightening", "payload": "/ask_overview" + "x" * 60}
    assert callback_data(button) == "Laser skin tightening"


def test_buttons_are_an_inline_keyboard_one_per_row() -> None:
    buttons = [
        {"title": "Thermage", "payload": "/a"},
        {"title": "Mesotherapy", "payload": "/b"},
    ]
    markup = inline_keyboard(buttons).to_python()
    assert markup == {
        "inline_keyboard": [
            [{"text": "Thermage", "callback_data": "/a"}],
            [{"text": "Mesotherapy", "callback_data": "/b"}],
        ]
    }


# -- reading updates --------------------------------------------------------------


def message(
    text: Any = None, chat_type: str = "private", **content: Any
) -> Dict[str, Any]:
    body = {
        "message_id": 5,
        "date": 1,
        "chat": {"id": 42, "type": chat_type},
        **content,
    }
    if text is not None:
        body["text"] = text
    return body


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (
            {"update_id": 1, "message": message(" does it hurt? ")},
            Incoming(1, 42, "does it hurt?", "text"),
        ),
        (
            {
                "update_id": 2,
                "message": message(photo=[{"file_id": "p"}], caption="is this normal?"),
            },
            Incoming(2, 42, "is this normal?", "caption"),
        ),
        (
            {"update_id": 3, "message": message(sticker={"file_id": "s"})},
            Incoming(3, 42, NOT_UNDERSTOOD_PAYLOAD, "sticker"),
        ),
        (
            {"update_id": 4, "message": message("/start")},
            Incoming(4, 42, GREETING_PAYLOAD, "command"),
        ),
        (
            {"update_id": 5, "message": message(f"/START@{BOT_NAME.lower()} ref")},
            Incoming(5, 42, GREETING_PAYLOAD, "command"),
        ),
        (
            {"update_id": 6, "message": message("/restart")},
            Incoming(6, 42, "/restart", "text"),
        ),
        (
            {
                "update_id": 7,
                "callback_query": {
                    "id": "77",
                    "data": "/greet",
                    "message": message("Which?"),
                },
            },
            Incoming(7, 42, "/greet", "button", "77"),
        ),
    ],
)
def test_updates_the_assistant_reads(
    update: Dict[str, Any], expected: Incoming
) -> None:
    assert parse_update(update, BOT_NAME) == expected


@pytest.mark.parametrize(
    "update",
    [
        None,
        [],
        {"message": message("hi")},
        {"update_id": True, "message": message("hi")},
        {"update_id": 1},
        {"update_id": 1, "edited_message": message("hi")},
        {"update_id": 1, "channel_post": message("hi", chat_type="channel")},
        {"update_id": 1, "message": message("hi", chat_type="supergroup")},
        {"update_id": 1, "message": message("   ")},
        {"update_id": 1, "message": message(new_chat_title="x")},
        {"update_id": 1, "message": "hi"},
        {"update_id": 1, "message": {"text": "hi", "chat": {"type": "private"}}},
        {"update_id": 1, "callback_query": {"id": "1", "data": "/greet"}},
        {
            "update_id": 1,
            "callback_query": {
                "id": "1",
                "message": message("x"),
                "game_short_name": "g",
            },
        },
    ],
)
def test_updates_the_assistant_ignores(update: Any) -> None:
    with pytest.raises(IgnoredUpdate):
        parse_update(update, BOT_NAME)
