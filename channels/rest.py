"""The REST channel for integrations: ``POST /webhooks/rest/webhook``.

The body is ``{"sender": "...", "message": "...", "metadata": {...}}``, the
answer the list of bot messages, as with Rasa's ``rest`` channel. This one

- answers a malformed body with 400 and a message saying what is wrong (Rasa's
  own answers 500 from deep inside), and never stores text that is not valid
  Unicode;
- owns the unprefixed conversation ids: a sender starting with another
  channel's reserved prefix (``telegram-``, ``web-``) is refused, so REST
  cannot read or continue a Telegram or widget conversation;
- in the production profile requires ``Authorization: Bearer
  $MEDSPA_REST_TOKEN`` (without a token set, REST is off: 403); in
  development it is open, on the loopback address ``make run`` uses;
- gives every message a reply through :class:`channels.guard.Guard`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Dict, Optional

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import Guard, OnNewMessage
from medspa import visitor_input
from medspa.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except (InvalidUsage, UnicodeError, ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise visitor_input.InvalidInput(
            'the body must be a JSON object: {"sender": ..., "message": ...}'
        )
    return body


class RestInput(InputChannel):
    """``POST /webhooks/rest/webhook`` with a validated body and a reply for all."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or get_settings()
        self.guard = Guard(self.name(), self.settings)

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's channel name, hence its route."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Create the channel (it takes no credentials: see the settings)."""
        return cls()

    def authorised(self, request: Request) -> bool:
        """Whether the request may use REST (always in development)."""
        if not self.settings.production:
            return True
        token = self.settings.rest_token
        sent = request.headers.get("Authorization") or ""
        return bool(token) and hmac.compare_digest(
            sent.encode("utf-8", "replace"), f"Bearer {token}".encode()
        )

    def read(self, request: Request) -> UserMessage:
        """The visitor's message of a request.

        Raises:
            visitor_input.InvalidInput: the body is not acceptable.

        """
        body = _body(request)
        limits = self.settings.limits
        sender = visitor_input.check_rest_sender(
            body.get("sender"), limits.sender_chars
        )
        message = body.get("message", "")
        if not isinstance(message, str):
            raise visitor_input.InvalidInput('"message" must be a string')
        metadata = visitor_input.check_metadata(
            body.get("metadata"), limits.metadata_bytes
        )
        text, metadata = self.guard.read_text(message, metadata)
        return UserMessage(
            text,
            CollectingOutputChannel(),
            sender,
            input_channel=self.name(),
            metadata=metadata,
        )

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The health route and the webhook."""
        rest = Blueprint("rest_webhook", __name__)
        self.guard.attach(rest)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            try:
                message = self.read(request)
            except visitor_input.InvalidInput as problem:
                return response.json({"error": str(problem)}, status=400)
            collector = message.output_channel
            await self.guard.answer(message, on_new_message, request.ip)
            assert isinstance(collector, CollectingOutputChannel)
            return response.json(collector.messages)

        return rest
