"""The staff report reads what visitors asked from the real conversation store."""

from __future__ import annotations

import uuid
from typing import Dict

from scripts.report import report
from tests.support.servers import Assistant

NOT_OFFERED = "don't cover (not_offered)"


def _not_offered_counts(text: str) -> Dict[str, int]:
    section = text.split(NOT_OFFERED)[1].split("Not understood")[0]
    counts = {}
    for line in section.strip().splitlines():
        number, _, name = line.strip().partition("  ")
        if number.isdigit():
            counts[name.strip()] = int(number)
    return counts


def test_report_lists_what_visitors_asked(assistant: Assistant) -> None:
    db = f"sqlite:///{assistant.workdir / 'conversations.db'}"
    before = _not_offered_counts(report(db, days=1, limit=10_000))
    sender = f"report-{uuid.uuid4().hex[:8]}"
    assistant.say(sender, "does microneedling hurt?")
    assistant.say(sender, "how long is the appointment?")
    assistant.say(sender, "what's the weather in Paris?")
    assistant.say(sender, "do you do lip fillers?")

    text = report(db, days=1, limit=10_000)

    assert "Treatments asked about" in text and "microneedling" in text
    uncovered = text.split("Asked, but not covered")[1].split("Not understood")[0]
    assert "microneedling/procedure_time: how long is the appointment?" in uncovered
    after = _not_offered_counts(text)
    assert after.get("fillers", 0) == before.get("fillers", 0) + 1
    assert {k: v for k, v in after.items() if k != "fillers"} == {
        k: v for k, v in before.items() if k != "fillers"
    }
    assert "what's the weather in Paris?" in text.split("Not understood")[1]
