"""Find an event's class by its type name in a table, not a walk.

Rasa 3.6's ``Event.resolve_by_type`` walks every subclass of ``Event`` for each
event it reads: about 0.05 ms an event, and every reply of the action server
carries four or five (the slots it sets), each read that way. :func:`event_class`
remembers the class the walk finds first for each type name, the first time it
is asked, and :func:`install` makes Rasa ask it. A type name the table does not
hold (an event class defined later, an unknown or old name) is Rasa's walk's,
as before, with Rasa's default and error.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_CLASSES: Dict[str, Type[Event]] = {}

_rasa_resolve = Event.resolve_by_type
"""Rasa's own lookup (the walk), for the names the table does not hold."""


def event_class(type_name: str) -> Optional[Type[Event]]:
    """The class Rasa's walk finds first for ``type_name``, or ``None``.

    Args:
        type_name: An event's ``event`` field ("user", "slot", ...).

    Returns:
        The event class, or ``None`` when no class of ``Event`` has that name.
    """
    if not _CLASSES:
        for found in all_subclasses(Event):
            _CLASSES.setdefault(found.type_name, found)
    return _CLASSES.get(type_name)


def resolve_by_type(
    type_name: str, default: Optional[Type[Event]] = None
) -> Optional[Type[Event]]:
    """``Event.resolve_by_type``: the table first, then Rasa's walk."""
    found = event_class(type_name)
    if found is not None:
        return found
    return _rasa_resolve(type_name, default)


def install() -> None:
    """Make Rasa find event classes in the table."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
