"""The production profile's Rasa server: ``scripts/rasa_server.py``, strict storage.

Rasa wraps every tracker store in a fail-safe that, when the database cannot
be reached, answers from an empty in-memory conversation and keeps the new
events in that process's memory only: the visitor gets an answer without the
conversation's context, and the events never reach PostgreSQL. With several
servers sharing one database that is silent loss. Here a tracker store error
is an error: the channel's guard answers "I can't answer right now" with the
clinic's contacts, the log names the error, nothing is kept half-way, and the
next message after the database is back is answered with the whole context.

usage: the options of scripts/rasa_server.py (supervisord and systemd run it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # started as a script: find the packages
    sys.path.insert(0, str(PROJECT_DIR))


class TrackerStoreUnavailable(RuntimeError):
    """The conversation store (PostgreSQL) could not be read or written."""


def _raise(error: Exception) -> None:
    raise TrackerStoreUnavailable(f"{type(error).__name__}: {error}") from error


def strict_tracker_store() -> None:
    """Make Rasa's fail-safe wrapper raise instead of falling back to memory."""
    from rasa.core.agent import Agent

    create = Agent._create_tracker_store

    def create_strict(store: Any, domain: Any) -> Any:
        wrapper = create(store, domain)
        # FailSafeTrackerStore calls this instead of using its in-memory store
        wrapper._on_tracker_store_error = _raise
        return wrapper

    Agent._create_tracker_store = staticmethod(create_strict)


if __name__ == "__main__":
    from scripts.rasa_server import main

    strict_tracker_store()
    main(sys.argv[1:])
