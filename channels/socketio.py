"""The website chat widget's socket.io channel (``channels.socketio.SocketIOInput``).

It replaces Rasa 3.6's built-in ``socketio`` channel, which has two faults:

* With ``session_persistence: true`` it calls ``sio.enter_room(...)`` without
  ``await``. Since python-socketio 5 that method is a coroutine, so the socket
  never joins its session's room and every reply, all sent to that room, is
  lost (the widget shows nothing, before or after a page reload).
* It turns off the origin check of the socket.io server
  (``cors_allowed_origins=[]``), so any web site could open a conversation.

Here the socket joins its session's room (awaited), messages are tied to the
session the socket confirmed (a client cannot write into another session by
naming it in a message), session ids not issued by this channel are replaced
by fresh ones, and only the clinic site's origins may connect. The origins are
configured in one place, the ``MEDSPA_WIDGET_ORIGINS`` environment variable.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List
from urllib.parse import urlsplit

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage, decode_bearer_token
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)

ORIGINS_ENV = "MEDSPA_WIDGET_ORIGINS"
"""Space- or comma-separated origins allowed to connect, e.g. ``https://clinic.example``."""

DEFAULT_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
"""The demo page's own origins (``web/serve.py`` on its default port)."""

_SESSION_ID = re.compile(r"[0-9a-f]{32}")
_SESSION_KEY = "session_id"


def parse_origins(value: str | None) -> List[str]:
    """Read the allowed origins from the setting's text (the demo page's if empty).

    Args:
        value: space- or comma-separated origins (``scheme://host[:port]``).

    Returns:
        The origins, normalised to lower case without a trailing slash.

    Raises:
        ValueError: for ``*`` (any site) or anything that is not an origin.

    """
    origins = [part for part in re.split(r"[\s,]+", value or "") if part]
    if not origins:
        return list(DEFAULT_ORIGINS)
    parsed = []
    for origin in origins:
        if origin == "*":
            raise ValueError(f"{ORIGINS_ENV}: '*' would let any site use the chat")
        parts = urlsplit(origin.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"{ORIGINS_ENV}: {origin!r} is not an origin")
        parsed.append(f"{parts.scheme}://{parts.netloc}".lower())
    return parsed


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input with working session rooms and an origin allowlist.

    It reads the same ``credentials.yml`` keys as Rasa's ``socketio`` channel.
    """

    def __init__(
        self, *args: Any, allowed_origins: List[str] | None = None, **kwargs: Any
    ) -> None:
        """Create the channel.

        Args:
            *args: the arguments of Rasa's ``SocketIOInput``.
            allowed_origins: origins allowed to connect; by default those of
                the ``MEDSPA_WIDGET_ORIGINS`` environment variable.
            **kwargs: the keyword arguments of Rasa's ``SocketIOInput``.

        """
        super().__init__(*args, **kwargs)
        self.allowed_origins = (
            parse_origins(os.environ.get(ORIGINS_ENV))
            if allowed_origins is None
            else parse_origins(" ".join(allowed_origins))
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Build the socket.io server, attached to Rasa's Sanic app.

        Args:
            on_new_message: Rasa's handler of an incoming visitor message.

        Returns:
            The blueprint that serves ``socketio_path``.

        """
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins)
        self.sio = sio
        logger.info("Chat widget origins allowed: %s", ", ".join(self.allowed_origins))
        blueprint = rasa_socketio.SocketBlueprint(
            sio, self.socketio_path, "socketio_webhook", __name__
        )

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def connect(
            sid: str, environ: Dict[str, Any], auth: Dict[str, Any] | None = None
        ) -> bool:
            return self._authorised(auth)

        async def session_request(sid: str, data: Any = None) -> None:
            await self._start_session(sio, sid, data)

        async def user_message(sid: str, data: Any = None) -> None:
            message = await self._user_message(sio, sid, data)
            if message is not None:
                await on_new_message(message)

        sio.on("connect", connect, namespace=self.namespace)
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, user_message, namespace=self.namespace)
        return blueprint

    def _authorised(self, auth: Dict[str, Any] | None) -> bool:
        """Tell whether a socket may connect: always, unless a JWT key is set."""
        if not self.jwt_key:
            return True
        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(
            token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
        )

    async def _start_session(self, sio: AsyncServer, sid: str, data: Any) -> None:
        """Confirm the socket's session, joining its room when sessions persist.

        A session id this channel did not issue (not 32 hex digits) is replaced
        by a fresh one, so a client cannot pick another channel's sender id.
        """
        requested = data.get(_SESSION_KEY) if isinstance(data, dict) else None
        session_id = (
            requested
            if isinstance(requested, str) and _SESSION_ID.fullmatch(requested)
            else uuid.uuid4().hex
        )
        if self.session_persistence:
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.save_session(
                sid, {_SESSION_KEY: session_id}, namespace=self.namespace
            )
        await sio.emit(
            "session_confirm", session_id, room=sid, namespace=self.namespace
        )

    async def _user_message(
        self, sio: AsyncServer, sid: str, data: Any
    ) -> UserMessage | None:
        """Turn a socket's message into Rasa's, or None when it cannot be accepted."""
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            logger.debug("Ignored a malformed message from socket %s.", sid)
            return None
        if self.session_persistence:
            session = await sio.get_session(sid, namespace=self.namespace)
            sender_id = session.get(_SESSION_KEY)
            if sender_id is None:
                logger.warning(
                    "Ignored a message from socket %s sent before its session_request.",
                    sid,
                )
                return None
        else:
            sender_id = sid
        metadata = data.get(self.metadata_key) or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = {}
        return UserMessage(
            data["message"],
            rasa_socketio.SocketIOOutput(sio, self.bot_message_evt),
            sender_id,
            input_channel=self.name(),
            metadata=metadata if isinstance(metadata, dict) else {},
        )
