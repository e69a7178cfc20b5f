"""The Telegram webhook: checks the secret, reads updates, lets the assistant answer."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict

from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import Guard
from channels.telegram.output import TelegramOutput
from channels.telegram.settings import (
    ENV_ACCESS_TOKEN,
    REQUIRED_VARIABLES,
    SECRET_HEADER,
    TelegramConfigError,
    TelegramSettings,
)
from channels.telegram.updates import IgnoredUpdate, parse_update
from medspa import visitor_input
from medspa.settings import telegram_variables

logger = logging.getLogger(__name__)

REMEMBERED_UPDATES = 1024
"""How many recent update ids are kept to drop Telegram's re-deliveries."""


class TelegramInput(RasaTelegramInput):
    """Telegram webhook at ``/webhooks/telegram/webhook``, set up from the environment.

    Listed in ``credentials.yml`` as ``channels.telegram.TelegramInput`` with
    no values: the settings are ``TELEGRAM_*`` environment variables (see
    :class:`TelegramSettings`). Without them the channel is off: the webhook
    answers 503 and the server serves its other channels as usual.
    """

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """Create the channel from the TELEGRAM_* environment variables."""
        if credentials:
            logger.warning(
                "the Telegram channel ignores values in credentials.yml: "
                "set the TELEGRAM_* environment variables instead"
            )
        try:
            settings: TelegramSettings | None = TelegramSettings.from_env()
        except TelegramConfigError as problem:
            settings = None
            if any(telegram_variables()[name] for name in REQUIRED_VARIABLES):
                logger.error("Telegram channel off: %s", problem)
            else:
                logger.info("Telegram channel off: no TELEGRAM_* variables set")
        return cls(settings)

    def __init__(self, settings: TelegramSettings | None) -> None:
        super().__init__(
            settings.access_token if settings else None,
            settings.bot_name if settings else None,
            settings.webhook_url if settings else None,
            debug_mode=False,
        )
        self.settings = settings
        self.guard = Guard(self.name())
        self.output = (
            TelegramOutput(settings.access_token, settings.api_url)
            if settings
            else None
        )
        self.enabled = settings is not None
        self._recent: OrderedDict[int, None] = OrderedDict()

    def get_output_channel(self) -> TelegramOutput | None:
        """Return the output channel (also for the HTTP API's ``output_channel``)."""
        return self.output if self.enabled else None

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Create the webhook routes and the start-up registration of the webhook."""
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        self.guard.attach(telegram_webhook, replies_to_bad_text=True)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "not configured"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        # Sanic 21's blueprints register listeners only as decorated functions.
        @telegram_webhook.listener("after_server_start")
        async def start(*_: Any) -> None:
            await self._start()

        @telegram_webhook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            if self.output is not None:
                await self.output.close_session()

        return telegram_webhook

    async def _start(self) -> None:
        """Check the token's bot and register the webhook; never stops the server."""
        if self.output is None or self.settings is None:
            return
        try:
            me = await self.output.get_me()
            if (me.username or "").lower() != self.settings.bot_name.lower():
                self.enabled = False
                logger.error(
                    "Telegram channel off: %s belongs to @%s, not @%s",
                    ENV_ACCESS_TOKEN,
                    me.username,
                    self.settings.bot_name,
                )
                return
            await self.output.register_webhook(
                self.settings.webhook_url, self.settings.secret_token
            )
            logger.info("Telegram webhook registered: %s", self.settings.webhook_url)
        except Exception as error:  # start-up must go on: other channels still serve
            logger.error("could not register the Telegram webhook: %r", error)

    def _from_telegram(self, request: Request) -> bool:
        """Whether the request carries the webhook's secret (constant time)."""
        assert self.settings is not None
        sent = (request.headers.get(SECRET_HEADER) or "").encode("utf-8", "replace")
        return hmac.compare_digest(sent, self.settings.secret_token.encode())

    def _first_delivery(self, update_id: int) -> bool:
        """Remember ``update_id``; False if it was seen (Telegram re-delivers)."""
        if update_id in self._recent:
            return False
        self._recent[update_id] = None
        if len(self._recent) > REMEMBERED_UPDATES:
            self._recent.popitem(last=False)
        return True

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """Check and read one update, then let the assistant answer it."""
        if not self.enabled or self.output is None or self.settings is None:
            return response.json(
                {"error": "the Telegram channel is not configured"}, status=503
            )
        if not self._from_telegram(request):
            logger.warning(
                "refused a Telegram webhook call without the secret from %s", request.ip
            )
            return response.json({"error": "forbidden"}, status=403)
        try:
            update = json.loads(request.body or b"")
        except ValueError:
            return response.json({"error": "the body is not JSON"}, status=400)
        try:
            incoming = parse_update(update, self.settings.bot_name)
        except IgnoredUpdate as reason:
            logger.info("ignored a Telegram update: %s", reason)
            return response.json({"status": "ignored"})
        if not self._first_delivery(incoming.update_id):
            return response.json({"status": "duplicate"})
        if incoming.callback_query_id:
            await self._acknowledge(incoming.callback_query_id)
        sender = visitor_input.channel_sender(self.name(), str(incoming.chat_id))
        metadata = {
            "telegram": {"update_id": incoming.update_id, "kind": incoming.kind}
        }
        try:
            text, metadata = self.guard.read_text(incoming.text, metadata)
        except visitor_input.InvalidInput:
            # 200 all the same: a 4xx/5xx makes Telegram re-send the update
            await self.guard.reply_unreadable(self.output, sender)
            return response.json({"status": "unreadable"})
        message = UserMessage(
            text, self.output, sender, input_channel=self.name(), metadata=metadata
        )
        await self.guard.answer(message, on_new_message)
        return response.json({"status": "ok"})

    async def _acknowledge(self, callback_query_id: str) -> None:
        """Stop the pressed button's spinner in the visitor's app."""
        assert self.output is not None
        try:
            await self.output.answer_callback_query(callback_query_id)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.warning("could not answer a Telegram button press: %s", error)
