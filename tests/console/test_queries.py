"""The console's queries on a tracker store seeded through Rasa's SQLTrackerStore."""

from __future__ import annotations

import subprocess
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError

from console import audit, figures, privacy, queries
from console.labels import Labels, spreadsheet_safe, when
from console.store import AUDIT_LOG, Stores
from medspa.knowledge_base import KnowledgeBase
from tests.console.seed import XSS, Message, Seeded, holds, seed
from tests.support.servers import BIN, PROJECT_DIR


def test_turns_pair_each_message_with_its_replies(stores: Stores) -> None:
    found = queries.turns(stores.tracker)

    assert len(found) == 9
    assert [t.timestamp for t in found] == sorted(t.timestamp for t in found)
    alice = [t for t in found if t.sender_id == "alice"]
    assert [t.text for t in alice] == [
        "does microneedling hurt?",
        "how long is the appointment?",
    ]
    assert alice[0].answers == [
        {"kind": "kb", "treatment": "microneedling", "topic": "pain",
         "covered": True, "sources": ["002_abd2556e1dc0e659.txt"]}
    ]  # fmt: skip
    assert alice[0].intent == "ask_pain" and alice[0].confidence == 0.9
    assert alice[0].treatments_named == ["microneedling"]
    assert alice[1].outcome == queries.NOT_COVERED


@pytest.mark.parametrize(
    ("kinds", "outcome", "report"),
    [
        (["safety", "out_of_scope"], queries.OTHER, True),  # advice, then decline
        (["out_of_scope"], queries.NOT_UNDERSTOOD, False),
        ([], queries.NOT_UNDERSTOOD, False),
        (["kb", "kb"], queries.ANSWERED, False),
        (["clarify"], queries.OTHER, False),
    ],
)
def test_outcome_and_problem_report_from_the_kinds_of_all_replies(
    kinds: list, outcome: str, report: bool
) -> None:
    turn = queries.Turn(
        1, "v", 0.0, "text", "rest", "ask_pain", 0.9,
        answers=[{"kind": kind} for kind in kinds],
    )  # fmt: skip
    assert turn.outcome == outcome
    assert turn.is_problem_report is report


def test_channel_from_input_channel_else_sender_prefix(stores: Stores) -> None:
    channels = {t.sender_id: t.channel for t in queries.turns(stores.tracker)}

    assert channels["telegram-4242"] == "telegram"  # input_channel
    assert channels["web-visitor2"] == "socketio"  # no input_channel: the prefix
    assert channels["alice"] == "rest"
    assert queries.channel_of("telegram-9", None) == "telegram"
    assert queries.channel_of("telegram-9", "rest") == "rest"


def test_filters_by_date_channel_kind_treatment_and_text(stores: Stores) -> None:
    def senders(filters: queries.Filters) -> set:
        return {t.sender_id for t in queries.turns(stores.tracker, filters)}

    everyone = senders(queries.Filters())
    assert "old-visitor" in everyone
    assert "old-visitor" not in senders(queries.last_days(30))
    assert senders(queries.last_days(1)) == {"web-visitor2", "carol"}
    assert senders(queries.Filters(channel="telegram")) == {"telegram-4242"}
    assert senders(queries.Filters(kind="safety")) == {"telegram-4242", "carol"}
    assert senders(queries.Filters(treatment="thermage")) == {
        "web-visitor1",
        "old-visitor",
    }
    assert senders(queries.Filters(search="WEATHER")) == {"web-visitor2"}
    assert senders(queries.Filters(search="reply (safety)")) == {
        "telegram-4242",
        "carol",
    }


def test_dashboard_counts(stores: Stores) -> None:
    filters = queries.last_days(30)
    board = queries.dashboard(queries.turns(stores.tracker, filters), filters)

    assert len(board.days) == 30 and board.days[-1] == filters.end
    assert board.messages == 8 and board.conversations == 5
    today = filters.end
    assert board.conversations_per_day[today] == 2
    assert board.messages_per_day[today] == 4
    assert board.kinds_per_day[today] == {"out_of_scope": 2, "clarify": 1, "safety": 1}
    assert board.heatmap == {
        ("microneedling", "pain"): 1,
        ("microneedling", "procedure_time"): 1,
        ("thermage", "pain"): 1,
        ("laser_skin_tightening", "pain"): 1,
    }
    assert board.outcomes == {
        queries.ANSWERED: 2,
        queries.NOT_COVERED: 1,
        queries.NOT_UNDERSTOOD: 2,
        queries.OTHER: 3,
    }
    assert sum(board.outcomes_per_week[queries.week_of(today)].values()) >= 4
    assert board.channels == {"rest": 2, "socketio": 2, "telegram": 1}
    assert [t.text for t in board.problem_reports] == [
        "the skin burns and is swelling after meso",
        "my face is blistering since the laser yesterday",
    ]
    assert [t.text for t in board.not_covered] == ["how long is the appointment?"]
    assert [t.text for t in board.not_understood] == ["what's the weather?", XSS]


