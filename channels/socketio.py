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
naming it in a message), and only the clinic site's origins may connect
(``MEDSPA_WIDGET_ORIGINS``). Session ids are issued by the server and signed
(an HMAC with an owner-only secret): a session id the client made up, or one
of another channel, is replaced by a fresh one. Conversations are stored as
``web-<session id>`` (:mod:`medspa.visitor_input`), so no other channel can
address them. Text that is not valid Unicode gets a polite reply and is never
stored; long messages and metadata are bounded (``channels/guard.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage, decode_bearer_token
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.guard import Guard
from medspa import visitor_input
from medspa.settings import get_settings, parse_origins, secret

logger = logging.getLogger(__name__)

ORIGINS_ENV = "MEDSPA_WIDGET_ORIGINS"
"""Space- or comma-separated origins allowed to connect, e.g. ``https://clinic.example``."""

_SESSION_KEY = "session_id"
_SENDER_KEY = "sender_id"
_ADDRESS_KEY = "address"


def session_signer(key: str) -> Callable[[str], str]:
    """A function signing a session's random part with ``key`` (HMAC-SHA256)."""

    def sign(nonce: str) -> str:
        digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).hexdigest()
        return f"{nonce}{digest[:32]}"

    return sign


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
        settings = get_settings()
        default = (
            f"http://127.0.0.1:{settings.web_port}",
            f"http://localhost:{settings.web_port}",
        )
        self.allowed_origins = parse_origins(
            settings.widget_origins
            if allowed_origins is None
            else " ".join(allowed_origins),
            default,
        )
        self.guard = Guard(self.name(), settings)
        self.sign = session_signer(
            secret("MEDSPA_SESSION_SECRET", settings.var_dir / "session_secret")
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
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.allowed_origins,
            max_http_buffer_size=self.guard.settings.limits.body_bytes,
        )
        self.sio = sio
        logger.info("Chat widget origins allowed: %s", ", ".join(self.allowed_origins))
        blueprint = rasa_socketio.SocketBlueprint(
            sio, self.socketio_path, "socketio_webhook", __name__
        )
        self.guard.attach(blueprint)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def connect(
            sid: str, environ: Dict[str, Any], auth: Dict[str, Any] | None = None
        ) -> bool:
            if not self._authorised(auth):
                return False
            request = environ.get("sanic.request")
            address = getattr(request, "ip", None)
            await sio.save_session(
                sid, {_ADDRESS_KEY: address}, namespace=self.namespace
            )
            return True

        async def session_request(sid: str, data: Any = None) -> None:
            await self._start_session(sio, sid, data)

        async def user_message(sid: str, data: Any = None) -> None:
            message = await self._user_message(sio, sid, data)
            if message is not None:
                session = await sio.get_session(sid, namespace=self.namespace)
                await self.guard.answer(
                    message, on_new_message, session.get(_ADDRESS_KEY)
                )

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

    def issue_session(self, requested: Any) -> str:
        """The session id for a socket: the one it asks for if this server issued it.

        A session id is a random part and its signature; anything else (an id
        the client made up, another channel's id) is replaced by a fresh one.
        """
        if isinstance(requested, str) and len(requested) == 64:
            nonce = requested[:32]
            if hmac.compare_digest(self.sign(nonce), requested):
                return requested
        return self.sign(uuid.uuid4().hex)

    async def _start_session(self, sio: AsyncServer, sid: str, data: Any) -> None:
        """Confirm the socket's session (issued by the server) and join its room."""
        requested = data.get(_SESSION_KEY) if isinstance(data, dict) else None
        session_id = self.issue_session(requested)
        sender_id = visitor_input.channel_sender(self.name(), session_id)
        session = await sio.get_session(sid, namespace=self.namespace)
        await sio.enter_room(sid, sender_id, namespace=self.namespace)
        await sio.save_session(
            sid,
            {**session, _SESSION_KEY: session_id, _SENDER_KEY: sender_id},
            namespace=self.namespace,
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
        session = await sio.get_session(sid, namespace=self.namespace)
        sender_id = session.get(_SENDER_KEY)
        if sender_id is None:
            logger.warning(
                "Ignored a message from socket %s sent before its session_request.",
                sid,
            )
            return None
        output = rasa_socketio.SocketIOOutput(sio, self.bot_message_evt)
        metadata = self._metadata(data.get(self.metadata_key), sid)
        try:
            text, metadata = self.guard.read_text(data["message"], metadata)
        except visitor_input.InvalidInput:
            await self.guard.reply_unreadable(output, sender_id)
            return None
        return UserMessage(
            text, output, sender_id, input_channel=self.name(), metadata=metadata
        )

    def _metadata(self, value: Any, sid: str) -> Dict[str, Any]:
        """The message's metadata if acceptable, else none (the message is kept)."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                value = None
        try:
            return visitor_input.check_metadata(
                value, self.guard.settings.limits.metadata_bytes
            )
        except visitor_input.InvalidInput as problem:
            logger.info("Dropped the metadata of socket %s: %s", sid, problem)
            return {}
