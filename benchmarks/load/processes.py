"""Resident memory of a server and every process it started (read from /proc)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> Tuple[str, int]:
    """A process's name and parent id."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    parent = int(raw[raw.rindex(")") + 2 :].split()[1])
    return name, parent


def parent(pid: int) -> int:
    """A process's parent id (0 if it is gone)."""
    try:
        return _stat(pid)[1]
    except (OSError, ValueError):
        return 0


def _children() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            _, parent = _stat(int(entry.name))
        except (OSError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def rss_kb(pid: int) -> int:
    """Resident memory of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def command(pid: int) -> str:
    """A short description of a process: its command line's telling words."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [w.decode(errors="replace") for w in raw if w]
    words = [Path(w).name if w.startswith("/") else w for w in words[:4]]
    return " ".join(words)[:48]


def tree(roots: Iterable[int]) -> List[Tuple[int, str, int]]:
    """(pid, command, RSS KiB) of every root process and all its descendants."""
    children = _children()
    found: List[Tuple[int, str, int]] = []
    pending = list(roots)
    while pending:
        pid = pending.pop(0)
        found.append((pid, command(pid), rss_kb(pid)))
        pending.extend(children.get(pid, []))
    return found


def program(description: str) -> str:
    """The program a process runs, from :func:`command`'s description.

    ``python scripts/rasa_production.py`` is ``rasa_production.py``, ``python
    -m actions`` is ``actions``, ``postgres: medspa medspa 127.0.0.1(…)`` is
    ``postgres``.
    """
    words = [w for w in description.split() if w != "-m"]
    if len(words) > 1 and words[0].startswith("python"):
        words = words[1:]
    return Path(words[0]).name.rstrip(":") if words else "?"


def cpu_by_program(roots: Iterable[int]) -> Dict[str, float]:
    """User and system CPU seconds of the processes under ``roots`` (alive now),
    summed by :func:`program`."""
    totals: Dict[str, float] = {}
    for pid, description, _ in tree(roots):
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        name = program(description)
        totals[name] = totals.get(name, 0.0) + ticks / TICKS
    return totals


def cpu_seconds(roots: Iterable[int]) -> float:
    """User and system CPU time of the processes under ``roots`` (alive now)."""
    return sum(cpu_by_program(roots).values())
