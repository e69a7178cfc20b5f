"""End to end: Telegram updates through the real Rasa and action servers.

Updates are posted to the webhook as Telegram posts them; what the bot sends
is read from the Bot API stand-in, and the ``answer`` metadata from the
tracker through the HTTP API (the sender id is the Telegram chat id).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

from medspa.contract import TREATMENT_IDS
from tests.support.servers import Assistant, http_json
from tests.telegram.bot_api import BOT_ID, BotApi, Call
from tests.telegram.conftest import (
    SECRET,
    WEBHOOK_URL,
    TelegramClient,
    telegram_sender,
)


def answer_of(answer: Dict[str, Any]) -> tuple:
    return tuple(answer.get(key) for key in ("kind", "treatment", "topic"))


def bot_message(call: Call) -> Dict[str, Any]:
    """The message Telegram shows for a sendMessage call (what a press refers to)."""
    return {
        "message_id": 99,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Lumen Skin"},
        "chat": {"id": call.chat_id, "type": "private"},
        "date": int(time.time()),
        "text": call.params["text"],
        "reply_markup": call.params["reply_markup"],
    }


def test_the_webhook_is_registered_with_its_secret(
    telegram: TelegramClient, bot_api: BotApi
) -> None:
    (registration,) = bot_api.wait_for("setWebhook")
    assert registration.params == {
        "url": WEBHOOK_URL,
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert bot_api.calls("getMe"), "the token's bot is checked at start-up"


def test_a_question_gets_the_knowledge_base_answer(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    chat = telegram.new_chat()
    status, _ = telegram.say(chat, "does microneedling hurt?")
    assert status == 200
    (text,) = bot_api.sent_texts(chat)
    assert "practitioner" in text and "microneedling" in text.lower()
    (answer,) = telegram_assistant.turn_answers(telegram_sender(chat))
    assert answer_of(answer) == ("kb", "microneedling", "pain")
    events = telegram_assistant.tracker(telegram_sender(chat))["events"]
    (user,) = [e for e in events if e["event"] == "user"]
    assert user["input_channel"] == "telegram"
    assert user["metadata"]["telegram"]["kind"] == "text"


def test_clarify_buttons_arrive_and_a_press_answers_the_pending_question(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    chat = telegram.new_chat()
    telegram.say(chat, "is there any downtime?")
    (question,) = bot_api.calls("sendMessage", chat)
    assert telegram_assistant.turn_answers(telegram_sender(chat)) == [
        {"kind": "clarify", "topic": "downtime"}
    ]
    rows = question.params["reply_markup"]["inline_keyboard"]
    assert len(rows) == len(TREATMENT_IDS) and all(len(row) == 1 for row in rows)
    buttons = {b["text"]: b["callback_data"] for b in question.buttons}
    assert all(len(data.encode()) <= 64 for data in buttons.values())

    status, _ = telegram.press(chat, bot_message(question), buttons["Thermage"])
    assert status == 200
    assert bot_api.calls("answerCallbackQuery"), "the button's spinner is stopped"
    (_, answer_call) = bot_api.calls("sendMessage", chat)
    answer_text = answer_call.params["text"]
    assert "thermage" in answer_text.lower() and "practitioner" in answer_text
    (answer,) = telegram_assistant.turn_answers(telegram_sender(chat))
    assert answer_of(answer) == ("kb", "thermage", "downtime")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_calls_without_the_secret_are_refused(
    telegram: TelegramClient, bot_api: BotApi, secret: Any
) -> None:
    chat = telegram.new_chat()
    status, _ = telegram.post(
        telegram.update("message", telegram.message(chat, "hello")), secret=secret
    )
    assert status == 403
    assert bot_api.calls(chat_id=chat) == []
    assert telegram.user_texts(chat) == []


UNUSABLE_UPDATES = {
    "edited message": lambda t, chat: t.update(
        "edited_message", {**t.message(chat, "hi"), "edit_date": 1}
    ),
    "channel post": lambda t, chat: t.update(
        "channel_post",
        {
            "message_id": 1,
            "chat": {"id": -chat, "title": "News", "type": "channel"},
            "date": 1,
            "text": "hi",
        },
    ),
    "group message": lambda t, chat: t.update(
        "message",
        {
            **t.message(chat, "hi"),
            "chat": {"id": -chat, "title": "Friends", "type": "group"},
        },
    ),
    "blocked the bot": lambda t, chat: t.update(
        "my_chat_member",
        {"chat": {"id": chat, "type": "private"}, "from": {"id": chat}, "date": 1},
    ),
    "service message": lambda t, chat: t.update(
        "message", t.message(chat, pinned_message={"message_id": 1})
    ),
    "message without chat": lambda t, chat: t.update(
        "message", {"message_id": 1, "date": 1, "text": "hi"}
    ),
    "chat id not a number": lambda t, chat: t.update(
        "message", {**t.message(chat, "hi"), "chat": {"id": "x", "type": "private"}}
    ),
    "press without message": lambda t, chat: t.update(
        "callback_query",
        {"id": "1", "from": {"id": chat}, "inline_message_id": "a", "data": "/greet"},
    ),
    "no update id": lambda t, chat: {"message": t.message(chat, "hi")},
    "a list": lambda t, chat: [t.message(chat, "hi")],
    "a string": lambda t, chat: "hello",
}


@pytest.mark.parametrize("name", sorted(UNUSABLE_UPDATES))
def test_unusable_updates_are_ignored(
    telegram: TelegramClient, bot_api: BotApi, name: str
) -> None:
    chat = telegram.new_chat()
    status, body = telegram.post(UNUSABLE_UPDATES[name](telegram, chat))
    assert (status, body) == (200, {"status": "ignored"})
    assert bot_api.calls(chat_id=chat) == []
    assert telegram.user_texts(chat) == []


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b"\xff\xfe", b'{"update_id": 1, "message": ']
)
def test_a_body_that_is_not_json_is_a_bad_request(
    telegram: TelegramClient, raw: bytes
) -> None:
    assert telegram.post(None, raw=raw)[0] == 400


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "CAAC",
                "file_unique_id": "A",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "emoji": "👍",
            }
        },
        {
            "photo": [
                {"file_id": "AgAC", "file_unique_id": "B", "width": 90, "height": 90}
            ]
        },
        {"voice": {"file_id": "AwAC", "file_unique_id": "C", "duration": 3}},
        {"location": {"latitude": 51.5, "longitude": -0.12}},
    ],
    ids=lambda content: next(iter(content)),
)
def test_messages_without_text_get_the_not_understood_reply(
    telegram: TelegramClient,
    bot_api: BotApi,
    telegram_assistant: Assistant,
    content: Dict[str, Any],
) -> None:
    chat = telegram.new_chat()
    status, _ = telegram.post(
        telegram.update("message", telegram.message(chat, **content))
    )
    assert status == 200
    (text,) = bot_api.sent_texts(chat)
    assert "microneedling" in text.lower()
    assert [
        a["kind"] for a in telegram_assistant.turn_answers(telegram_sender(chat))
    ] == ["out_of_scope"]


def test_a_photo_caption_is_read_as_the_question(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    chat = telegram.new_chat()
    photo = [{"file_id": "AgAC", "file_unique_id": "B", "width": 90, "height": 90}]
    telegram.post(
        telegram.update(
            "message",
            telegram.message(chat, photo=photo, caption="does microneedling hurt?"),
        )
    )
    (answer,) = telegram_assistant.turn_answers(telegram_sender(chat))
    assert answer_of(answer) == ("kb", "microneedling", "pain")


@pytest.mark.parametrize("command", ["/start", "/start@LumenSkinTestBot", "/help"])
def test_start_greets(
    telegram: TelegramClient,
    bot_api: BotApi,
    telegram_assistant: Assistant,
    command: str,
) -> None:
    chat = telegram.new_chat()
    telegram.say(chat, command)
    (text,) = bot_api.sent_texts(chat)
    assert text.startswith("Hi!")
    assert [
        a["kind"] for a in telegram_assistant.turn_answers(telegram_sender(chat))
    ] == ["chitchat"]


def test_a_redelivered_update_is_answered_once(
    telegram: TelegramClient, bot_api: BotApi
) -> None:
    chat = telegram.new_chat()
    update = telegram.update(
        "message", telegram.message(chat, "does microneedling hurt?")
    )
    assert telegram.post(update)[0] == 200
    assert telegram.post(update) == (200, {"status": "duplicate"})
    assert len(bot_api.sent_texts(chat)) == 1
    assert telegram.user_texts(chat) == ["does microneedling hurt?"]


def test_a_visitor_who_blocked_the_bot_is_still_recorded(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    chat = telegram.new_chat()
    bot_api.blocked_chats.add(chat)
    assert telegram.say(chat, "does microneedling hurt?")[0] == 200
    (answer,) = telegram_assistant.turn_answers(telegram_sender(chat))
    assert answer_of(answer) == ("kb", "microneedling", "pain")


def test_the_server_keeps_serving_after_bad_updates(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    for raw in (b"{not json", b"[]", b'{"update_id": "x"}'):
        assert telegram.post(None, raw=raw)[0] < 500
    chat = telegram.new_chat()
    telegram.say(chat, "does microneedling hurt?")
    assert len(bot_api.sent_texts(chat)) == 1
    assert telegram_assistant.say("rest-after-telegram", "does microneedling hurt?")


def paragraphs(count: int, sentences: int) -> List[str]:
    return [
        " ".join(
            f"Paragraph {p} sentence {s} says something about recovery."
            for s in range(sentences)
        )
        for p in range(count)
    ]


def test_a_long_message_is_split_at_paragraphs_and_keeps_its_buttons(
    telegram: TelegramClient, bot_api: BotApi, telegram_assistant: Assistant
) -> None:
    """A message over 4096 characters (here sent by staff through the HTTP API)."""
    chat = telegram.new_chat()
    parts = paragraphs(6, 30)  # ~1,700 characters each, ~10,300 in all
    text = "\n\n".join(parts)
    buttons = [
        {"title": "Thermage", "payload": '/inform_treatment{"treatment":"thermage"}'}
    ]
    event = {
        "event": "bot",
        "text": text,
        "data": {"buttons": buttons},
        "timestamp": time.time(),
    }
    url = (
        f"{telegram_assistant.rasa_url}/conversations/{telegram_sender(chat)}/tracker/events"
        f"?token={telegram_assistant.token}&output_channel=telegram&execute_side_effects=true"
    )
    http_json(url, event)

    sent = bot_api.calls("sendMessage", chat)
    assert len(sent) == 3
    texts = [call.params["text"] for call in sent]
    assert all(len(t) <= 4096 for t in texts)
    assert texts == [
        "\n\n".join(parts[0:2]),
        "\n\n".join(parts[2:4]),
        "\n\n".join(parts[4:6]),
    ]
    assert [bool(call.buttons) for call in sent] == [False, False, True]
