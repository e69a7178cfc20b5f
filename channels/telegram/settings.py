"""The Telegram channel's settings: ``TELEGRAM_*`` variables, checked."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from aiogram.bot.api import check_token
from aiogram.utils.exceptions import ValidationError

from medspa.settings import telegram_variables

ENV_ACCESS_TOKEN = "TELEGRAM_ACCESS_TOKEN"
ENV_BOT_NAME = "TELEGRAM_BOT_NAME"
ENV_WEBHOOK_URL = "TELEGRAM_WEBHOOK_URL"
ENV_SECRET_TOKEN = "TELEGRAM_SECRET_TOKEN"
ENV_API_URL = "TELEGRAM_API_URL"
REQUIRED_VARIABLES = (ENV_ACCESS_TOKEN, ENV_BOT_NAME, ENV_WEBHOOK_URL)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
            env: the environment (this process's by default); empty values
                count as unset.

        Raises:
            TelegramConfigError: a required variable is missing or a value is
                invalid. The message names the variables, never their values.

        """
        variables = telegram_variables(env)
        values = {name: variables[name] for name in REQUIRED_VARIABLES}
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
        secret = variables[ENV_SECRET_TOKEN] or derived_secret(token)
        if not SECRET_TOKEN_PATTERN.fullmatch(secret):
            raise TelegramConfigError(
                f"{ENV_SECRET_TOKEN} must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        api_url = variables[ENV_API_URL] or DEFAULT_API_URL
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
