"""Cut a visitor's message into sentences, and into short overlapping windows.

Real visitors write posts: a title, a story, then the question. A reading of
the whole post is diluted by the story and cut at the sentence encoder's
length limit, so long messages are also read a window of sentences at a time.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

Span = Tuple[int, int]
"""A stretch of a message: (start, end) character offsets."""

# a sentence ends at . ! ? or a line break, followed by space (not "3.5", "e.g.")
_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\s*\n+\s*")


def sentence_spans(text: str) -> List[Span]:
    """Where each of the message's sentences is, in order, without its spaces."""
    text = text or ""
    cuts = list(_END.finditer(text))
    starts = [0, *(m.end() for m in cuts)]
    ends = [*(m.start() for m in cuts), len(text)]
    spans: List[Span] = []
    for start, end in zip(starts, ends, strict=True):
        part = text[start:end]
        if part.strip():
            left = start + len(part) - len(part.lstrip())
            spans.append((left, start + len(part.rstrip())))
    return spans


def sentences(text: str) -> List[str]:
    """The message's sentences, in order, stripped; none for blank text."""
    return [text[start:end] for start, end in sentence_spans(text)]


def windows(text: str, size: int = 2, limit: int = 16) -> List[str]:
    """Runs of ``size`` consecutive sentences (each sentence in at least one).

    A message of at most ``size`` sentences is one window, itself. At most
    ``limit`` windows are returned, from the start: the cost stays bounded.
    """
    return [window for window, _ in located_windows(text, size, limit)]


def located_windows(
    text: str, size: int = 2, limit: int = 16, spans: Optional[List[Span]] = None
) -> List[Tuple[str, Span]]:
    """:func:`windows`, each with where it is in the message.

    Args:
        text: the message.
        size: sentences in a window.
        limit: most windows returned, from the start.
        spans: the message's :func:`sentence_spans`, if already found.

    """
    found = sentence_spans(text) if spans is None else spans
    runs = range(max(len(found) - size + 1, 1)) if found else range(0)
    return [
        (
            " ".join(text[a:b] for a, b in found[i : i + size]),
            (found[i][0], found[min(i + size, len(found)) - 1][1]),
        )
        for i in runs[:limit]
    ]


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something (it ends with a question mark)."""
    return sentence.rstrip(" \"')]").endswith("?")


FOCUS_MIN_CHARS = 250
"""A message up to this long is always read whole (its own focus)."""


def focus(text: str, min_chars: int = FOCUS_MIN_CHARS) -> str:
    """What a long post asks: its title question, else its questions.

    A message of at most two sentences or ``min_chars`` characters is its own
    focus. A post whose first sentence (its title) is a question is read for
    that question; otherwise for the questions its body asks; a post that
    asks nothing is read whole.
    """
    found = sentences(text)
    if len(found) <= 2 or len(text) <= min_chars:
        return text
    if is_question(found[0]):
        return found[0]
    questions = [s for s in found if is_question(s)]
    return " ".join(questions) if questions else text


def other_question(text: str, min_chars: int = FOCUS_MIN_CHARS) -> str | None:
    """The question a long post's body asks beside its title question, if any.

    "Is Fraxel painful? I had it once years ago ... How long is the downtime?"
    is read for its title (:func:`focus`); its body's last question is the
    other one, which the assistant may offer to answer too. None when the post
    is short, has no title question, or its body asks nothing.
    """
    found = sentences(text)
    if len(found) <= 2 or len(text) <= min_chars or not is_question(found[0]):
        return None
    asked = [s for s in found[1:] if is_question(s)]
    return asked[-1] if asked else None
