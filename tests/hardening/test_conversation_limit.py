"""Events kept per conversation are bounded (MEDSPA_MAX_EVENTS), and still every
message gets a reply: a full conversation asks the visitor to start a new chat,
or gives the safety advice when the message reads as a reported problem."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.servers import Assistant, running_assistant

LIMIT = 20  # the first exchange stores about ten events, each later one about six


@pytest.fixture(scope="module")
def small_assistant() -> Iterator[Assistant]:
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_assistant(Path(workdir), env={"MEDSPA_MAX_EVENTS": str(LIMIT)}) as a,
    ):
        yield a


def events(assistant: Assistant, sender: str) -> int:
    return len(assistant.tracker(sender)["events"])


def test_a_full_conversation_stores_nothing_more_and_still_replies(
    small_assistant: Assistant,
) -> None:
    who = "limit-visitor"
    for _ in range(10):
        replies = small_assistant.say(who, "does microneedling hurt?")
        assert replies
        if "start a new chat" in replies[0]["text"]:
            break
    else:
        pytest.fail("the conversation never reached its limit")
    kept = events(small_assistant, who)
    assert kept >= LIMIT
    replies = small_assistant.say(who, "and how long is the downtime?")
    assert "start a new chat" in replies[0]["text"]
    replies = small_assistant.say(
        who, "my face is blistering since the laser yesterday"
    )
    assert "start a new chat" not in replies[0]["text"]
    assert "clinic" in replies[0]["text"].lower()
    assert events(small_assistant, who) == kept
    # another conversation is served as usual
    assert small_assistant.say("limit-other", "does microneedling hurt?")
    assert small_assistant.turn_answers("limit-other")[0]["kind"] == "kb"
