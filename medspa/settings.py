"""Every setting of the action server, read from the environment in one place.

Defaults are the embedded demo values, so ``make run`` works with no set-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Clinic:
    """Contact details used by the handoff and safety replies."""

    name: str
    phone: str
    email: str
    booking_url: str
    opening_hours: str
    emergency_number: str


@dataclass(frozen=True)
class Settings:
    """Settings of the action server."""

    knowledge_base_path: Path
    clinic: Clinic


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once; environment variables override the demo defaults."""
    return Settings(
        knowledge_base_path=Path(
            _env(
                "MEDSPA_KNOWLEDGE_BASE",
                str(PROJECT_DIR / "knowledge" / "treatments.yml"),
            )
        ),
        clinic=Clinic(
            name=_env("CLINIC_NAME", "Lumen Skin Clinic"),
            phone=_env("CLINIC_PHONE", "+1 555 0100"),
            email=_env("CLINIC_EMAIL", "hello@lumen-skin.example"),
            booking_url=_env("CLINIC_BOOKING_URL", "https://lumen-skin.example/book"),
            opening_hours=_env(
                "CLINIC_OPENING_HOURS",
                "Monday to Friday 9:00-18:00, Saturday 10:00-14:00",
            ),
            emergency_number=_env(
                "CLINIC_EMERGENCY_NUMBER", "your local emergency number"
            ),
        ),
    )
