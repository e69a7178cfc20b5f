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


# --- The staff console (console/) --------------------------------------------


@dataclass(frozen=True)
class ConsoleSettings:
    """Settings of the staff console and of ``make report``.

    Attributes:
        conversations_url: SQLAlchemy URL of Rasa's SQL tracker store.
        console_db_url: SQLAlchemy URL of the console's own tables.
        host: interface the console listens on (loopback by default).
        port: its port.
        secret_key: signs the session cookies; empty means generated into
            ``secret_key_file``.
        secret_key_file: where a generated key is kept (owner-only).
        secure_cookies: mark cookies Secure (set it when served behind https).
        retention_days: conversations older than this are deleted (0: never).
        retention_interval_hours: how often the running console applies it.
        login_attempts: failed sign-ins allowed per account and address ...
        login_window_minutes: ... within this many minutes.
        review_confidence: messages the NLU read below this go to the review inbox.
        training_data_dir: the NLU data the review inbox exports into
            (``nlu/reviewed.yml`` under it).
        articles_dir: the source articles, to check the quotes of an edited
            knowledge-base entry (skipped when the folder is missing).
    """

    conversations_url: str
    console_db_url: str
    host: str
    port: int
    secret_key: str
    secret_key_file: Path
    secure_cookies: bool
    retention_days: int
    retention_interval_hours: float
    login_attempts: int
    login_window_minutes: float
    review_confidence: float
    training_data_dir: Path
    articles_dir: Path


def _flag(name: str, default: bool) -> bool:
    return _env(name, "true" if default else "false").lower() in ("1", "true", "yes")


def get_console_settings() -> ConsoleSettings:
    """Read the console's settings from the environment (defaults: local files)."""
    var = PROJECT_DIR / "var"
    return ConsoleSettings(
        conversations_url=_env(
            "MEDSPA_CONVERSATIONS_URL", f"sqlite:///{var / 'conversations.db'}"
        ),
        console_db_url=_env("MEDSPA_CONSOLE_DB_URL", f"sqlite:///{var / 'console.db'}"),
        host=_env("MEDSPA_CONSOLE_HOST", "127.0.0.1"),
        port=int(_env("MEDSPA_CONSOLE_PORT", "8090")),
        secret_key=_env("MEDSPA_CONSOLE_SECRET_KEY", ""),
        secret_key_file=Path(
            _env("MEDSPA_CONSOLE_SECRET_KEY_FILE", str(var / "console_secret_key"))
        ),
        secure_cookies=_flag("MEDSPA_CONSOLE_SECURE_COOKIES", False),
        retention_days=int(_env("MEDSPA_RETENTION_DAYS", "180")),
        retention_interval_hours=float(_env("MEDSPA_RETENTION_INTERVAL_HOURS", "6")),
        login_attempts=int(_env("MEDSPA_CONSOLE_LOGIN_ATTEMPTS", "5")),
        login_window_minutes=float(_env("MEDSPA_CONSOLE_LOGIN_WINDOW_MINUTES", "15")),
        review_confidence=float(_env("MEDSPA_REVIEW_CONFIDENCE", "0.5")),
        training_data_dir=Path(
            _env("MEDSPA_TRAINING_DATA_DIR", str(PROJECT_DIR / "data"))
        ),
        articles_dir=Path(
            _env("MEDSPA_ARTICLES_DIR", str(PROJECT_DIR.parent / "shared" / "seeds"))
        ),
    )
