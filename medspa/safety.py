"""Spot a visitor who reports a problem after a treatment, or an emergency.

This reading runs on every message before any FAQ answer, beside the NLU's
``report_problem`` intent, so that "my face is blistering since the laser,
how long does it last?" gets safety advice and not a downtime answer.
It looks for a symptom told in the first person: hypothetical questions
("can thermage cause burns?") are ordinary FAQ questions and pass through.
"""

from __future__ import annotations

import enum
import re
from typing import Optional

from medspa.text_matching import MAX_CHARS


class Severity(enum.Enum):
    """How urgent a reported problem is."""

    PROBLEM = "problem"
    EMERGENCY = "emergency"


def _words(*patterns: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


_EMERGENCY = _words(
    r"can'?t breathe",
    r"cannot breathe",
    r"(?:hard|difficult|trouble|struggling) (?:to )?breath",
    r"difficulty breathing",
    r"short(?:ness)? of breath",
    r"throat (?:is |feels |feel )?(?:tight|closing|swell|swollen)",
    r"(?:tongue|lips?) (?:is |are )?(?:swell|swollen)",
    r"anaphyla",
    r"chest pain",
    r"(?:fainted|passed out|unconscious|collapsed|seizure)",
    r"bleeding (?:that )?(?:won'?t|will not|doesn'?t|does not) stop",
)

_SYMPTOM = _words(
    r"blister",
    r"burn(?:s|t|ed|ing)?\b",
    r"pus\b",
    r"ooz",
    r"infect",
    r"crust",
    r"fever",
    r"hives",
    r"allergic",
    r"(?:very |really |badly |so )?swollen",
    r"(?:severe|unbearable|excruciating|terrible|throbbing) pain",
    r"(?:still|really|very) (?:hurts|painful|sore)",
    r"(?:still|lots? of|a lot of|so much|constant) (?:pain|hurting|soreness)",
    r"bleeding",
    r"numb(?:ness)?\b",
    r"lumps?\b",
    r"scar(?:red|ring)\b",
    r"(?:dark|brown|white) (?:marks|patches|spots) (?:appeared|appearing|showing)",
    r"went wrong",
    r"(?:rash|itch)",
    r"cold sores?",
    r"herpes",
    r"(?:hot|warm) to (?:the )?touch",
    r"red streaks?",
    r"weeping",
    r"(?:huge|big|hard|painful) (?:bruis|lump|bump|knot)",
)

# Worse instead of better, told as it happens ("the swelling keeps getting bigger"),
_WORSENING = _words(
    r"(?:getting|gets|got|keeps? getting|is getting) (?:bigger|worse|larger|redder)",
    r"(?:is|are|keeps?) spreading",
    r"(?:not|isn'?t|won'?t|hasn'?t|haven'?t|doesn'?t|never) (?:going|gone|go|gotten|"
    r"getting|get) (?:down|away|better)",
)
# is a report when it is about a sign of the body's reaction (or follows a
# treatment): "my wrinkles are getting worse" is a question, not a report.
_SIGN = _words(
    r"swell",
    r"bruis",
    r"red(?:ness)?\b",
    r"pain",
    r"sore",
    r"rash",
    r"lumps?\b",
    r"bumps?\b",
    r"blister",
    r"burn",
    r"itch",
    r"marks?\b",
    r"spots?\b",
    r"patch",
)

# The visitor speaks of themselves, or counts the days since a treatment ...
_FIRST_PERSON = _words(r"i\b", r"i'?m\b", r"i'?ve\b", r"my\b", r"me\b", r"mine\b")
_ELAPSED = _words(
    r"\d+\s*(?:days?|d|wks?|weeks?|hours?|hrs?)\s+(?:after|since|post|later)",
    r"(?:a|one|two|three|four|five|six|seven|several|few) (?:days?|weeks?) "
    r"(?:after|since|post|later)",
)
# ... and of something that already happened.
_PAST = _words(
    r"after (?:my|the|a|an|having|getting|i)\b",
    r"since (?:my|the|i)\b",
    r"post[- ]?(?:treatment|procedure|session)",
    r"(?:had|got|did|done|received)\b",
    r"yesterday",
    r"(?:days?|weeks?|hours?) ago",
    r"last (?:night|week|month)",
    r"this morning",
    r"now\b",
    r"still\b",
    r"(?:from|since) (?:my|the)\b",
    r"day (?:\d+|one|two|three|four|five|six|seven)\b",
    r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
)
_HYPOTHETICAL = _words(
    r"can (?:it|this|that|they|thermage|laser|micro|meso|rf|infrared)",
    r"could (?:it|this|i get)",
    r"will (?:it|i)\b",
    r"is there (?:a |any )?risk",
    r"what if",
    r"in case",
)


def assess(text: str) -> Optional[Severity]:
    """The severity of a problem the visitor reports, or None for no report."""
    text = (text or "")[:MAX_CHARS]
    if not (_FIRST_PERSON.search(text) or _ELAPSED.search(text)):
        return None
    if _HYPOTHETICAL.search(text) and not _PAST.search(text):
        return None
    if _EMERGENCY.search(text):
        return Severity.EMERGENCY
    if _HYPOTHETICAL.search(text):
        return None
    past = _PAST.search(text)
    if (_SYMPTOM.search(text) and past) or (
        _WORSENING.search(text) and (past or _SIGN.search(text))
    ):
        return Severity.PROBLEM
    return None
