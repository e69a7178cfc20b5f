"""Fixtures of the Telegram suite: the Bot API stand-in and the servers.

The real action server and Rasa server run with the project's
credentials.yml; the connector reads its TELEGRAM_* variables, pointed at the
stand-in of the Bot API on loopback.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from medspa.visitor_input import channel_sender
from tests.support.servers import Assistant, http_request, running_assistant
from tests.telegram.bot_api import BOT_NAME, TOKEN, BotApi

SECRET = "test-secret_0123456789"
WEBHOOK_URL = "https://clinic.example/webhooks/telegram/webhook"
# Update posted -> first sendMessage received by the stand-in, per question
# (printed at the end of the run, never asserted).
REPLY_TIMES_MS: List[float] = []
TELEGRAM_VARIABLES = (
    "TELEGRAM_ACCESS_TOKEN",
    "TELEGRAM_BOT_NAME",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_SECRET_TOKEN",
    "TELEGRAM_API_URL",
)


class TelegramClient:
    """Posts real-shaped Telegram updates to the assistant's webhook."""

    def __init__(self, assistant: Assistant, bot_api: BotApi | None = None) -> None:
        self.assistant = assistant
        self.bot_api = bot_api
        self.url = f"{assistant.rasa_url}/webhooks/telegram/webhook"
        self._update_ids = itertools.count(random.randint(10**8, 9 * 10**8))
        self._chat_ids = itertools.count(random.randint(10**8, 9 * 10**8), 17)

    def new_chat(self) -> int:
        return next(self._chat_ids)

    def post(
        self, body: Any, secret: str | None = SECRET, raw: bytes | None = None
    ) -> Tuple[int, Any]:
        """POST an update (or raw bytes); the status and decoded answer."""
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        status, answer = http_request(self.url, data, headers=headers)
        if isinstance(answer, bytes):
            answer = answer.decode(errors="replace")
        return status, answer

    def update(self, kind: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        return {"update_id": next(self._update_ids), kind: payload}

    def message(
        self, chat_id: int, text: str | None = None, **content: Any
    ) -> Dict[str, Any]:
        """A private chat's message: text, or other content (sticker=..., photo=...)."""
        message: Dict[str, Any] = {
            "message_id": random.randint(1, 10**6),
            "from": visitor(chat_id),
            "chat": {"id": chat_id, "first_name": "Dana", "type": "private"},
            "date": int(time.time()),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(" ")[0])
                message["entities"] = [
                    {"offset": 0, "length": length, "type": "bot_command"}
                ]
        return message

    def say(self, chat_id: int, text: str) -> Tuple[int, Any]:
        """Post a text message; records how long until the first reply was sent."""
        started = time.monotonic()
        result = self.post(self.update("message", self.message(chat_id, text)))
        if self.bot_api is not None:
            replies = [
                c.at
                for c in self.bot_api.calls("sendMessage", chat_id)
                if c.at > started
            ]
            if replies:
                REPLY_TIMES_MS.append(1000 * (min(replies) - started))
        return result

    def press(
        self, chat_id: int, bot_message: Dict[str, Any], data: str
    ) -> Tuple[int, Any]:
        """Press the button with ``data`` under ``bot_message`` (a callback_query)."""
        query = {
            "id": str(random.randint(10**17, 10**18)),
            "from": visitor(chat_id),
            "message": bot_message,
            "chat_instance": "-4711",
            "data": data,
        }
        return self.post(self.update("callback_query", query))

    def user_texts(self, chat_id: int) -> list:
        events = self.assistant.tracker(telegram_sender(chat_id))["events"]
        return [e.get("text") for e in events if e.get("event") == "user"]


def telegram_sender(chat_id: int) -> str:
    """The conversation id of a Telegram chat (``telegram-<chat id>``)."""
    return channel_sender("telegram", str(chat_id))


def visitor(chat_id: int) -> Dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Dana", "language_code": "en"}


def telegram_env(api_url: str) -> Dict[str, str]:
    return {
        "TELEGRAM_ACCESS_TOKEN": TOKEN,
        "TELEGRAM_BOT_NAME": BOT_NAME,
        "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": api_url,
    }


@pytest.fixture(scope="module")
def bot_api() -> Iterator[BotApi]:
    with BotApi() as api:
        yield api


@pytest.fixture(scope="module")
def telegram_assistant(
    bot_api: BotApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    """Both servers with the project's credentials.yml and Telegram configured."""
    workdir = Path(tmp_path_factory.mktemp("telegram"))
    with running_assistant(workdir, env=telegram_env(bot_api.url)) as assistant:
        yield assistant


@pytest.fixture(scope="module")
def telegram(telegram_assistant: Assistant, bot_api: BotApi) -> TelegramClient:
    return TelegramClient(telegram_assistant, bot_api)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the reply times measured against the Bot API stand-in."""
    if not REPLY_TIMES_MS:
        return
    times = sorted(REPLY_TIMES_MS)
    terminalreporter.write_sep("-", "Telegram: update posted -> reply sent")
    terminalreporter.write_line(
        f"{len(times)} replies: median {statistics.median(times):.0f} ms, "
        f"min {times[0]:.0f} ms, max {times[-1]:.0f} ms"
    )
