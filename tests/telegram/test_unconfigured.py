"""Without TELEGRAM_* variables the server starts and serves its other channels.

This is the README's `make run` on a machine with no Telegram set-up: the
project's credentials.yml lists the Telegram channel all the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.support.servers import Assistant, http_json, running_assistant
from tests.telegram.conftest import SECRET, TELEGRAM_VARIABLES, TelegramClient


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    workdir = Path(tmp_path_factory.mktemp("no-telegram"))
    with running_assistant(
        workdir, env={name: "" for name in TELEGRAM_VARIABLES}
    ) as assistant:
        yield assistant


def test_the_other_channels_work_and_telegram_answers_503(
    unconfigured: Assistant,
) -> None:
    replies = unconfigured.say("rest-visitor", "does microneedling hurt?")
    assert any("practitioner" in reply.get("text", "") for reply in replies)

    client = TelegramClient(unconfigured)
    chat = client.new_chat()
    for secret in (SECRET, None):
        update = client.update(
            "message", client.message(chat, "does microneedling hurt?")
        )
        status, body = client.post(update, secret=secret)
        assert status == 503, body
    assert client.user_texts(chat) == []
    assert http_json(f"{unconfigured.rasa_url}/webhooks/telegram/") == {
        "status": "not configured"
    }


def test_the_http_api_falls_back_when_telegram_is_requested(
    unconfigured: Assistant,
) -> None:
    url = (
        f"{unconfigured.rasa_url}/conversations/staff-note/tracker/events"
        f"?token={unconfigured.token}&output_channel=telegram&execute_side_effects=true"
    )
    tracker = http_json(url, {"event": "bot", "text": "A note from staff."})
    assert tracker["events"][-1]["text"] == "A note from staff."
