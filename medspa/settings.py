"""Every setting of the assistant, read from the environment in one place.

:data:`VARIABLES` is the table of every environment variable the project reads
(the README's table is checked against it); :func:`get_settings` reads them
once. Defaults are the demo values, so ``make run`` works with no set-up.
Secrets (the HTTP API token, the action server's shared secret) come from the
environment or from an owner-only file under ``var/``, generated on first use,
never from a command line.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Tuple
from urllib.parse import quote, urlsplit

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT = "development"
PRODUCTION = "production"
PROFILES = (DEVELOPMENT, PRODUCTION)


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, default and meaning."""

    name: str
    default: str
    meaning: str
    shown: str = ""
    """The default as the README shows it, when it is not a plain value."""


# The staff console's variables (console/, make report); read by
# get_console_settings() at the end of this module.
CONSOLE_VARIABLES: Tuple[Variable, ...] = (
    Variable(
        "MEDSPA_CONSOLE_HOST", "127.0.0.1", "address the staff console listens on"
    ),
    Variable("MEDSPA_CONSOLE_PORT", "8090", "port of the staff console"),
    Variable(
        "MEDSPA_CONVERSATIONS_URL",
        "",
        "SQLAlchemy URL of Rasa's tracker store, read by the console and "
        "`make report` (e.g. `postgresql://rasa@db/rasa`)",
        "the SQL tracker store of `MEDSPA_ENDPOINTS`",
    ),
    Variable(
        "MEDSPA_CONSOLE_DB_URL",
        "",
        "SQLAlchemy URL of the console's own tables",
        "`sqlite:///var/console.db`",
    ),
    Variable(
        "MEDSPA_CONSOLE_SECRET_KEY",
        "",
        "key signing the console's session cookies",
        "generated into `var/console_secret_key`",
    ),
    Variable(
        "MEDSPA_CONSOLE_SECURE_COOKIES",
        "false",
        "`true`: Secure cookies (set it when the console is served behind https)",
    ),
    Variable(
        "MEDSPA_CONSOLE_LOGIN_ATTEMPTS",
        "5",
        "failed sign-ins of one account before it is throttled (an address: 5x)",
    ),
    Variable(
        "MEDSPA_CONSOLE_LOGIN_WINDOW_MINUTES", "15", "the throttling window (minutes)"
    ),
    Variable(
        "MEDSPA_RETENTION_DAYS",
        "180",
        "conversations idle longer are deleted (`0`: never)",
    ),
    Variable(
        "MEDSPA_RETENTION_INTERVAL_HOURS",
        "6",
        "how often the running console applies the retention",
    ),
    Variable(
        "MEDSPA_REVIEW_CONFIDENCE",
        "0.5",
        "messages the NLU read with less confidence go to the review inbox",
    ),
    Variable(
        "MEDSPA_TRAINING_DATA_DIR",
        str(PROJECT_DIR / "data"),
        "where the review inbox exports (`nlu/reviewed.yml`)",
        "`data/`",
    ),
    Variable(
        "MEDSPA_ARTICLES_DIR",
        str(PROJECT_DIR.parent / "shared" / "seeds"),
        "the source articles, to check the quotes of an edited entry (skipped "
        "when missing)",
        "`../shared/seeds/`",
    ),
    Variable(
        "MEDSPA_STAFF_PASSWORD",
        "",
        "password for `make staff-user` without a prompt (never on a command line)",
    ),
)

