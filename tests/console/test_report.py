"""``make report``: the console's queries as text, visitor text escaped."""

from __future__ import annotations

import subprocess
from pathlib import Path

from console.store import Stores
from scripts.report import printable, report
from tests.console.seed import Message, Seeded, seed
from tests.support.servers import BIN, PROJECT_DIR

HOSTILE = "\x1b[2J\x1b[31mcall 555-0100 now\x07\nfake line"


def test_report_prints_the_console_figures(stores: Stores) -> None:
    text = report(str(stores.tracker.url), days=30)

    assert text.startswith("Last 30 days: 5 conversations, 8 visitor messages")
    assert "microneedling/procedure_time: how long is the appointment?" in text
    reports = text.split("Problem reports")[1].split("Asked, but")[0]
    assert "telegram-4242: my face is blistering since the laser yesterday" in reports
    assert "what's the weather?" in text.split("Not understood or out of scope")[1]
    assert "old-visitor" not in text
    channels = text.split("Conversations by channel")[1].split("Treatments")[0]
    assert channels.split() == ["2", "rest", "2", "socketio", "1", "telegram"]


def test_control_characters_are_escaped(stores: Stores) -> None:
    db = Path(str(stores.tracker.url.database))
    seed(
        db,
        [
            Seeded(
                "mallory",
                "rest",
                0,
                [Message(HOSTILE, "out_of_scope", [{"kind": "out_of_scope"}])],
            )
        ],
    )

    text = report(str(stores.tracker.url), days=30)

    assert "\x1b" not in text and "\x07" not in text
    assert printable(HOSTILE) in text
    assert "\\x1b[2J\\x1b[31mcall 555-0100 now\\x07\\nfake line" in text


def test_the_command_reads_the_url_setting(stores: Stores) -> None:
    done = subprocess.run(
        [str(BIN / "python"), "-m", "scripts.report", "--days", "7"],
        cwd=PROJECT_DIR,
        env={"MEDSPA_CONVERSATIONS_URL": str(stores.tracker.url), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("Last 7 days: 5 conversations")
