"""Bad inputs over every channel: no 5xx, no traceback, no crash, nothing lost.

Hand-written and generated bad inputs go to the REST channel, the HTTP API,
the socket.io channel of the chat widget, the Telegram webhook (against the
Bot API stand-in) and the demo page server, all running under the real
supervisor. Three conversations (one per channel) are kept as witnesses: no
bad input may change them. At the end every process still runs with the same
process id (nothing crashed), the logs hold no traceback, and a real question
is still answered. The figures are printed at the end of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import socketio

from medspa.visitor_input import channel_sender
from tests.hardening.conftest import FIGURES
from tests.hardening.stack import PROGRAMS, Stack, supervised_stack
from tests.support.servers import http_request as request
from tests.telegram.bot_api import BotApi
from tests.telegram.conftest import SECRET, TelegramClient, telegram_env

Result = Tuple[str, int]  # (case, HTTP status)


# -- the stack and its witnesses -------------------------------------------------------


@pytest.fixture(scope="module")
def bot_api() -> Iterator[BotApi]:
    with BotApi() as api:
        yield api


@pytest.fixture(scope="module")
def stack(bot_api: BotApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = Path(tmp_path_factory.mktemp("bad-inputs"))
    # a conversation may send 5 messages a minute here (30 by default)
    env = {**telegram_env(bot_api.url), "MEDSPA_SENDER_RATE": "5"}
    with supervised_stack(workdir, env) as running:
        yield running


@pytest.fixture(scope="module")
def telegram(stack: Stack, bot_api: BotApi) -> TelegramClient:
    return TelegramClient(stack.assistant, bot_api)


class Witnesses:
    """One conversation per channel, which no bad input may change."""

    def __init__(self, stack: Stack, telegram: TelegramClient) -> None:
        self.assistant = stack.assistant
        self.rest = f"witness-{uuid.uuid4().hex[:8]}"
        self.assistant.say(self.rest, "does microneedling hurt?")
        self.chat = telegram.new_chat()
        telegram.say(self.chat, "how long does thermage last?")
        self.web_session, _ = asyncio.run(
            socket_exchange(stack, [{"message": "is mesotherapy safe?"}])
        )
        self.pids = {program: stack.pid(program) for program in PROGRAMS}
        self.events = self.snapshot()

    def senders(self) -> List[str]:
        return [
            self.rest,
            channel_sender("telegram", str(self.chat)),
            channel_sender("socketio", self.web_session),
        ]

    def snapshot(self) -> Dict[str, List[Dict[str, Any]]]:
        return {s: self.assistant.tracker(s)["events"] for s in self.senders()}


@pytest.fixture(scope="module")
def witnesses(stack: Stack, telegram: TelegramClient) -> Witnesses:
    return Witnesses(stack, telegram)


# -- sending ---------------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """JSON as a client sends it (lone surrogates escaped, as JSON allows)."""
    return json.dumps(value).encode()


def tally(channel: str, results: List[Result]) -> List[Result]:
    """Count the cases and return those answered with a 5xx."""
    FIGURES[f"bad inputs tried: {channel}"] += len(results)
    FIGURES["bad inputs tried: all channels"] += len(results)
    errors = [(case, status) for case, status in results if status >= 500]
    FIGURES["5xx answers"] += len(errors)
    return errors


# -- REST ------------------------------------------------------------------------------

BAD_SENDERS: List[Any] = [
    "\udfff",
    "a\ud800b",
    "",
    "   ",
    None,
    5,
    1.5,
    True,
    [],
    {},
    "x" * 129,
    "web-" + "0" * 64,
    "Telegram-1",
    "a\x00b",
    "a\x1b[2Jb",
    "line\nbreak",
    "\u202eevil",
]
BAD_MESSAGES: List[Any] = ["\udfff", "a\udc80b", 5, None, [], {}, True]
BAD_METADATA: List[Any] = [
    "a string",
    [1, 2],
    5,
    {"\udfff": 1},
    {"key": "\udfff"},
    {f"k{i}": i for i in range(5_000)},
]
RAW_BODIES: Dict[str, bytes] = {
    "empty": b"",
    "half an object": b"{",
    "a list": b"[]",
    "null": b"null",
    "a string": b'"hi"',
    "a number": b"1",
    "not UTF-8": b"\xff\xfe\xfd",
    "escaped lone surrogate": b'{"sender": "a", "message": "\\udfff"}',
    "deep nesting": b"[" * 50_000 + b"]" * 50_000,
    "over the body limit": b"{" * 300_000,
    "a megabyte message": encode({"sender": "big", "message": "x" * 1_000_000}),
    "200,000 metadata keys": encode(
        {
            "sender": "m",
            "message": "hi",
            "metadata": {str(i): i for i in range(200_000)},
        }
    ),
}
ODD_BUT_VALID: List[str] = [
    "",
    "   ",
    "\x1b[2J\x1b]0;owned\x07 does thermage hurt?",
    "\u202edoes microneedling hurt?",
    "\u200b\u200b\u200b",
    "🙂" * 500,
    "x" * 5_000,
    "does thermage hurt? " * 1_500,
    "/restart",
    "/nlu_fallback",
    '/inform_treatment{"treatment": "botox"}',
    '/ask_pain{"treatment": ["thermage"]}',
    "/" + "a" * 300,
    "%s%s%n{0}{{}}",
    "'; DROP TABLE events; --",
]


def rest_cases(witness: str) -> Iterator[Tuple[str, bytes]]:
    """Every bad REST body, named; none of them may reach a conversation."""
    for number, sender in enumerate(BAD_SENDERS):
        yield f"sender #{number}", encode({"sender": sender, "message": "hi"})
        for message in BAD_MESSAGES:
            yield (
                f"sender #{number}, bad message",
                encode({"sender": sender, "message": message}),
            )
    for message in BAD_MESSAGES:
        yield (
            f"witness, message {message!r}",
            encode({"sender": witness, "message": message}),
        )
    for metadata in BAD_METADATA:
        yield (
            f"metadata {str(metadata)[:20]}",
            encode({"sender": witness, "message": "hi", "metadata": metadata}),
        )
    yield from RAW_BODIES.items()


def test_rest_refuses_bad_bodies_without_touching_a_conversation(
    stack: Stack, witnesses: Witnesses
) -> None:
    url = f"{stack.assistant.rasa_url}/webhooks/rest/webhook"
    results = []
    for case, body in rest_cases(witnesses.rest):
        status, answer = request(url, body)
        results.append((case, status))
        assert status in (400, 413), (case, status, answer)
    assert tally("REST", results) == []
    assert witnesses.snapshot() == witnesses.events


def test_rest_answers_odd_but_valid_messages(stack: Stack) -> None:
    url = f"{stack.assistant.rasa_url}/webhooks/rest/webhook"
    results, unanswered = [], []
    for number, text in enumerate(ODD_BUT_VALID):
        sender = f"odd-{uuid.uuid4().hex[:8]}"
        status, replies = request(url, encode({"sender": sender, "message": text}))
        results.append((f"odd #{number}", status))
        answers = stack.assistant.turn_answers(sender)
        if status != 200 or not replies or not answers:
            unanswered.append((number, status, replies))
        stored = [
            e["text"]
            for e in stack.assistant.tracker(sender)["events"]
            if e["event"] == "user"
        ]
        # one message stored ("/restart" starts the conversation afresh), cut
        assert len(stored) <= 1 and all(len(t or "") <= 2_000 for t in stored)
    FIGURES["messages without a reply"] += len(unanswered)
    assert unanswered == []
    assert tally("REST", results) == []


def test_finding_1_a_lone_surrogate_sender_no_longer_stops_the_server(
    stack: Stack,
) -> None:
    """Finding 1: ``{"sender": "\\udfff"}`` made the Rasa server exit."""
    rasa = stack.pid("rasa")
    url = f"{stack.assistant.rasa_url}/webhooks/rest/webhook"
    status, answer = request(url, encode({"sender": "\udfff", "message": "hi"}))
    assert status == 400 and "Unicode" in answer["error"]
    assert stack.assistant.say(f"after-{uuid.uuid4().hex[:6]}", "hello")
    assert stack.pid("rasa") == rasa


def test_finding_4_rest_cannot_address_a_telegram_or_widget_conversation(
    stack: Stack, witnesses: Witnesses
) -> None:
    """Finding 4: posting as a Telegram chat id continued that visitor's chat."""
    url = f"{stack.assistant.rasa_url}/webhooks/rest/webhook"
    for sender in (
        str(witnesses.chat),
        *witnesses.senders()[1:],
        witnesses.web_session,
    ):
        status, replies = request(
            url, encode({"sender": sender, "message": "which treatment was it?"})
        )
        if status == 200:  # the bare chat id or session id: a REST conversation
            events = stack.assistant.tracker(sender)["events"]
            said = [e["text"] for e in events if e["event"] == "user"]
            assert said == ["which treatment was it?"]  # new, not the witness'
        else:
            assert status == 400
    # the REST conversations named like them are REST's own, and new
    assert witnesses.snapshot() == witnesses.events


