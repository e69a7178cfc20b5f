"""The databases the console works on, through SQLAlchemy Core.

* Rasa's SQL tracker store (``events``: one row per event, its JSON in
  ``data``), on SQLite or PostgreSQL alike. The table is declared here as Rasa
  declares it, and created if Rasa has not run yet.
* The console's own tables (accounts, audit log, called-back marks, deletions,
  retention runs), in their own database. The audit log refuses updates and
  deletes with a trigger, so no code path can rewrite it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

TRACKER = sa.MetaData()

EVENTS = sa.Table(
    "events",
    TRACKER,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

CONSOLE = sa.MetaData()

USERS = sa.Table(
    "users",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

LOGIN_FAILURES = sa.Table(
    "login_failures",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
)

AUDIT_LOG = sa.Table(
    "audit_log",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)


def _message_marks(name: str, *columns: sa.Column) -> sa.Table:
    """A table of marks that staff put on visitor messages (one per message)."""
    return sa.Table(
        name,
        CONSOLE,
        sa.Column("event_id", sa.Integer, primary_key=True),  # the user event
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        *columns,
    )


# Problem reports someone called back.
CALLBACKS = _message_marks("called_back")

# Messages a member of staff flagged from a transcript for the review inbox.
FLAGS = _message_marks("flags")

# The review inbox: a visitor message's right reading, chosen by staff.
REVIEWS = _message_marks(
    "reviews",
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(80), nullable=False),
    sa.Column("treatment", sa.String(80)),
    sa.Column("span", sa.String(255)),  # where the treatment is named in the text
    sa.Column("exported_at", sa.Float),
)

DELETIONS = sa.Table(
    "deletions",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

RETENTION_RUNS = sa.Table(
    "retention_runs",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("conversations", sa.Integer, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
)


# Every knowledge-base edit: who, when, the entry before and after (YAML).
KB_CHANGES = sa.Table(
    "kb_changes",
    CONSOLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("treatment", sa.String(80), nullable=False),
    sa.Column("topic", sa.String(80), nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("reverts", sa.Integer),  # the change this one undid
)

_APPEND_ONLY = "the audit log is append-only"

for _operation in ("UPDATE", "DELETE"):
    sa.event.listen(
        AUDIT_LOG,
        "after_create",
        sa.DDL(
            f"CREATE TRIGGER audit_log_no_{_operation.lower()} BEFORE {_operation} "
            f"ON audit_log BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
        ).execute_if(dialect="sqlite"),
    )
sa.event.listen(
    AUDIT_LOG,
    "after_create",
    sa.DDL(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
        f"RAISE EXCEPTION '{_APPEND_ONLY}'; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    ).execute_if(dialect="postgresql"),
)


def _engine(url: str, metadata: sa.MetaData) -> Engine:
    """An engine on ``url`` with ``metadata``'s tables created if missing.

    A new SQLite file is made readable by its owner only (health data).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
    engine = sa.create_engine(url, future=True)
    metadata.create_all(engine, checkfirst=True)
    return engine


@dataclass
class Stores:
    """The tracker store and the console's database."""

    tracker: Engine
    console: Engine

    @classmethod
    def open(cls, conversations_url: str, console_db_url: str) -> Stores:
        """Connect to both databases, creating missing tables."""
        return cls(
            tracker=_engine(conversations_url, TRACKER),
            console=_engine(console_db_url, CONSOLE),
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.tracker.dispose()
        self.console.dispose()
