"""Two Rasa servers behind HAProxy share conversations through PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

from benchmarks.load.visitors import load_questions
from scripts.production import Profile
from tests.production.conftest import Reply, answers, say, stored_events, wait_for
from tests.support.heldout import HELDOUT_DIR

VISITORS = 6
CONVERSATIONS = 2
MESSAGES = 6


def test_one_conversation_served_alternately_keeps_its_context(
    profile: Profile,
) -> None:
    sender = f"alternating-{uuid.uuid4().hex[:8]}"
    texts = [
        "tell me about thermage",
        "does it hurt?",
        "how long do the results last",
        "how many sessions would I need",
    ]
    replies = [say(profile, sender, text) for text in texts]

    assert [r.status for r in replies] == [200] * len(texts)
    assert {r.server for r in replies} == {"rasa-1", "rasa-2"}
    found = [
        (a.get("kind"), a.get("treatment"), a.get("topic"))
        for a in answers(profile, sender)
    ]
    assert found[1:] == [
        ("kb", "thermage", "pain"),
        ("kb", "thermage", "results_duration"),
        ("kb", "thermage", "sessions"),
    ]


def _is_subsequence(stored: List[str], sent: List[str]) -> bool:
    position = 0
    for text in stored:
        try:
            position = sent.index(text, position) + 1
        except ValueError:
            return False
    return True


def test_a_server_killed_mid_run_loses_no_event_and_is_routed_around(
    profile: Profile,
) -> None:
    questions = list(dict.fromkeys(load_questions(HELDOUT_DIR / "test_visitors.yml")))
    run = uuid.uuid4().hex[:8]
    log: Dict[str, List[Tuple[str, float, Reply]]] = {}
    answered = threading.Semaphore(0)

    def visitor(index: int) -> None:
        for conversation in range(CONVERSATIONS):
            sender = f"kill-{run}-{index}-{conversation}"
            log[sender] = []
            start = (index * CONVERSATIONS + conversation) * MESSAGES
            for text in questions[start : start + MESSAGES]:
                started = time.monotonic()
                log[sender].append((text, started, say(profile, sender, text)))
                answered.release()

    victim = profile.pid("rasa-1")
    with ThreadPoolExecutor(VISITORS) as pool:
        running = [pool.submit(visitor, i) for i in range(VISITORS)]
        for _ in range(2 * VISITORS):  # mid-run: a dozen messages answered
            assert answered.acquire(timeout=120)
        os.killpg(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(
            lambda: profile.balancer_states()["rasa/rasa-1"].startswith("DOWN"),
            "HAProxy takes the killed server out",
            timeout=30,
        )
        for future in running:
            future.result(timeout=600)

    for sender, turns in log.items():
        sent = [text for text, _, _ in turns]
        ok = [text for text, _, reply in turns if reply.status == 200]
        # every message got a bot message, from the assistant or the balancer
        assert all(reply.texts for _, _, reply in turns), f"{sender}: {turns}"
        # routed around: every message sent once the server was gone (a second
        # after the kill; one sent at that moment may still have reached it)
        # got its answer
        late = [(text, r.status) for text, at, r in turns if at > killed_at + 1]
        assert all(status == 200 for _, status in late), f"{sender}: {late}"
        events = stored_events(profile, sender)
        stored = [e["text"] for e in events if e["event"] == "user"]
        assert len(stored) == len(set(stored)), f"{sender}: a message stored twice"
        assert _is_subsequence(stored, sent), f"{sender}: out of order: {stored}"
        assert set(ok) <= set(stored), f"{sender}: answered but not stored"
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps), f"{sender}: events out of order"
        kinds = [e["event"] for e in events]
        for position, kind in enumerate(kinds):
            if kind == "user":  # every stored message has its reply stored
                rest = kinds[position + 1 :]
                following = rest[: rest.index("user")] if "user" in rest else rest
                assert "bot" in following, f"{sender}: a reply was lost"
    served = {reply.server for turns in log.values() for _, _, reply in turns}
    assert {"rasa-1", "rasa-2"} <= served
    # supervisord starts the killed server again, and HAProxy takes it back
    wait_for(
        lambda: profile.balancer_states()["rasa/rasa-1"] == "UP",
        "the killed server is back",
        timeout=300,
    )
