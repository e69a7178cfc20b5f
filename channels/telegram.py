"""The assistant on Telegram: Rasa's connector, configured from the environment.

``credentials.yml`` lists :class:`TelegramInput`; everything else comes from
``TELEGRAM_*`` environment variables (see :class:`TelegramSettings`), so no
secret is ever committed. Without them the server starts as usual and the
webhook answers 503.

On top of Rasa's connector this one:

- registers the webhook at start-up with a ``secret_token`` and accepts only
  updates that send it back (``X-Telegram-Bot-Api-Secret-Token``);
- checks once at start-up that the token belongs to the configured bot, instead
  of calling ``getMe`` on every update;
- answers button presses (``callback_query``) and sends buttons as an inline
  keyboard, one per row;
- splits answers longer than Telegram's 4096-character limit at paragraph,
  line, sentence or word boundaries;
- answers updates it cannot use with 200 (ignored, or "I didn't understand"
  through the assistant for stickers, photos and the like), never a 5xx;
- talks to a configurable Bot API server (Telegram's own by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Tuple
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer, check_token
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError, ValidationError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

ENV_ACCESS_TOKEN = "TELEGRAM_ACCESS_TOKEN"
ENV_BOT_NAME = "TELEGRAM_BOT_NAME"
ENV_WEBHOOK_URL = "TELEGRAM_WEBHOOK_URL"
ENV_SECRET_TOKEN = "TELEGRAM_SECRET_TOKEN"
ENV_API_URL = "TELEGRAM_API_URL"
REQUIRED_VARIABLES = (ENV_ACCESS_TOKEN, ENV_BOT_NAME, ENV_WEBHOOK_URL)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit on a message's text, in UTF-16 code units."""
MAX_CALLBACK_DATA_BYTES = 64
"""Telegram's limit on an inline button's ``callback_data``, in UTF-8 bytes."""

ALLOWED_UPDATES = ("message", "callback_query")
"""The update types the webhook asks Telegram for."""
GREETING_PAYLOAD = "/greet"
"""What ``/start`` (opening the bot) and ``/help`` mean to the assistant."""
GREETING_COMMANDS = frozenset({"/start", "/help"})
NOT_UNDERSTOOD_PAYLOAD = "/nlu_fallback"
"""What a message without text (sticker, photo, voice...) means to the assistant."""
NON_TEXT_CONTENT = (
    "sticker",
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)
RETRY_AFTER_LIMIT = 30.0
"""Longest wait (seconds) for Telegram's flood control before one retry."""
REQUEST_TIMEOUT = 30.0
"""Timeout (seconds) of one Bot API request."""
REMEMBERED_UPDATES = 1024
"""How many recent update ids are kept to drop Telegram's re-deliveries."""


class TelegramConfigError(ValueError):
    """The ``TELEGRAM_*`` variables are incomplete or invalid."""


