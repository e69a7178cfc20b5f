"""A running bot under test: where it listens and which processes are its own."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tests.support.servers import _wait_until, http_json


@dataclass
class Target:
    """A bot the benchmark drives."""

    name: str
    url: str
    token: str
    pids: List[int] = field(default_factory=list)
    """The root processes; their descendants count too."""
    headers: Dict[str, str] = field(default_factory=dict)
    """Sent with every visitor message (the production REST channel's token)."""
    layout: Optional[Tuple[int, int]] = None
    """(Rasa servers, Sanic workers per server) of a production profile."""


def wait_for_status(
    url: str, token: str, processes: Sequence[subprocess.Popen], logs: Sequence[Path]
) -> None:
    """Wait until the Rasa server at ``url`` has loaded its model."""
    _wait_until(
        lambda: bool(http_json(f"{url}/status?token={token}").get("model_id")),
        f"rasa server {url}",
        processes,
        logs,
    )
