"""Action server replies are checked as Rasa checks them, by a compiled validator."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from scripts import action_validation

VALID: Dict[str, Any] = {
    "events": [
        {"event": "slot", "name": "treatment", "value": "thermage", "timestamp": None}
    ],
    "responses": [{"response": "utter_kb", "answer": {"kind": "kb"}}],
}
INVALID: Dict[str, Any] = {"events": [{"event": "slot", "name": 3}], "responses": []}


@pytest.fixture
def action(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    # install() replaces Rasa's method: put the original back after the test
    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    action_validation.install()
    assert RemoteAction._validate_action_result is not original
    return RemoteAction("action_answer_question", EndpointConfig("http://127.0.0.1"))


def test_a_valid_reply_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(VALID) is True


def test_an_invalid_reply_is_refused_with_rasas_message(action: RemoteAction) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server"):
        action._validate_action_result(INVALID)


# replies valid and invalid in the ways the event schema's oneOf decides
REPLIES = [
    VALID,
    INVALID,
    {"events": [], "responses": []},
    {"events": [{"event": "bot", "text": "hi", "metadata": {"answer": {}}}]},
    {"events": [{"event": "action", "name": "action_listen", "policy": None}]},
    {"events": [{"event": "action", "name": "x", "hide_rule_turn": "yes"}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {}}]},
    {"events": [{"event": "user", "text": 3}]},
    {"events": [{"event": "slot", "name": "treatment"}]},  # no value
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "treatment", "value": 1}]},  # no event type
    {"events": [{"event": 7}]},
    {"events": ["slot"]},
    {"events": {"event": "slot"}},
    {"events": [{"event": "restart", "timestamp": "yesterday"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "pause"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "paws"}]},
    {"responses": [{"text": "hello"}], "events": None},
    {"responses": "hello"},
]


def rasa_says_valid(reply: Any) -> bool:
    try:
        validate(reply, RemoteAction.action_response_format_spec())
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("reply", REPLIES)
def test_the_dispatching_check_agrees_with_rasas_schema(reply: Any) -> None:
    is_valid = action_validation.dispatching_validator(
        RemoteAction.action_response_format_spec()
    )
    assert is_valid(reply) is rasa_says_valid(reply)


def test_both_verdicts_are_covered() -> None:
    verdicts = {rasa_says_valid(reply) for reply in REPLIES}
    assert verdicts == {True, False}
