"""Answer ``Domain.is_empty()`` once for each domain, not once a message.

For every visitor message, Rasa 3.6's processor asks ``domain.is_empty()`` (its
check for intents and entities the domain does not know). Rasa answers by
building an empty domain and comparing the two domains' full dictionaries: 1.4 %
of the Rasa server's time under load (``make profile``). A served model's domain
does not change, so the answer is kept on the domain object the first time it
is asked; it is Rasa's answer.
"""

from __future__ import annotations

from typing import Any

ANSWER = "_medspa_is_empty"
"""Where the answer is kept on the domain object."""


def install() -> None:
    """Make ``Domain.is_empty`` keep Rasa's answer on each domain (idempotent)."""
    from rasa.shared.core.domain import Domain

    rasas = Domain.is_empty
    if getattr(rasas, "answered_once", False):
        return

    def is_empty(self: Any) -> bool:
        known = self.__dict__.get(ANSWER)
        if known is None:
            known = self.__dict__[ANSWER] = bool(rasas(self))
        return known

    is_empty.answered_once = True  # type: ignore[attr-defined]
    is_empty.__doc__ = rasas.__doc__
    Domain.is_empty = is_empty  # type: ignore[method-assign]
