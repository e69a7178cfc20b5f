"""Rasa's REST channel with its request body checked.

Rasa's own ``rest`` channel answers a body that is not a JSON object (empty,
``[1, 2]``, a string) with a 500 from deep inside. This one answers 400 with a
message saying what is wrong, and the server carries on. The route is the
same: ``POST /webhooks/rest/webhook {"sender": "...", "message": "..."}``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

MAX_SENDER_LENGTH = 255
"""The conversation store's limit on a sender id."""


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except InvalidUsage:
        body = None
    if not isinstance(body, dict):
        raise InvalidUsage(
            'the body must be a JSON object: {"sender": ..., "message": ...}'
        )
    return body


class RestInput(RasaRestInput):
    """``POST /webhooks/rest/webhook`` with a validated body."""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's channel name, hence its route."""
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[str]:
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage('"sender" must be a non-empty string')
        if len(sender) > MAX_SENDER_LENGTH:
            raise InvalidUsage(
                f'"sender" is longer than {MAX_SENDER_LENGTH} characters'
            )
        return sender

    def _extract_message(self, req: Request) -> Optional[str]:
        message = _body(req).get("message", "")
        if not isinstance(message, str):
            raise InvalidUsage('"message" must be a string')
        return message

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        """The request's ``metadata`` object, if it has one."""
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage('"metadata" must be a JSON object')
        return metadata
