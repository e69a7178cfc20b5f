"""The REST channel: open in development, a bearer token in production."""

from __future__ import annotations

import pytest
from sanic.compat import Header
from sanic.request import Request

from channels.rest import RestInput
from medspa.settings import read_settings


def webhook_request(headers: dict) -> Request:
    return Request(
        b"/webhooks/rest/webhook", Header(headers), "1.1", "POST", None, None
    )


def test_development_rest_is_open() -> None:
    channel = RestInput(read_settings({}))
    assert channel.authorised(webhook_request({}))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "secret-token"},
        {"Authorization": "Bearer secret-token "},
        {"Authorization": "Basic c2VjcmV0LXRva2Vu"},
    ],
)
def test_production_rest_wants_the_bearer_token(headers: dict) -> None:
    production = {"MEDSPA_PROFILE": "production", "MEDSPA_REST_TOKEN": "secret-token"}
    channel = RestInput(read_settings(production))
    assert not channel.authorised(webhook_request(headers))
    assert channel.authorised(webhook_request({"Authorization": "Bearer secret-token"}))


def test_production_rest_without_a_token_is_off() -> None:
    channel = RestInput(read_settings({"MEDSPA_PROFILE": "production"}))
    assert not channel.authorised(webhook_request({"Authorization": "Bearer "}))
    assert not channel.authorised(webhook_request({}))
