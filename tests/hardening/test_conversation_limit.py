"""Events kept per conversation are bounded (MEDSPA_MAX_EVENTS), and still every
message gets a reply: a full conversation asks the visitor to start a new chat,
or gives the safety advice when the message reads as a reported problem."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from console.queries import delete_conversation
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


def fill(assistant: Assistant, who: str) -> None:
    """Talk until the conversation is full."""
    for _ in range(10):
        replies = assistant.say(who, "does microneedling hurt?")
        assert replies
        if "start a new chat" in replies[0]["text"]:
            return
    pytest.fail("the conversation never reached its limit")


def test_a_full_conversation_stores_nothing_more_and_still_replies(
    small_assistant: Assistant,
) -> None:
    who = "limit-visitor"
    fill(small_assistant, who)
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


def test_a_full_conversation_erased_by_staff_is_served_again(
    small_assistant: Assistant,
) -> None:
    # the server counts a conversation it knows from what it last saw; a
    # conversation it saw full is counted again in the database, where the
    # console's erasure (another process) emptied it
    who = "limit-erased"
    fill(small_assistant, who)
    database = small_assistant.workdir / "conversations.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    assert delete_conversation(engine, who) >= LIMIT
    engine.dispose()

    replies = small_assistant.say(who, "does microneedling hurt?")

    assert "start a new chat" not in replies[0]["text"]
    assert small_assistant.turn_answers(who)[0]["kind"] == "kb"
    assert 0 < events(small_assistant, who) < LIMIT