def test_every_figure_has_rows_matching_its_header(
    stores: Stores, kb: KnowledgeBase
) -> None:
    filters = queries.last_days(30)
    board = queries.dashboard(queries.turns(stores.tracker, filters), filters)
    labels = Labels(kb)
    for figure in figures.FIGURES.values():
        rows = figure.rows(board, labels)
        assert rows, figure.name
        assert {len(row) for row in rows} == {len(figure.header)}, figure.name
    heat = figures.FIGURES["heatmap"].rows(board, labels)
    assert [kb.treatments["microneedling"].name, "pain and numbing", 1] in heat
    chart = figures.FIGURES["channels"].chart(board, labels)  # type: ignore[misc]
    assert {(m.category, m.value) for m in chart.marks} == {
        ("REST", 2), ("web chat", 2), ("Telegram", 1)
    }  # fmt: skip


def test_conversations_newest_first_and_transcript(stores: Stores) -> None:
    listed = queries.conversations(queries.turns(stores.tracker, queries.last_days(30)))
    assert [c.sender_id for c in listed][:2] == ["carol", "web-visitor2"]
    carol = listed[0]
    assert carol.messages == 2 and carol.kinds == ["clarify", "safety"]

    lines = queries.transcript(stores.tracker, "web-visitor2")
    assert [(line.speaker, line.text) for line in lines] == [
        ("visitor", XSS),
        ("assistant", "reply (out_of_scope)"),
        ("visitor", "what's the weather?"),
        ("assistant", "reply (out_of_scope)"),
    ]
    assert lines[1].answer == {"kind": "out_of_scope"}


def test_deleting_a_conversation_leaves_nothing_in_rasas_tracker_store(
    stores: Stores,
) -> None:
    db = Path(str(stores.tracker.url.database))
    assert holds(db, "alice")

    removed = privacy.delete_conversation(stores, "alice", "admin")

    assert removed > 0
    assert not holds(db, "alice")
    assert "alice" not in {t.sender_id for t in queries.turns(stores.tracker)}
    deletion = privacy.deletion_of(stores, "alice")
    assert (deletion.username, deletion.reason) == ("admin", privacy.ERASURE)
    assert [e.action for e in audit.entries(stores.console, "alice")] == [audit.DELETED]


def test_retention_deletes_conversations_idle_past_the_setting(stores: Stores) -> None:
    conversations, events = privacy.apply_retention(stores, days=180)

    assert conversations == 1 and events > 0
    senders = {t.sender_id for t in queries.turns(stores.tracker)}
    assert "old-visitor" not in senders and "alice" in senders
    assert privacy.deletion_of(stores, "old-visitor").reason == privacy.RETENTION
    assert privacy.retention_runs(stores)[0].conversations == 1
    # a week later nothing else is stale yet; retention 0 keeps everything
    later = time.time() + timedelta(days=7).total_seconds()
    assert privacy.apply_retention(stores, 180, now=later) == (0, 0)
    assert privacy.apply_retention(stores, 0) == (0, 0)


def assert_append_only(engine: Engine) -> None:
    """The database itself refuses to rewrite or delete audit entries."""
    for change in (sa.update(AUDIT_LOG).values(username="someone else"),
                   sa.delete(AUDIT_LOG)):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(change)


def test_the_audit_log_refuses_updates_and_deletes(stores: Stores) -> None:
    audit.record(stores.console, "staff", audit.VIEWED, "alice")
    assert_append_only(stores.console)
    assert [e.username for e in audit.entries(stores.console)] == ["staff"]


def test_spreadsheet_cells_never_start_a_formula() -> None:
    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("does it hurt?") == "does it hurt?"


def test_a_timestamp_out_of_any_calendar_breaks_nothing(stores: Stores) -> None:
    db = Path(str(stores.tracker.url.database))
    future = Seeded("far-future", "rest", -1e7, [Message("hello?", "greet", [])])
    seed(db, [future])

    found = queries.turns(stores.tracker)
    board = queries.dashboard(found)

    (odd,) = [t for t in found if t.sender_id == "far-future"]
    assert odd.day == date.max and when(odd.timestamp).startswith("(no date")
    assert board.days[-1] <= datetime.now(timezone.utc).date()
    assert board.messages == len(found) - 1  # counted in no day's column


def test_make_retention_applies_the_setting(stores: Stores) -> None:
    env = {
        "MEDSPA_CONVERSATIONS_URL": str(stores.tracker.url),
        "MEDSPA_CONSOLE_DB_URL": str(stores.console.url),
        "MEDSPA_RETENTION_DAYS": "180",
    }
    done = subprocess.run(
        [str(BIN / "python"), "-m", "console", "retention"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.startswith("Retention (180 days): deleted 1 conversations")
    assert privacy.deletion_of(stores, "old-visitor").username == privacy.RETENTION_USER