@dataclass(frozen=True)
class TelegramSettings:
    """The channel's settings, read from ``TELEGRAM_*`` environment variables.

    Attributes:
        access_token: the bot's token from BotFather (``TELEGRAM_ACCESS_TOKEN``).
        bot_name: the bot's username, without ``@`` (``TELEGRAM_BOT_NAME``);
            checked against the token once at start-up.
        webhook_url: the public HTTPS address that reaches
            ``/webhooks/telegram/webhook`` of this server
            (``TELEGRAM_WEBHOOK_URL``).
        secret_token: the secret Telegram sends back with every update
            (``TELEGRAM_SECRET_TOKEN``; derived from the access token if unset).
        api_url: the Bot API server (``TELEGRAM_API_URL``), Telegram's own by
            default; a self-hosted ``telegram-bot-api`` server works too.

    """

    access_token: str
    bot_name: str
    webhook_url: str
    secret_token: str
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        """Read and check the settings.

        Args:
            env: the environment (``os.environ`` by default); empty values
                count as unset.

        Raises:
            TelegramConfigError: a required variable is missing or a value is
                invalid. The message names the variables, never their values.

        """
        env = os.environ if env is None else env
        values = {name: (env.get(name) or "").strip() for name in REQUIRED_VARIABLES}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise TelegramConfigError(f"{', '.join(missing)} not set")
        token = values[ENV_ACCESS_TOKEN]
        try:
            check_token(token)
        except ValidationError as error:
            raise TelegramConfigError(
                f"{ENV_ACCESS_TOKEN} is not a bot token"
            ) from error
        secret = (env.get(ENV_SECRET_TOKEN) or "").strip() or derived_secret(token)
        if not SECRET_TOKEN_PATTERN.fullmatch(secret):
            raise TelegramConfigError(
                f"{ENV_SECRET_TOKEN} must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        api_url = (env.get(ENV_API_URL) or "").strip() or DEFAULT_API_URL
        for name, url in (
            (ENV_WEBHOOK_URL, values[ENV_WEBHOOK_URL]),
            (ENV_API_URL, api_url),
        ):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise TelegramConfigError(f"{name} must be an http(s) URL")
        return cls(
            access_token=token,
            bot_name=values[ENV_BOT_NAME].lstrip("@"),
            webhook_url=values[ENV_WEBHOOK_URL],
            secret_token=secret,
            api_url=api_url.rstrip("/"),
        )


def derived_secret(access_token: str) -> str:
    """Derive a webhook secret from the bot token (stable across restarts)."""
    label = b"medspa telegram webhook secret"
    return hmac.new(access_token.encode(), label, hashlib.sha256).hexdigest()


# -- splitting long answers -----------------------------------------------------

_BOUNDARIES = (
    (re.compile(r"\n[ \t]*\n\s*"), "\n\n"),  # paragraphs
    (re.compile(r"\n"), "\n"),  # lines
    (re.compile(r"(?<=[.!?…])\s+"), " "),  # sentences
    (re.compile(r"\s+"), " "),  # words
)


def telegram_length(text: str) -> int:
    """Measure ``text`` as Telegram does (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> List[str]:
    """Split ``text`` into messages of at most ``limit``, losing no words.

    Breaks between paragraphs where it can, else between lines, sentences,
    words, and only as a last resort inside a word. Each message is as long as
    fits, so a text within the limit stays one message.

    Args:
        text: the message; leading and trailing whitespace is dropped.
        limit: the longest message, in UTF-16 code units.

    Returns:
        The messages in order; none for a blank text.

    """
    text = text.strip()
    return _split(text, limit, 0) if text else []


def _split(text: str, limit: int, level: int) -> List[str]:
    if telegram_length(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _cut(text, limit)
    pattern, joiner = _BOUNDARIES[level]
    chunks: List[str] = []
    current = ""
    for piece in pattern.split(text):
        if not piece.strip():
            continue
        for part in _split(piece, limit, level + 1):
            joined = f"{current}{joiner}{part}" if current else part
            if telegram_length(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = part
    if current:
        chunks.append(current)
    return chunks


def _cut(text: str, limit: int) -> List[str]:
    """Cut a text without boundaries, never inside a character."""
    chunks: List[str] = []
    current, length = "", 0
    for char in text:
        size = telegram_length(char)
        if length + size > limit:
            chunks.append(current)
            current, length = "", 0
        current += char
        length += size
    return [*chunks, current]


# -- buttons ----------------------------------------------------------------------


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


# -- reading updates --------------------------------------------------------------


class IgnoredUpdate(ValueError):
    """An update the assistant does not answer; the message says why."""


@dataclass(frozen=True)
class Incoming:
    """What the assistant reads from one Telegram update.

    Attributes:
        update_id: Telegram's id of the update.
        chat_id: the private chat, also the conversation's sender id.
        text: the text for the assistant (typed, caption, or a payload).
        kind: ``text``, ``caption``, ``command``, ``button`` or the kind of
            content without text (``sticker``, ``photo``...).
        callback_query_id: the button press to acknowledge, if any.

    """

    update_id: int
    chat_id: int
    text: str
    kind: str
    callback_query_id: str | None = None


def _field(container: Any, name: str, kind: type) -> Any:
    """``container[name]`` if it is a ``kind``, else :class:`IgnoredUpdate`."""
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise IgnoredUpdate(f"no {kind.__name__} {name!r}")
    return value


def _private_chat(message: Any) -> int:
    chat = _field(message, "chat", dict)
    if chat.get("type") != "private":
        raise IgnoredUpdate(f"a {chat.get('type')!r} chat, not a private one")
    return int(_field(chat, "id", int))


def _message_text(message: Dict[str, Any], bot_name: str) -> Tuple[str, str]:
    """Return the text of a message for the assistant, and its kind."""
    for kind in ("text", "caption"):
        text = message.get(kind)
        if isinstance(text, str) and text.strip():
            command, _, _ = text.strip().partition(" ")
            command = command.lower().removesuffix(f"@{bot_name.lower()}")
            if kind == "text" and command in GREETING_COMMANDS:
                return GREETING_PAYLOAD, "command"
            return text.strip(), kind
    content = next((k for k in NON_TEXT_CONTENT if message.get(k) is not None), None)
    if content is None:
        raise IgnoredUpdate("a message without content (service message)")
    return NOT_UNDERSTOOD_PAYLOAD, content


def parse_update(update: Any, bot_name: str = "") -> Incoming:
    """Read a Telegram update (decoded JSON) for the assistant.

    Only new messages and button presses in private chats are answered;
    edited messages, channel posts, group chats and service updates are not.

    Args:
        update: the decoded body of the webhook request.
        bot_name: the bot's username, stripped from ``/start@bot_name``.

    Raises:
        IgnoredUpdate: the update is not for the assistant, or lacks fields.

    """
    update_id = _field(update, "update_id", int)
    if "callback_query" in update:
        query = _field(update, "callback_query", dict)
        data = _field(query, "data", str)
        chat_id = _private_chat(_field(query, "message", dict))
        query_id = str(_field(query, "id", str))
        return Incoming(update_id, chat_id, data, "button", query_id)
    if "message" in update:
        message = _field(update, "message", dict)
        chat_id = _private_chat(message)
        text, kind = _message_text(message, bot_name)
        return Incoming(update_id, chat_id, text, kind)
    kinds = sorted(k for k in update if k != "update_id")
    raise IgnoredUpdate(f"an update of type {', '.join(kinds) or 'nothing'}")


# -- the channel ------------------------------------------------------------------


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
            if any(os.environ.get(name) for name in REQUIRED_VARIABLES):
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
        message = UserMessage(
            incoming.text,
            self.output,
            str(incoming.chat_id),
            input_channel=self.name(),
            metadata={
                "telegram": {"update_id": incoming.update_id, "kind": incoming.kind}
            },
        )
        try:
            await on_new_message(message)
        except Exception:  # answer 200 anyway: a 5xx makes Telegram re-send forever
            logger.exception(
                "the assistant failed on Telegram update %s", incoming.update_id
            )
        return response.json({"status": "ok"})

    async def _acknowledge(self, callback_query_id: str) -> None:
        """Stop the pressed button's spinner in the visitor's app."""
        assert self.output is not None
        try:
            await self.output.answer_callback_query(callback_query_id)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.warning("could not answer a Telegram button press: %s", error)