def test_a_conversation_over_its_rate_is_asked_to_wait(stack: Stack) -> None:
    sender = f"rate-{uuid.uuid4().hex[:8]}"
    replies = [stack.assistant.say(sender, f"hello ({n})") for n in range(7)]
    assert all(replies)  # every message gets a reply
    waits = [r for r in replies if "wait for my reply" in r[0]["text"]]
    assert len(waits) == 2 and replies[-1] == waits[-1]
    stored = [
        e["text"]
        for e in stack.assistant.tracker(sender)["events"]
        if e["event"] == "user"
    ]
    assert stored == [f"hello ({n})" for n in range(5)]


# -- HTTP API --------------------------------------------------------------------------


def test_the_http_api_refuses_bad_requests(stack: Stack, witnesses: Witnesses) -> None:
    base, token = stack.assistant.rasa_url, stack.assistant.token
    cases: List[Tuple[str, str, str, Optional[bytes]]] = [
        ("GET", f"/conversations/%ED%B3%BF/tracker?token={token}", "bad UTF-8", None),
        ("GET", f"/conversations/%FF/tracker?token={token}", "not UTF-8", None),
        ("GET", "/conversations/x/tracker?token=%FF", "bad token bytes", None),
        ("GET", f"/conversations/{witnesses.rest}/tracker", "no token", None),
        ("GET", f"/conversations/{witnesses.rest}/tracker?token=x", "bad token", None),
        (
            "POST",
            f"/conversations/{witnesses.rest}/tracker/events?token={token}",
            "event with a lone surrogate",
            encode({"event": "bot", "text": "\udfff"}),
        ),
        (
            "POST",
            f"/conversations/{witnesses.rest}/messages?token={token}",
            "message with a lone surrogate",
            encode({"text": "\udfff", "sender": "user"}),
        ),
        (
            "POST",
            f"/model/parse?token={token}",
            "parse a lone surrogate",
            encode({"text": "\udfff"}),
        ),
        (
            "POST",
            f"/model/parse?token={token}",
            "parse over the body limit",
            encode({"text": "x" * 300_000}),
        ),
        (
            "POST",
            f"/conversations/{witnesses.rest}/trigger_intent?token={token}",
            "trigger a lone surrogate",
            encode({"name": "\udfff"}),
        ),
        ("GET", f"/conversations/{'x' * 5000}/tracker", "long id, no token", None),
        ("POST", f"/conversations/x/tracker/events?token={token}", "not JSON", b"{"),
    ]
    results = []
    for method, path, case, body in cases:
        status, answer = request(base + path, body, method=method)
        results.append((case, status))
        assert 400 <= status < 500, (case, status, answer)
    assert tally("HTTP API", results) == []
    assert witnesses.snapshot() == witnesses.events


