"""Figures of the hardening suite, printed at the end of the run (never asserted)."""

from __future__ import annotations

from collections import Counter
from typing import Any

FIGURES: Counter = Counter()
"""What the suite tried and saw: bad inputs per channel, 5xx, tracebacks..."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures the issue asks for."""
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "hardening: bad inputs and faults")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
