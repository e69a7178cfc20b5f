"""The staff report reads what visitors asked from the real conversation store."""

from __future__ import annotations

import uuid

from scripts.report import report
from tests.support.servers import Assistant


def test_report_lists_what_visitors_asked(assistant: Assistant) -> None:
    sender = f"report-{uuid.uuid4().hex[:8]}"
    assistant.say(sender, "does microneedling hurt?")
    assistant.say(sender, "how long is the appointment?")
    assistant.say(sender, "what's the weather in Paris?")

    text = report(assistant.workdir / "conversations.db", days=1, limit=10_000)

    assert "Treatments asked about" in text and "microneedling" in text
    uncovered = text.split("Asked, but not covered")[1].split("Not understood")[0]
    assert "microneedling/procedure_time: how long is the appointment?" in uncovered
    assert "what's the weather in Paris?" in text.split("Not understood")[1]