# -- socket.io -------------------------------------------------------------------------


async def drain(replies: asyncio.Queue, quiet: float) -> List[Any]:
    """What arrives until nothing has for ``quiet`` seconds."""
    received = []
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            received.append(await asyncio.wait_for(replies.get(), quiet))
    return received


async def socket_exchange(
    stack: Stack,
    messages: List[Any],
    requested: Any = None,
    before_session: Optional[List[Any]] = None,
) -> Tuple[str, List[Any]]:
    """Open a widget's socket, ask for a session, send ``messages``.

    Args:
        stack: the running stack.
        messages: what the socket sends once it has its session.
        requested: the session id it asks for.
        before_session: what it sends before asking for a session.

    Returns:
        The confirmed session id and the bot's replies (each message's reply
        awaited before the next is sent).

    """
    client = socketio.AsyncClient()
    confirmed: asyncio.Queue = asyncio.Queue()
    replies: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    origin = f"http://127.0.0.1:{stack.env['WEB_PORT']}"
    await client.connect(
        stack.assistant.rasa_url,
        headers={"Origin": origin},
        transports=["polling"],
        wait_timeout=10,
    )
    received: List[Any] = []
    try:
        for early in before_session or []:
            await client.emit("user_uttered", early)
        await client.emit("session_request", {"session_id": requested})
        session = await asyncio.wait_for(confirmed.get(), 30)
        for message in messages:
            await client.emit("user_uttered", message)
            if isinstance(message, dict) and isinstance(message.get("message"), str):
                received.append(await asyncio.wait_for(replies.get(), 120))
                received += await drain(replies, 1.0)  # the rest of the reply
        received += await drain(replies, 0.5)  # a reply that should not come
        return session, received
    finally:
        # without waiting for the long-poll to end (up to the ping interval)
        await client.eio.disconnect(abort=True)


