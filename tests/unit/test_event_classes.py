"""An event's class looked up in a table gives the class Rasa's walk gives."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa.shared.core import events
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.utils.common import all_subclasses

from scripts import event_classes
from tests.support.servers import PROJECT_DIR

RASA_RESOLVE = event_classes._rasa_resolve


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table installed for one test (Rasa's lookup restored after it)."""
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)
    event_classes.install()


def test_every_type_name_gives_rasas_class(installed: None) -> None:
    names = {found.type_name for found in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "session_started"} <= names
    for name in sorted(names):
        assert Event.resolve_by_type(name) is RASA_RESOLVE(name), name


def test_unknown_names_are_rasas_to_answer(installed: None) -> None:
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None  # Rasa's old TopicSet events


def test_an_action_servers_reply_reads_as_rasa_reads_it(installed: None) -> None:
    reply: List[Dict[str, Any]] = [
        {"event": "slot", "name": "treatment", "value": "thermage", "timestamp": 1.0},
        {"event": "slot", "name": "pending_topic", "value": None, "timestamp": 2.0},
        {"event": "bot", "text": "hello", "metadata": {"answer": {"kind": "chitchat"}}},
        {"event": "action", "name": "action_listen", "timestamp": 3.0},
        {"event": "followup", "name": "action_answer"},
    ]
    read = events.deserialise_events(reply)
    walked = [RASA_RESOLVE(e["event"])._from_parameters(e) for e in reply]
    assert read == walked
    assert [type(e).__name__ for e in read] == [
        "SlotSet",
        "SlotSet",
        "BotUttered",
        "ActionExecuted",
        "FollowupAction",
    ]


def test_a_class_defined_after_the_table_is_found(installed: None) -> None:
    assert Event.resolve_by_type("slot") is SlotSet  # the table is made

    class LateEvent(SlotSet):
        type_name = "late_event_of_this_test"

    assert event_classes.event_class("late_event_of_this_test") is None
    assert Event.resolve_by_type("late_event_of_this_test") is LateEvent


def test_the_server_installs_it() -> None:
    source = (PROJECT_DIR / "scripts" / "rasa_server.py").read_text()
    assert "event_classes.install()" in source
