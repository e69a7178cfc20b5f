"""endpoints.yml as the Rasa server reads it: the action server's port and secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.utils import AvailableEndpoints

from actions.__main__ import SECRET_HEADER

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_secret_and_port_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``make run`` broke once: Rasa fills in ``${...}`` only unquoted."""
    monkeypatch.setenv("ACTIONS_PORT", "40123")
    monkeypatch.setenv("MEDSPA_ACTION_SECRET", "s3cret-from-the-environment")
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_DIR / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:40123/webhook"
    assert endpoints.action.headers == {SECRET_HEADER: "s3cret-from-the-environment"}
