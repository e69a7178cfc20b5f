"""Spot a visitor who reports a problem after a treatment, or an emergency.

This reading runs on every message before any FAQ answer, beside the NLU's
``report_problem`` intent, so that "my face is blistering since the laser,
how long does it last?" gets safety advice and not a downtime answer.
It looks for a symptom told in the first person: hypothetical questions
("can thermage cause burns?") are ordinary FAQ questions and pass through.
The words it looks for are the cue vocabulary of ``knowledge/cues.yml``.
"""

from __future__ import annotations

import enum
from typing import AbstractSet, Optional

from medspa.cues import Cues, default_cues
from medspa.sentences import is_question, sentences, windows
from medspa.text_matching import MAX_CHARS


class Severity(enum.Enum):
    """How urgent a reported problem is."""

    PROBLEM = "problem"
    EMERGENCY = "emergency"


# the kinds of cue (knowledge/cues.yml) that tell a report from a question
SAFETY_CUES = frozenset(
    {
        "emergency",
        "symptom",
        "worsening",
        "sign",
        "first_person",
        "elapsed",
        "past",
        "hypothetical",
    }
)

# the kinds of cue that tell of a person or a time: what a report has
_TOLD_OF = frozenset({"first_person", "past", "elapsed"})

# a treatment still to come, and what tells that one was had (or an emergency)
_CONSIDERED = frozenset({"prospective"})
_TOLD_OF_PAST = frozenset({"past", "elapsed", "emergency"})


def assess(text: str, cues: Optional[Cues] = None) -> Optional[Severity]:
    """The severity of a problem the visitor reports, or None for no report.

    A long message is read two sentences at a time: the symptom, the time
    and the person must be told together, so a story that mentions scarring
    in one place and a past treatment in another is not a report.

    Args:
        text: the visitor's message.
        cues: the cue vocabulary (default: ``knowledge/cues.yml``).

    """
    cues = cues or default_cues()
    found = [
        _severity(cues.found(w, SAFETY_CUES))
        for w in windows(text[:MAX_CHARS], limit=64)
    ]
    if Severity.EMERGENCY in found:
        return Severity.EMERGENCY
    return Severity.PROBLEM if Severity.PROBLEM in found else None


def tells_of_emergency(text: str, cues: Optional[Cues] = None) -> bool:
    """Whether the message names an emergency ("can't breathe", "chest pain").

    :func:`assess` reads an emergency only where a person or a time is told
    too; a message read as a report some other way (the NLU, a follow-up) that
    names an emergency is one too: "can't breathe after injection".
    """
    return (cues or default_cues()).has("emergency", text[:MAX_CHARS])


def only_asks(text: str, cues: Optional[Cues] = None) -> bool:
    """Whether the message only asks, telling of no person and no time.

    "Can Fraxel cause hyperpigmentation?" or "is peeling normal after laser?"
    is made of questions and tells of no person and no time (no "I", "my",
    "after my", "3 days ago"): an ordinary question about risks or recovery,
    however much its words sound like a report. The planner holds the NLU's
    ``report_problem`` intent back for such a message; the safety classifier
    and the cues still read it as they read any, and a message that says
    something ("the treated area is oozing") is not held back.

    Args:
        text: the visitor's message.
        cues: the cue vocabulary (default: ``knowledge/cues.yml``).

    """
    cues = cues or default_cues()
    found = sentences(text[:MAX_CHARS])
    return (
        bool(found)
        and all(is_question(sentence) for sentence in found)
        and not cues.found(text[:MAX_CHARS], _TOLD_OF)
    )


def only_considers(text: str, cues: Optional[Cues] = None) -> bool:
    """Whether the visitor weighs a treatment to come and tells of nothing had.

    "Can Botox cause nerve damage? I am thinking of getting it" or "I'm
    considering Ultherapy but worry about fat loss" speak of complications
    of a treatment not had yet. Such a message reports nothing, however much
    it sounds like a report: the planner holds back the NLU's reading of one
    (its intent and its safety classifier). A message that also tells of a
    treatment had or of days since one ("I had Fraxel 3 days ago and am
    considering another"), or names an emergency, is not held back.

    Args:
        text: the visitor's message.
        cues: the cue vocabulary (default: ``knowledge/cues.yml``).

    """
    cues = cues or default_cues()
    found = cues.found(text[:MAX_CHARS], _CONSIDERED | _TOLD_OF_PAST)
    return found == _CONSIDERED


def _severity(found: AbstractSet[str]) -> Optional[Severity]:
    """The severity told by the kinds of cue found in one stretch of text."""
    if not found & {"first_person", "elapsed"}:
        return None
    hypothetical = "hypothetical" in found
    # "5 weeks post", "3 days after" tell of a treatment had, as "had" does
    past = bool(found & {"past", "elapsed"})
    if hypothetical and not past:
        return None
    if "emergency" in found:
        return Severity.EMERGENCY
    if hypothetical:
        return None
    if ("symptom" in found and past) or (
        "worsening" in found and (past or "sign" in found)
    ):
        return Severity.PROBLEM
    return None
