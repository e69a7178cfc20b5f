"""Closed-loop visitors: each sends a message, waits for the reply, sends the next.

Every visitor is a fresh sender that starts a new conversation every
``messages_per_conversation`` messages; the messages are real visitors'
questions, taken in turn from one shared list so that concurrent visitors
rarely send the same text at the same time.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Sequence

import aiohttp
import numpy as np
import yaml

MAX_TEXT = 300


def load_questions(path: Path, max_chars: int = MAX_TEXT) -> List[str]:
    """The visitors' texts of a held-out file (single questions and dialogue turns).

    Args:
        path: a file in the shared grader's format.
        max_chars: longer texts are left out (the benchmark's message size).
    """
    texts: List[str] = []
    for item in yaml.safe_load(path.read_text()) or []:
        for turn in item.get("turns") or [item]:
            text = str(turn.get("text") or "").strip()
            if text and len(text) <= max_chars:
                texts.append(text)
    if not texts:
        raise ValueError(f"{path}: no questions of at most {max_chars} characters")
    return texts


@dataclass
class LevelResult:
    """What one load level measured."""

    visitors: int
    seconds: float = 0.0
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    silent: int = 0
    """Messages answered with HTTP 200 but no bot message (counted as answered)."""
    cpu_seconds: float = 0.0
    """CPU time the bot's processes spent during the level (all cores)."""
    cpu_by_program: Dict[str, float] = field(default_factory=dict)
    """The same, by program (``processes.program``)."""

    @property
    def messages(self) -> int:
        """Messages answered (HTTP 200)."""
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        """Answered messages per second."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_message(self) -> float:
        """CPU milliseconds the bot spent per answered message (load-independent)."""
        return 1000 * self.cpu_seconds / self.messages if self.messages else 0.0

    def percentile(self, q: float) -> float:
        """A latency percentile in milliseconds (NaN without answers)."""
        if not self.latencies:
            return float("nan")
        return float(np.percentile(self.latencies, q)) * 1000

    def error(self, kind: str) -> None:
        """Count one failed message."""
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def _visitor(
    session: aiohttp.ClientSession,
    url: str,
    texts: Iterator[str],
    result: LevelResult,
    deadline: float,
    budget: List[int],
    per_conversation: int,
) -> None:
    sender = ""
    sent = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        if sent % per_conversation == 0:
            sender = f"load-{uuid.uuid4().hex}"
        sent += 1
        started = time.perf_counter()
        try:
            async with session.post(
                url, json={"sender": sender, "message": next(texts)}
            ) as response:
                replies = await response.json(content_type=None)
                if response.status != 200:
                    result.error(f"HTTP {response.status}")
                else:
                    result.latencies.append(time.perf_counter() - started)
                    result.silent += not replies
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            result.error(type(error).__name__)


async def drive(
    base_url: str,
    questions: Sequence[str],
    visitors: int,
    seconds: float,
    max_messages: int,
    per_conversation: int = 6,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> LevelResult:
    """Run ``visitors`` closed-loop visitors against a REST channel.

    Args:
        base_url: the Rasa server (``http://127.0.0.1:PORT``).
        questions: the texts to send, in turn.
        visitors: concurrent visitors.
        seconds: the level stops after this long ...
        max_messages: ... or after this many messages, whichever comes first.
        per_conversation: messages before a visitor starts a new conversation.
        timeout: seconds before one message counts as an error.
        headers: sent with every message.
    """
    url = f"{base_url}/webhooks/rest/webhook"
    texts = itertools.cycle(questions)
    result = LevelResult(visitors)
    budget = [max_messages]
    connector = aiohttp.TCPConnector(limit=visitors)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=client_timeout, headers=dict(headers or {})
    ) as session:
        started = time.monotonic()
        await asyncio.gather(
            *(
                _visitor(
                    session,
                    url,
                    texts,
                    result,
                    started + seconds,
                    budget,
                    per_conversation,
                )
                for _ in range(visitors)
            )
        )
        result.seconds = time.monotonic() - started
    return result


async def parse_latencies(
    base_url: str, token: str, questions: Sequence[str], count: int
) -> List[float]:
    """Seconds of ``count`` sequential ``/model/parse`` calls (one visitor)."""
    url = f"{base_url}/model/parse?token={token}"
    latencies: List[float] = []
    async with aiohttp.ClientSession() as session:
        for text in itertools.islice(itertools.cycle(questions), count):
            started = time.perf_counter()
            async with session.post(url, json={"text": text}) as response:
                await response.read()
                if response.status == 200:
                    latencies.append(time.perf_counter() - started)
    return latencies
