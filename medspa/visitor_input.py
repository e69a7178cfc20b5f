"""What the channels accept from visitors: checked text, limits, sender namespaces.

Pure functions, shared by every channel (``channels/guard.py``) and by the
staff tools:

- Conversations belong to their channel. REST senders are the integrator's
  own ids, unprefixed; every other channel stores its conversations under a
  reserved prefix (:data:`SENDER_PREFIXES`), and REST refuses a sender that
  uses one, so no channel can address another's conversation.
- Text that is not valid Unicode (lone surrogates) is refused, never stored;
  a sender id must not hold control characters either.
- A message longer than the limit is read up to the limit (cut at a word) and
  answered; the cut is recorded in the message's metadata.
- Logs and staff-facing output show visitor text as a bounded excerpt with
  control characters escaped (:func:`excerpt`, :func:`escape_controls`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Mapping, Tuple

WEB_PREFIX = "web-"
"""Conversations of the website chat widget: ``web-<id issued by the server>``."""
TELEGRAM_PREFIX = "telegram-"
"""Conversations on Telegram: ``telegram-<chat id>``."""
SENDER_PREFIXES = {"socketio": WEB_PREFIX, "telegram": TELEGRAM_PREFIX}
"""The reserved prefix of each channel (by Rasa's channel name); REST has none."""

_UNSTORABLE = re.compile("[\ud800-\udfff]")
_NOT_IN_SENDER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


class InvalidInput(ValueError):
    """What a visitor sent cannot be accepted; the message says why (no content)."""


def channel_sender(channel: str, local_id: str) -> str:
    """The conversation id of a channel's own id (``telegram-42``)."""
    return f"{SENDER_PREFIXES.get(channel, '')}{local_id}"


def reserved_prefix(sender: str) -> str | None:
    """The reserved prefix ``sender`` starts with (case-insensitive), if any."""
    folded = sender.strip().lower()
    return next((p for p in SENDER_PREFIXES.values() if folded.startswith(p)), None)


def check_text(value: str, what: str) -> str:
    """Return ``value`` if it can be stored as text.

    Raises:
        InvalidInput: it holds a lone surrogate (not Unicode text).

    """
    if _UNSTORABLE.search(value):
        raise InvalidInput(f"{what} is not valid Unicode text")
    return value


def check_json_text(body: bytes) -> None:
    """Check that a JSON body holds only storable text (if it is JSON at all).

    Raises:
        InvalidInput: a string or key in it holds a lone surrogate.

    """
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route answers that
    try:
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError) as error:
        raise InvalidInput("the body is not valid Unicode text") from error


def check_rest_sender(sender: Any, max_chars: int) -> str:
    """A REST sender id: a short, storable string outside the reserved prefixes.

    Raises:
        InvalidInput: it is not one.

    """
    if not isinstance(sender, str) or not sender.strip():
        raise InvalidInput('"sender" must be a non-empty string')
    if len(sender) > max_chars:
        raise InvalidInput(f'"sender" is longer than {max_chars} characters')
    check_text(sender, '"sender"')
    if _NOT_IN_SENDER.search(sender):
        raise InvalidInput('"sender" must not contain control characters')
    prefix = reserved_prefix(sender)
    if prefix is not None:
        raise InvalidInput(f'"sender" must not start with "{prefix}" (reserved)')
    return sender


def check_metadata(metadata: Any, max_bytes: int) -> Dict[str, Any]:
    """Message metadata: a JSON object of valid text within ``max_bytes``.

    Raises:
        InvalidInput: it is not one.

    """
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput('"metadata" must be a JSON object')
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    except (UnicodeEncodeError, RecursionError, TypeError, ValueError) as error:
        raise InvalidInput('"metadata" is not valid Unicode JSON') from error
    if size > max_bytes:
        raise InvalidInput(f'"metadata" is larger than {max_bytes} bytes')
    return metadata


def clip_message(text: str, max_chars: int) -> Tuple[str, int]:
    """Cut a long message to at most ``max_chars``, at a word where possible.

    Returns:
        The text to read and the original length when it was cut, else 0.

    """
    if len(text) <= max_chars:
        return text, 0
    cut = text[:max_chars]
    space = cut.rfind(" ", max_chars // 2)
    return (cut[:space] if space > 0 else cut).rstrip(), len(text)


def clipped_metadata(metadata: Mapping[str, Any], original: int) -> Dict[str, Any]:
    """The metadata recording that a message was cut from ``original`` characters."""
    return (
        {**metadata, "medspa": {"clipped_from_chars": original}}
        if original
        else dict(metadata)
    )


def escape_controls(text: str) -> str:
    r"""Show control characters (terminal escapes, bidi overrides) as ``\x..``.

    Newlines and tabs stay; everything a terminal would act on is made visible.
    """
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def excerpt(text: str, max_chars: int) -> str:
    """A bounded, escaped excerpt of visitor text for a log line."""
    shown = escape_controls(text[:max_chars]).replace("\n", " ")
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"{shown}… ({len(text)} characters)" if len(text) > max_chars else shown
