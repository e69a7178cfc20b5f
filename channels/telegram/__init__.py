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

from channels.telegram.connector import REMEMBERED_UPDATES, TelegramInput
from channels.telegram.output import (
    MAX_CALLBACK_DATA_BYTES,
    REQUEST_TIMEOUT,
    RETRY_AFTER_LIMIT,
    TelegramOutput,
    callback_data,
    inline_keyboard,
)
from channels.telegram.settings import (
    DEFAULT_API_URL,
    ENV_ACCESS_TOKEN,
    ENV_API_URL,
    ENV_BOT_NAME,
    ENV_SECRET_TOKEN,
    ENV_WEBHOOK_URL,
    REQUIRED_VARIABLES,
    SECRET_HEADER,
    TelegramConfigError,
    TelegramSettings,
    derived_secret,
)
from channels.telegram.splitting import (
    MAX_MESSAGE_LENGTH,
    split_message,
    telegram_length,
)
from channels.telegram.updates import (
    ALLOWED_UPDATES,
    GREETING_COMMANDS,
    GREETING_PAYLOAD,
    NON_TEXT_CONTENT,
    NOT_UNDERSTOOD_PAYLOAD,
    IgnoredUpdate,
    Incoming,
    parse_update,
)

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_API_URL",
    "ENV_ACCESS_TOKEN",
    "ENV_API_URL",
    "ENV_BOT_NAME",
    "ENV_SECRET_TOKEN",
    "ENV_WEBHOOK_URL",
    "GREETING_COMMANDS",
    "GREETING_PAYLOAD",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_MESSAGE_LENGTH",
    "NON_TEXT_CONTENT",
    "NOT_UNDERSTOOD_PAYLOAD",
    "REMEMBERED_UPDATES",
    "REQUEST_TIMEOUT",
    "REQUIRED_VARIABLES",
    "RETRY_AFTER_LIMIT",
    "SECRET_HEADER",
    "IgnoredUpdate",
    "Incoming",
    "TelegramConfigError",
    "TelegramInput",
    "TelegramOutput",
    "TelegramSettings",
    "callback_data",
    "derived_secret",
    "inline_keyboard",
    "parse_update",
    "split_message",
    "telegram_length",
]