BAD_SESSION_IDS: List[Any] = [
    None,
    5,
    "",
    "0" * 32,
    "0" * 64,
    "\udfff",
    "web-" + "0" * 64,
    {"a": 1},
    [],
    "f" * 10_000,
]
BAD_SOCKET_MESSAGES: List[Any] = [
    None,
    "a string",
    5,
    [],
    {},
    {"message": 5},
    {"message": None},
    {"text": "hi"},
]


def test_socketio_issues_its_own_sessions_and_survives_bad_messages(
    stack: Stack, witnesses: Witnesses
) -> None:
    """Finding 4: a made-up session id (``000…0``) was accepted as given."""
    results = []
    for number, requested in enumerate(BAD_SESSION_IDS):
        session, replies = asyncio.run(
            socket_exchange(stack, BAD_SOCKET_MESSAGES, requested)
        )
        results.append((f"session id #{number}", 200))
        results.extend((f"message {m!r}", 200) for m in BAD_SOCKET_MESSAGES)
        assert session != requested and len(session) == 64
        assert replies == []  # nothing readable: nothing answered, nothing stored
    # a witness' session id, guessed from its shape, is not the witness'
    session, _ = asyncio.run(
        socket_exchange(stack, [], "0" * 32 + witnesses.web_session[32:])
    )
    assert session != witnesses.web_session
    assert tally("socket.io", results) == []
    assert witnesses.snapshot() == witnesses.events


def test_socketio_replies_to_what_it_cannot_read_and_bounds_the_rest(
    stack: Stack,
) -> None:
    """Finding 1 and 2 over socket.io: a lone surrogate got a traceback, no reply."""
    messages = [
        {"message": "\udfff"},
        {"message": "does thermage hurt?", "customData": "{not json"},
        {"message": "does thermage hurt?", "customData": {"k" * 10_000: 1}},
        {"message": "does thermage hurt? " * 1_000},
    ]
    early = [{"message": "before any session"}]
    session, replies = asyncio.run(socket_exchange(stack, messages, None, early))
    assert len(replies) >= len(messages) and all(r.get("text") for r in replies)
    assert "couldn't read" in replies[0]["text"]
    sender = channel_sender("socketio", session)
    events = stack.assistant.tracker(sender)["events"]
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    texts = [events[i]["text"] for i in users]
    assert len(texts) == 3 and "\udfff" not in "".join(texts), (
        texts,
        [r["text"][:60] for r in replies],
    )
    assert all(len(t) <= 2_000 for t in texts)
    for start, end in zip(users, [*users[1:], len(events)], strict=True):
        turn = events[start:end]
        assert len(json.dumps(turn[0].get("metadata") or {})) <= 4_096
        assert [e for e in turn if e["event"] == "bot" and e["metadata"]["answer"]]
    tally("socket.io", [(f"valid #{n}", 200) for n in range(len(messages) + 1)])


# -- Telegram --------------------------------------------------------------------------


def telegram_cases(telegram: TelegramClient, chat: int) -> Iterator[Tuple[str, Any]]:
    message = telegram.message
    update = telegram.update
    yield "a list", []
    yield "null", None
    yield "no update id", {"message": message(chat, "hi")}
    yield "update id a string", {"update_id": "7", "message": message(chat, "hi")}
    yield "update id true", {"update_id": True, "message": message(chat, "hi")}
    yield "nothing in it", update("message", {})
    yield "a message that is a string", update("message", "hi")
    yield "no chat", update("message", {"message_id": 1, "text": "hi"})
    yield (
        "chat id a string",
        update(
            "message", {**message(chat, "hi"), "chat": {"id": "x", "type": "private"}}
        ),
    )
    yield (
        "a group chat",
        update(
            "message", {**message(chat, "hi"), "chat": {"id": chat, "type": "group"}}
        ),
    )
    yield "text a number", update("message", {**message(chat), "text": 5})
    yield "edited", update("edited_message", message(chat, "hi"))
    yield "channel post", update("channel_post", message(chat, "hi"))
    yield "button without message", update("callback_query", {"id": "1", "data": "x"})
    yield (
        "button, data a list",
        update(
            "callback_query",
            {"id": "1", "data": ["x"], "message": message(chat, "q")},
        ),
    )
    yield "deep nesting", json.loads("[" * 500 + "]" * 500)


