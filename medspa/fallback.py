"""Replies the channels give when the assistant itself cannot answer.

When the action server is down or too slow, Rasa sends nothing; when a
conversation's queue is too long, it would drop the message. The channels
(``channels/guard.py``) then send one of these, with ``answer`` metadata like
every reply: safety advice when the message reads as a reported problem (the
same reading the actions make first), else an honest "I can't answer right
now" with the clinic's contacts (``handoff``). Wording is in ``domain.yml``.
"""

from __future__ import annotations

from typing import Optional, Tuple

from medspa import contract, safety
from medspa.answers import Wording, clinic_variables, safety_response
from medspa.contract import Answer, Kind
from medspa.settings import Clinic

UNAVAILABLE_RESPONSE = "utter_unavailable"
BUSY_RESPONSE = "utter_busy"
UNREADABLE_RESPONSE = "utter_unreadable"


def fallback_reply(
    text: str, intent: Optional[str], wording: Wording, clinic: Clinic
) -> Tuple[str, Answer]:
    """The reply to a message that got none.

    Args:
        text: the visitor's message.
        intent: the NLU's intent for it, if known.
        wording: the domain's responses.
        clinic: the clinic's contacts.

    Returns:
        The text and its ``answer`` metadata.

    """
    severity = safety.assess(text)
    if severity is None and intent == contract.Intent.REPORT_PROBLEM:
        severity = safety.Severity.PROBLEM
    if severity is not None:
        response, kind = safety_response(severity), Kind.SAFETY
    else:
        response, kind = UNAVAILABLE_RESPONSE, Kind.HANDOFF
    return (
        wording.text(response, **clinic_variables(clinic)),
        contract.plain_answer(kind),
    )


def busy_reply(wording: Wording) -> Tuple[str, Answer]:
    """The reply to a message that arrives while too many of its turn wait."""
    return wording.text(BUSY_RESPONSE), contract.plain_answer(Kind.HANDOFF)


def unreadable_reply(wording: Wording) -> Tuple[str, Answer]:
    """The reply to a message whose text cannot be read (not valid Unicode)."""
    return wording.text(UNREADABLE_RESPONSE), contract.plain_answer(Kind.OUT_OF_SCOPE)
