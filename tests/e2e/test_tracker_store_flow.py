"""Rasa's own message flow gets the tracker store's cheap path (stores/sql.py).

The store lets a save skip its stamp query only for the very tracker that the
message's retrieve returned. That relies on Rasa's processor saving the
tracker it read; this drives Rasa's ``Agent`` (the real processor, policies
and the running action server) over the project's store and counts the SQL
statements of each message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from actions.__main__ import SECRET_HEADER
from stores.sql import CachedSQLTrackerStore
from tests.support.servers import MODEL, PROJECT_DIR, Assistant
from tests.support.sql import kinds, statements

MESSAGES = [
    "does microneedling hurt?",
    "how long is the downtime?",
    "and the price?",
    "thanks",
]


def test_a_message_after_the_first_reads_one_stamp_in_rasas_flow(
    assistant: Assistant, tmp_path: Path
) -> None:
    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    db = tmp_path / "conversations.db"
    store = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    actions = EndpointConfig(
        url=f"{assistant.action_url}/webhook",
        headers={SECRET_HEADER: assistant.env["MEDSPA_ACTION_SECRET"]},
    )
    agent = Agent.load(str(MODEL), tracker_store=store, action_endpoint=actions)
    run_ones = statements(store)

    per_message, replies = [], []
    for text in MESSAGES:
        before = len(run_ones)
        replies.append(asyncio.run(agent.handle_text(text, sender_id="flow")))
        per_message.append(kinds(run_ones[before:]))

    assert all(replies) and "Microneedling" in replies[1][0]["text"]
    # the first message creates the conversation (Rasa saves a new tracker twice)
    assert per_message[1:] == [["stamp", "insert"]] * (len(MESSAGES) - 1)
    ours = asyncio.run(
        CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db)).retrieve(
            "flow"
        )
    )
    theirs = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    reference = asyncio.run(theirs.retrieve("flow"))
    assert ours is not None and reference is not None
    everything = EventVerbosity.ALL
    assert ours.current_state(everything) == reference.current_state(everything)
    said = [e.text for e in ours.events if isinstance(e, UserUttered)]
    assert said == MESSAGES
