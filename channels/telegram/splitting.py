"""Splitting answers longer than Telegram's limit, at natural boundaries."""

from __future__ import annotations

import re
from typing import List

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit on a message's text, in UTF-16 code units."""
MAX_CALLBACK_DATA_BYTES = 64
"""Telegram's limit on an inline button's ``callback_data``, in UTF-8 bytes."""

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
