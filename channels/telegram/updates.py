"""Reading Telegram updates: what the assistant answers, and what it ignores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Tuple

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
