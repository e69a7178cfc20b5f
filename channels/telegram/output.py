"""Sending replies to Telegram: split to fit, buttons as an inline keyboard."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Mapping

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput

from channels.telegram.settings import DEFAULT_API_URL
from channels.telegram.splitting import split_message
from channels.telegram.updates import ALLOWED_UPDATES
from medspa.visitor_input import TELEGRAM_PREFIX

logger = logging.getLogger(__name__)

MAX_CALLBACK_DATA_BYTES = 64
"""Telegram's limit on an inline button's ``callback_data``, in UTF-8 bytes."""
RETRY_AFTER_LIMIT = 30.0
"""Longest wait (seconds) for Telegram's flood control before one retry."""
REQUEST_TIMEOUT = 30.0
"""Timeout (seconds) of one Bot API request."""


def callback_data(button: Mapping[str, Any]) -> str:
    """Return a Rasa button's ``callback_data``: its payload if Telegram allows it.

    A payload longer than Telegram's 64 bytes falls back to the button's title,
    which the assistant then reads like typed text (and a warning is logged).
    """
    title = str(button.get("title") or "")
    payload = str(button.get("payload") or title)
    if len(payload.encode()) <= MAX_CALLBACK_DATA_BYTES:
        return payload
    logger.warning(
        "button payload %r is over %d bytes: the button sends its title instead",
        payload,
        MAX_CALLBACK_DATA_BYTES,
    )
    return title.encode()[:MAX_CALLBACK_DATA_BYTES].decode(errors="ignore")


def inline_keyboard(buttons: List[Dict[str, Any]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard, one button per row (treatment names are long)."""
    markup = InlineKeyboardMarkup()
    for button in buttons:
        markup.row(
            InlineKeyboardButton(
                str(button.get("title")), callback_data=callback_data(button)
            )
        )
    return markup


class TelegramOutput(RasaTelegramOutput):
    """Sends replies through a configurable Bot API server, split to fit."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        # Rasa's __init__ takes no server: initialise aiogram's Bot directly.
        Bot.__init__(
            self,
            access_token,
            server=TelegramAPIServer.from_base(api_url),
            timeout=REQUEST_TIMEOUT,
        )

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        """Send a text, split into several messages if it is too long."""
        await self._deliver(recipient_id, text)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        """Send a text with its buttons as an inline keyboard under the last part."""
        await self._deliver(recipient_id, text, inline_keyboard(buttons))

    async def _deliver(
        self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Send the parts of a message; a failure is logged, not raised.

        The conversation is recorded even when Telegram refuses a message (the
        visitor blocked the bot, the Bot API is down), so it stays consistent.
        """
        chat_id = chat_id.removeprefix(TELEGRAM_PREFIX)  # the conversation's chat
        parts = split_message(text)
        try:
            for number, part in enumerate(parts, start=1):
                keyboard = markup if number == len(parts) else None
                await self._send_part(chat_id, part, keyboard)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.error(
                "Telegram did not take a message to chat %s: %s", chat_id, error
            )

    async def _send_part(
        self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Send one message, waiting once if Telegram's flood control asks to."""
        try:
            await self.send_message(chat_id, text, reply_markup=markup)
        except RetryAfter as flood:
            await asyncio.sleep(min(float(flood.timeout), RETRY_AFTER_LIMIT))
            await self.send_message(chat_id, text, reply_markup=markup)

    async def register_webhook(self, url: str, secret_token: str) -> None:
        """Point Telegram at ``url`` with the secret it must send back.

        aiogram 2 predates ``secret_token``, hence the raw ``setWebhook`` call.

        Raises:
            TelegramAPIError: Telegram refused the webhook.

        """
        params = {
            "url": url,
            "secret_token": secret_token,
            "allowed_updates": json.dumps(ALLOWED_UPDATES),
        }
        await self.request("setWebhook", params)

    async def close_session(self) -> None:
        """Close the HTTP session to the Bot API, if one was opened."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