def test_telegram_ignores_or_refuses_bad_updates(
    stack: Stack, telegram: TelegramClient, witnesses: Witnesses
) -> None:
    chat = witnesses.chat
    results = []
    for case, body in telegram_cases(telegram, chat):
        status, answer = telegram.post(body)
        results.append((case, status))
        assert status in (200, 400), (case, status, answer)
        assert answer != {"status": "ok"}, case
    raw = {"empty": b"", "half": b"{", "not UTF-8": b"\xff\xfe", "number": b"1"}
    for case, body in raw.items():
        status, _ = telegram.post(None, raw=body)
        results.append((case, status))
        assert status in (200, 400)
    for secret in (None, "", "wrong", SECRET + "x", "\u00e9" * 10):
        status, _ = telegram.post(
            telegram.update("message", telegram.message(chat, "hi")), secret=secret
        )
        results.append((f"secret {secret!r}", status))
        assert status == 403
    assert tally("Telegram", results) == []
    assert witnesses.snapshot() == witnesses.events


def test_telegram_replies_to_what_it_cannot_read_and_bounds_the_rest(
    stack: Stack, telegram: TelegramClient, bot_api: BotApi
) -> None:
    """Findings 1 and 2 over Telegram: a lone surrogate got a traceback, no reply."""
    chat = telegram.new_chat()
    for text in ("\udfff", "does thermage hurt? " * 1_000, "\x1b[2J hi"):
        status, _ = telegram.post(
            telegram.update("message", telegram.message(chat, text))
        )
        assert status == 200
    sent = bot_api.sent_texts(chat)
    assert len(sent) == 3 and "couldn't read" in sent[0]
    events = stack.assistant.tracker(channel_sender("telegram", str(chat)))["events"]
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert len(texts) == 2 and all(len(t) <= 2_000 for t in texts)
    tally("Telegram", [("unreadable", 200), ("long", 200), ("escapes", 200)])


# -- the demo page's server ------------------------------------------------------------


def raw_http(url: str, data: bytes) -> int:
    """Send raw bytes to a server; the status of its answer (0 if none)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)  # all sent: the server reads to the end
        answer = connection.recv(1024)
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def test_the_page_server_answers_bad_requests_with_4xx(stack: Stack) -> None:
    base = stack.web_url
    paths = [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%00",
        "/%ff%fe",
        "/" + "a" * 10_000,
        "/config.js/..",
        "//etc/passwd",
        "/vendor/../../README.md",
    ]
    results = []
    for path in paths:
        status, _ = request(base + path, method="GET")
        results.append((path[:30], status))
        assert status == 404, path
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"):
        status, _ = request(base + "/", b"{}", method=method)
        results.append((method, status))
        assert 400 <= status < 500, method
    raw_requests = {
        "garbage": b"GARBAGE\r\n\r\n",
        "HTTP/9.9": b"GET / HTTP/9.9\r\n\r\n",
        "unknown method": b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
        "TLS hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
        "header without colon": b"GET / HTTP/1.1\r\nnonsense\r\n\r\n",
        "too long request line": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    }
    for case, data in raw_requests.items():
        status = raw_http(base, data)
        results.append((case, status))
        assert status < 500, (case, status)  # 0: no answer, the server hung up
    assert tally("web page", results) == []
    status, page = request(base + "/", method="GET")
    assert status == 200 and b"chat" in page


# -- at the end: nothing crashed, nothing logged a traceback, nothing lost -------------


def test_nothing_crashed_nothing_was_lost_and_no_traceback_was_logged(
    stack: Stack, witnesses: Witnesses
) -> None:
    assert witnesses.snapshot() == witnesses.events
    crashes = [p for p in PROGRAMS if stack.pid(p) != witnesses.pids[p]]
    FIGURES["crashes (process restarted)"] += len(crashes)
    tracebacks = {p: stack.log(p).count("Traceback") for p in PROGRAMS}
    # no log line carries more than the message length limit of visitor text
    longest = max(len(line) for p in PROGRAMS for line in stack.log(p).splitlines())
    FIGURES["longest log line (characters)"] = longest
    assert longest < 4_000
    FIGURES["tracebacks in the logs"] += sum(tracebacks.values())
    assert crashes == []
    assert tracebacks == {p: 0 for p in PROGRAMS}
    FIGURES["events lost (witness conversations)"] += 0
    sender = f"last-{uuid.uuid4().hex[:6]}"
    stack.assistant.say(sender, "does microneedling hurt?")
    (answer,) = stack.assistant.turn_answers(sender)
    assert answer["kind"] == "kb"
