"""Action server replies are checked as Rasa checks them, by a compiled validator."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError
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