VARIABLES: Tuple[Variable, ...] = (
    Variable("MEDSPA_PROFILE", DEVELOPMENT, "`development` or `production`"),
    Variable(
        "MEDSPA_VAR_DIR",
        str(PROJECT_DIR / "var"),
        "owner-only folder of secrets, logs and the supervisor's socket",
        "`var/`",
    ),
    Variable("MEDSPA_MODEL", "models/medspa.tar.gz", "the trained model"),
    Variable("MEDSPA_ENDPOINTS", "endpoints.yml", "Rasa's endpoints file"),
    Variable("MEDSPA_CREDENTIALS", "credentials.yml", "Rasa's channels file"),
    Variable("RASA_HOST", "127.0.0.1", "address the Rasa server listens on"),
    Variable("RASA_PORT", "5005", "port of the Rasa server"),
    Variable("ACTIONS_PORT", "5055", "port of the action server (loopback only)"),
    Variable("WEB_HOST", "127.0.0.1", "address of the demo page"),
    Variable("WEB_PORT", "8080", "port of the demo page"),
    Variable(
        "RASA_AUTH_TOKEN",
        "",
        "token of the HTTP API (conversations are health data)",
        "generated into `var/auth_token`",
    ),
    Variable(
        "MEDSPA_ACTION_SECRET",
        "",
        "shared secret the Rasa server sends to the action server",
        "generated into `var/action_secret`",
    ),
    Variable(
        "MEDSPA_REST_TOKEN",
        "",
        "bearer token of the REST channel; required in production "
        "(unset there: REST is off), optional in development",
    ),
    Variable(
        "MEDSPA_WIDGET_ORIGINS",
        "",
        "space- or comma-separated origins allowed to open the chat widget",
        "the demo page's origins",
    ),
    Variable(
        "WIDGET_SOCKET_URL",
        "",
        "where the visitor's browser reaches the Rasa server",
        "`http://127.0.0.1:$RASA_PORT`",
    ),
    Variable(
        "MEDSPA_KNOWLEDGE_BASE",
        str(PROJECT_DIR / "knowledge" / "treatments.yml"),
        "the knowledge base file",
        "`knowledge/treatments.yml`",
    ),
    Variable(
        "MEDSPA_ACTION_TIMEOUT",
        "10",
        "seconds the Rasa server waits for the action server before its fallback",
    ),
    Variable("MEDSPA_MAX_MESSAGE_CHARS", "2000", "longest message read (characters)"),
    Variable("MEDSPA_MAX_BODY_BYTES", "262144", "largest request body (bytes)"),
    Variable("MEDSPA_MAX_METADATA_BYTES", "4096", "largest message metadata (JSON)"),
    Variable("MEDSPA_MAX_SENDER_CHARS", "128", "longest REST sender id"),
    Variable(
        "MEDSPA_SENDER_RATE",
        "30",
        "messages per minute one conversation may send",
    ),
    Variable(
        "MEDSPA_ADDRESS_RATE",
        "300",
        "messages per minute one public address may send (loopback and "
        "private addresses are not limited)",
    ),
    Variable(
        "MEDSPA_MAX_EVENTS",
        "3000",
        "events one conversation may keep; a message beyond it is not stored and "
        "gets 'please start a new conversation' (or the safety advice)",
    ),
    Variable(
        "MEDSPA_MAX_QUEUED",
        "4",
        "messages of one conversation waiting for their turn before 'please try again'",
    ),
    Variable(
        "MEDSPA_SESSION_SECRET",
        "",
        "key signing the chat widget's session ids",
        "generated into `var/session_secret`",
    ),
    Variable("MEDSPA_LOG_EXCERPT_CHARS", "80", "visitor text shown in a log line"),
    Variable("CLINIC_NAME", "Lumen Skin Clinic", "clinic details in replies"),
    Variable("CLINIC_PHONE", "+1 555 0100", "clinic phone"),
    Variable("CLINIC_EMAIL", "hello@lumen-skin.example", "clinic e-mail"),
    Variable("CLINIC_BOOKING_URL", "https://lumen-skin.example/book", "booking link"),
    Variable(
        "CLINIC_OPENING_HOURS",
        "Monday to Friday 9:00-18:00, Saturday 10:00-14:00",
        "opening hours",
    ),
    Variable(
        "CLINIC_EMERGENCY_NUMBER",
        "your local emergency number",
        "emergency number in safety replies",
    ),
    # the production profile (scripts/production.py, deploy/production/)
    Variable(
        "MEDSPA_PG_HOST", "127.0.0.1", "PostgreSQL host (production tracker store)"
    ),
    Variable("MEDSPA_PG_PORT", "5433", "PostgreSQL port"),
    Variable("MEDSPA_PG_DB", "medspa", "PostgreSQL database"),
    Variable("MEDSPA_PG_USER", "medspa", "PostgreSQL user"),
    Variable(
        "MEDSPA_PG_PASSWORD",
        "",
        "PostgreSQL password",
        "generated into `var/production/pg_password`",
    ),
    Variable("MEDSPA_REDIS_HOST", "127.0.0.1", "Redis host (production lock store)"),
    Variable("MEDSPA_REDIS_PORT", "6380", "Redis port"),
    Variable(
        "MEDSPA_REDIS_PASSWORD",
        "",
        "Redis password",
        "generated into `var/production/redis_password`",
    ),
    Variable(
        "MEDSPA_ACTIONS_HOST", "127.0.0.1", "where the Rasa servers reach the actions"
    ),
    Variable("TELEGRAM_ACCESS_TOKEN", "", "the bot's token from BotFather"),
    Variable("TELEGRAM_BOT_NAME", "", "the bot's username"),
    Variable("TELEGRAM_WEBHOOK_URL", "", "public HTTPS address of the webhook"),
    Variable("TELEGRAM_SECRET_TOKEN", "", "the webhook's secret", "from the token"),
    Variable("TELEGRAM_API_URL", "https://api.telegram.org", "the Bot API server"),
    *CONSOLE_VARIABLES,
)
_DEFAULTS = {variable.name: variable.default for variable in VARIABLES}


