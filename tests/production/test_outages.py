"""Redis or PostgreSQL restarted: clear replies meanwhile, recovery, nothing lost."""

from __future__ import annotations

import time
import uuid

import pytest

from channels.guard import project_responses
from medspa.answers import Wording
from medspa.fallback import busy_reply, fallback_reply
from medspa.settings import get_settings
from scripts.production import Profile
from tests.production.conftest import answers, say, stored_events


@pytest.mark.parametrize("program", ["redis", "postgres"])
def test_an_outage_gets_clear_replies_and_the_profile_recovers(
    profile: Profile, program: str
) -> None:
    sender = f"outage-{program}-{uuid.uuid4().hex[:8]}"
    assert say(profile, sender, "tell me about microneedling").status == 200
    before = stored_events(profile, sender)
    wording = Wording({"responses": project_responses()})
    unavailable = fallback_reply("does it hurt?", None, wording, get_settings().clinic)[
        0
    ]
    # the channel's guard reads a lock store it cannot reach as a busy one
    clear_replies = [[unavailable], [busy_reply(wording)[0]]]

    profile.ctl("stop", program)
    try:
        during = say(profile, sender, "does it hurt?")
        assert during.status == 200 and during.texts in clear_replies
        logs = "".join(
            log.read_text(errors="replace")
            for log in (profile.layout.run_dir / "log").glob("rasa-*.log")
        )
        # the log says which conversation could not be answered, and why
        assert any(
            sender in line and ("failed" in line or "busy" in line)
            for line in logs.splitlines()
        )
    finally:
        profile.ctl("start", program)

    deadline = time.monotonic() + 120
    reply = say(profile, sender, "does it hurt?")
    while reply.texts in clear_replies and time.monotonic() < deadline:
        time.sleep(3)  # within the per-conversation rate limit
        reply = say(profile, sender, "does it hurt?")
    assert reply.status == 200 and reply.texts not in clear_replies
    # the conversation kept its context and every event from before the outage
    last = answers(profile, sender)[-1]
    assert (last["kind"], last["treatment"], last["topic"]) == (
        "kb",
        "microneedling",
        "pain",
    )
    assert stored_events(profile, sender)[: len(before)] == before