def env(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of a registered variable: set and not blank, else its default.

    Args:
        name: a variable of :data:`VARIABLES`.
        environ: the environment (``os.environ`` by default).

    Raises:
        KeyError: ``name`` is not in :data:`VARIABLES`.

    """
    default = _DEFAULTS[name]
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or default


def _int(name: str, environ: Mapping[str, str] | None = None) -> int:
    value = env(name, environ)
    try:
        number = int(value)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from error
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def owner_only_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only.

    The file is created with mode 0600 (never readable by others, not even for
    a moment) and its folder with 0700.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(path, 0o600)


def secret(name: str, file: Path, environ: Mapping[str, str] | None = None) -> str:
    """A secret from the environment, else from an owner-only file (generated).

    Args:
        name: the environment variable.
        file: where a generated secret is kept between runs.
        environ: the environment (``os.environ`` by default).

    Returns:
        The secret.

    """
    value = env(name, environ)
    if value:
        return value
    stored = file.read_text() if file.is_file() else ""
    if stored.strip():
        os.chmod(file, 0o600)
        if stored != stored.strip():  # made by an older run.sh, with a newline
            owner_only_file(file, stored.strip())
        return stored.strip()
    value = secrets.token_urlsafe(24)
    owner_only_file(file, value)  # no newline: `curl --data-urlencode token@file`
    return value


def parse_origins(value: str, default: Tuple[str, ...]) -> List[str]:
    """Read the widget's allowed origins from the setting's text.

    Args:
        value: space- or comma-separated origins (``scheme://host[:port]``).
        default: the origins when ``value`` names none.

    Returns:
        The origins, normalised to lower case without a trailing slash.

    Raises:
        ValueError: for ``*`` (any site) or anything that is not an origin.

    """
    origins = [part for part in re.split(r"[\s,]+", value or "") if part]
    if not origins:
        return list(default)
    parsed = []
    for origin in origins:
        if origin == "*":
            raise ValueError(
                "MEDSPA_WIDGET_ORIGINS: '*' would let any site use the chat"
            )
        parts = urlsplit(origin.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"MEDSPA_WIDGET_ORIGINS: {origin!r} is not an origin")
        parsed.append(f"{parts.scheme}://{parts.netloc}".lower())
    return parsed


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
class Limits:
    """Limits on what visitors send (see :data:`VARIABLES` for each meaning)."""

    message_chars: int
    body_bytes: int
    metadata_bytes: int
    sender_chars: int
    sender_rate: int
    address_rate: int
    queued: int
    events: int
    log_excerpt_chars: int


@dataclass(frozen=True)
class Settings:
    """Settings of the servers (secrets are read separately, on demand)."""

    profile: str
    var_dir: Path
    model: str
    endpoints: str
    credentials: str
    rasa_host: str
    rasa_port: int
    actions_port: int
    web_host: str
    web_port: int
    knowledge_base_path: Path
    action_timeout: int
    rest_token: str
    widget_origins: str
    widget_socket_url: str
    limits: Limits
    clinic: Clinic
    telegram: Dict[str, str]

    @property
    def production(self) -> bool:
        """Whether this is the production profile."""
        return self.profile == PRODUCTION


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting.

    Args:
        environ: the environment (``os.environ`` by default).

    Raises:
        ValueError: a value is invalid; the message names the variable.

    """
    profile = env("MEDSPA_PROFILE", environ)
    if profile not in PROFILES:
        raise ValueError(f"MEDSPA_PROFILE must be one of {', '.join(PROFILES)}")
    rasa_port = _int("RASA_PORT", environ)
    return Settings(
        profile=profile,
        var_dir=Path(env("MEDSPA_VAR_DIR", environ)),
        model=env("MEDSPA_MODEL", environ),
        endpoints=env("MEDSPA_ENDPOINTS", environ),
        credentials=env("MEDSPA_CREDENTIALS", environ),
        rasa_host=env("RASA_HOST", environ),
        rasa_port=rasa_port,
        actions_port=_int("ACTIONS_PORT", environ),
        web_host=env("WEB_HOST", environ),
        web_port=_int("WEB_PORT", environ),
        knowledge_base_path=Path(env("MEDSPA_KNOWLEDGE_BASE", environ)),
        action_timeout=_int("MEDSPA_ACTION_TIMEOUT", environ),
        rest_token=env("MEDSPA_REST_TOKEN", environ),
        widget_origins=env("MEDSPA_WIDGET_ORIGINS", environ),
        widget_socket_url=env("WIDGET_SOCKET_URL", environ)
        or f"http://127.0.0.1:{rasa_port}",
        limits=Limits(
            message_chars=_int("MEDSPA_MAX_MESSAGE_CHARS", environ),
            body_bytes=_int("MEDSPA_MAX_BODY_BYTES", environ),
            metadata_bytes=_int("MEDSPA_MAX_METADATA_BYTES", environ),
            sender_chars=_int("MEDSPA_MAX_SENDER_CHARS", environ),
            sender_rate=_int("MEDSPA_SENDER_RATE", environ),
            address_rate=_int("MEDSPA_ADDRESS_RATE", environ),
            queued=_int("MEDSPA_MAX_QUEUED", environ),
            events=_int("MEDSPA_MAX_EVENTS", environ),
            log_excerpt_chars=_int("MEDSPA_LOG_EXCERPT_CHARS", environ),
        ),
        clinic=Clinic(
            name=env("CLINIC_NAME", environ),
            phone=env("CLINIC_PHONE", environ),
            email=env("CLINIC_EMAIL", environ),
            booking_url=env("CLINIC_BOOKING_URL", environ),
            opening_hours=env("CLINIC_OPENING_HOURS", environ),
            emergency_number=env("CLINIC_EMERGENCY_NUMBER", environ),
        ),
        telegram=telegram_variables(environ),
    )


def telegram_variables(environ: Mapping[str, str] | None = None) -> Dict[str, str]:
    """The ``TELEGRAM_*`` variables (checked by ``channels.telegram.settings``)."""
    return {
        variable.name: env(variable.name, environ)
        for variable in VARIABLES
        if variable.name.startswith("TELEGRAM_")
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings of this process once."""
    return read_settings()


def auth_token(environ: Mapping[str, str] | None = None) -> str:
    """The HTTP API's token: ``RASA_AUTH_TOKEN``, else ``var/auth_token``."""
    var_dir = Path(env("MEDSPA_VAR_DIR", environ))
    return secret("RASA_AUTH_TOKEN", var_dir / "auth_token", environ)


def action_secret(environ: Mapping[str, str] | None = None) -> str:
    """The action server's shared secret: ``MEDSPA_ACTION_SECRET``, else a file."""
    var_dir = Path(env("MEDSPA_VAR_DIR", environ))
    return secret("MEDSPA_ACTION_SECRET", var_dir / "action_secret", environ)


# --- The staff console (console/) --------------------------------------------


@dataclass(frozen=True)
class ConsoleSettings:
    """Settings of the staff console and of ``make report``.

    Attributes:
        var_dir: where the generated session key is kept (owner-only).
        conversations_url: SQLAlchemy URL of Rasa's SQL tracker store.
        console_db_url: SQLAlchemy URL of the console's own tables.
        host: interface the console listens on (loopback by default).
        port: its port.
        secure_cookies: mark cookies Secure (set it when served behind https).
        retention_days: conversations idle longer are deleted (0: never).
        retention_interval_hours: how often the running console applies it.
        login_attempts: failed sign-ins allowed per account ...
        login_window_minutes: ... within this many minutes.
        review_confidence: messages the NLU read below this go to the review inbox.
        training_data_dir: the NLU data the review inbox exports into.
        articles_dir: the source articles, to check an edited entry's quotes.
        knowledge_base_path: the knowledge base file the console edits.
    """

    var_dir: Path
    conversations_url: str
    console_db_url: str
    host: str
    port: int
    secure_cookies: bool
    retention_days: int
    retention_interval_hours: float
    login_attempts: int
    login_window_minutes: float
    review_confidence: float
    training_data_dir: Path
    articles_dir: Path
    knowledge_base_path: Path


def _number(name: str, environ: Mapping[str, str] | None = None) -> float:
    value = env(name, environ)
    try:
        return float(value)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, not {value!r}") from error


def get_console_settings(environ: Mapping[str, str] | None = None) -> ConsoleSettings:
    """Read the console's settings (defaults: files under ``var/``).

    Raises:
        ValueError: a value is invalid; the message names the variable.

    """
    var_dir = Path(env("MEDSPA_VAR_DIR", environ))
    console_db = env("MEDSPA_CONSOLE_DB_URL", environ)
    endpoints = PROJECT_DIR / env("MEDSPA_ENDPOINTS", environ)
    return ConsoleSettings(
        var_dir=var_dir,
        conversations_url=env("MEDSPA_CONVERSATIONS_URL", environ)
        or tracker_store_url(endpoints, environ)
        or f"sqlite:///{var_dir / 'conversations.db'}",
        console_db_url=console_db or f"sqlite:///{var_dir / 'console.db'}",
        host=env("MEDSPA_CONSOLE_HOST", environ),
        port=_int("MEDSPA_CONSOLE_PORT", environ),
        secure_cookies=env("MEDSPA_CONSOLE_SECURE_COOKIES", environ).lower()
        in ("1", "true", "yes"),
        retention_days=_int("MEDSPA_RETENTION_DAYS", environ),
        retention_interval_hours=_number("MEDSPA_RETENTION_INTERVAL_HOURS", environ),
        login_attempts=_int("MEDSPA_CONSOLE_LOGIN_ATTEMPTS", environ),
        login_window_minutes=_number("MEDSPA_CONSOLE_LOGIN_WINDOW_MINUTES", environ),
        review_confidence=_number("MEDSPA_REVIEW_CONFIDENCE", environ),
        training_data_dir=Path(env("MEDSPA_TRAINING_DATA_DIR", environ)),
        articles_dir=Path(env("MEDSPA_ARTICLES_DIR", environ)),
        knowledge_base_path=Path(env("MEDSPA_KNOWLEDGE_BASE", environ)),
    )


def console_secret_key(var_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The console's cookie key: ``MEDSPA_CONSOLE_SECRET_KEY``, else a file."""
    return secret("MEDSPA_CONSOLE_SECRET_KEY", var_dir / "console_secret_key", environ)


_ENDPOINT_VARIABLE = re.compile(r"\$\{(\w+)\}")
SQL_STORE_TYPES = ("SQL", "STORES.SQL.CACHEDSQLTRACKERSTORE")
"""Tracker store types whose rows are Rasa's SQL table (upper case)."""


def tracker_store_url(endpoints: Path, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL of the SQL tracker store an endpoints file names.

    Read as Rasa reads it: ``${VARIABLE}`` taken from the environment, the
    server's address under ``url`` (or ``host``), a SQLite path relative to
    the project. Empty when the file names no SQL tracker store.
    """
    try:
        text = endpoints.read_text()
    except OSError:
        return ""
    values = os.environ if environ is None else environ
    text = _ENDPOINT_VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)
    store = (yaml.safe_load(text) or {}).get("tracker_store") or {}
    if str(store.get("type", "")).upper() not in SQL_STORE_TYPES:
        return ""
    dialect, db = str(store.get("dialect") or "sqlite"), str(store.get("db") or "")
    if dialect == "sqlite":
        return f"sqlite:///{PROJECT_DIR / db}"
    user = quote(str(store.get("username") or ""), safe="")
    if user and store.get("password"):
        user += ":" + quote(str(store["password"]), safe="")
    host = str(store.get("url") or store.get("host") or "")
    port = f":{store['port']}" if store.get("port") else ""
    return f"{dialect}://{user}{'@' if user else ''}{host}{port}/{db}"


def staff_password(environ: Mapping[str, str] | None = None) -> str:
    """A new console account's password from ``MEDSPA_STAFF_PASSWORD`` (or "")."""
    return env("MEDSPA_STAFF_PASSWORD", environ)
