"""The pure parts of the hardening: input checks, limits, settings, escaping."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from channels.guard import RateWindow, is_public
from medspa import settings, visitor_input
from medspa.visitor_input import InvalidInput
from scripts.report import report
from tests.support.servers import http_request

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "sender",
    [
        "\udfff",
        "a\ud800b",
        "nul\x00",
        "esc\x1b[2J",
        "",
        "   ",
        42,
        None,
        ["x"],
        "x" * 129,
    ],
)
def test_rest_refuses_senders_it_cannot_store(sender: object) -> None:
    with pytest.raises(InvalidInput):
        visitor_input.check_rest_sender(sender, 128)


@pytest.mark.parametrize(
    "sender", ["telegram-123", "Telegram-123", "web-0000", "WEB-abc", " telegram-1"]
)
def test_rest_cannot_name_another_channels_conversation(sender: str) -> None:
    with pytest.raises(InvalidInput, match="reserved"):
        visitor_input.check_rest_sender(sender, 128)


def test_each_channel_has_its_own_namespace() -> None:
    prefixes = list(visitor_input.SENDER_PREFIXES.values())
    assert len(set(prefixes)) == len(prefixes)
    for channel, prefix in visitor_input.SENDER_PREFIXES.items():
        sender = visitor_input.channel_sender(channel, "42")
        assert sender == f"{prefix}42"
        assert visitor_input.reserved_prefix(sender) == prefix
        # no channel's conversation id is another channel's, nor a REST id
        for other, other_prefix in visitor_input.SENDER_PREFIXES.items():
            if other != channel:
                assert not sender.startswith(other_prefix)
    assert visitor_input.check_rest_sender("me", 128) == "me"
    assert visitor_input.channel_sender("rest", "me") == "me"


def test_metadata_is_bounded_and_valid() -> None:
    assert visitor_input.check_metadata(None, 100) == {}
    assert visitor_input.check_metadata({"a": 1}, 100) == {"a": 1}
    with pytest.raises(InvalidInput, match="larger"):
        visitor_input.check_metadata({str(i): i for i in range(200_000)}, 4096)
    with pytest.raises(InvalidInput, match="Unicode"):
        visitor_input.check_metadata({"\udfff": 1}, 4096)
    with pytest.raises(InvalidInput):
        visitor_input.check_metadata([1, 2], 4096)


def test_json_bodies_with_unstorable_text_are_refused() -> None:
    visitor_input.check_json_text(b'{"sender": "me", "message": "caf\\u00e9"}')
    visitor_input.check_json_text(b"not json at all")
    visitor_input.check_json_text(b'{"message": "binary \\u0000"}')
    for body in (b'{"sender": "\\udfff"}', b'{"m": ["\\ud800"]}', b'{"\\udc00": 1}'):
        with pytest.raises(InvalidInput):
            visitor_input.check_json_text(body)


def test_long_messages_are_cut_at_a_word() -> None:
    text = "does microneedling hurt " * 500
    clipped, original = visitor_input.clip_message(text, 2000)
    assert original == len(text) and len(clipped) <= 2000
    assert text.startswith(clipped) and not clipped.endswith(" ")
    assert visitor_input.clip_message("short", 2000) == ("short", 0)
    metadata = visitor_input.clipped_metadata({"a": 1}, original)
    assert metadata == {"a": 1, "medspa": {"clipped_from_chars": original}}


def test_log_excerpts_are_bounded_and_escaped() -> None:
    line = visitor_input.excerpt("\x1b]0;owned\x07" + "x" * 1_000_000, 80)
    assert len(line) < 200 and "\x1b" not in line and "1000010 characters" in line
    assert visitor_input.excerpt("lone \udfff", 80) == "lone \\udfff"


def test_staff_output_escapes_control_characters() -> None:
    hostile = "hi\x1b[2J\x1b]8;;http://evil\x07click\x9b31m\u202eevil"
    shown = visitor_input.escape_controls(hostile)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", shown)
    assert "\\x1b[2J" in shown and "\\u202e" in shown
    assert visitor_input.escape_controls("line one\nline\ttwo") == "line one\nline\ttwo"


def test_the_staff_report_prints_no_terminal_escapes(tmp_path: Path) -> None:
    """Finding 5: ``make report`` printed visitors' escape sequences raw."""
    db = tmp_path / "conversations.db"
    connection = sqlite3.connect(db)
    connection.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
        "type_name TEXT, timestamp REAL, data TEXT)"
    )
    user = {"text": "\x1b[2J\x1b[31mbanana\x1b]0;pwned\x07"}
    bot = {"metadata": {"answer": {"kind": "out_of_scope"}}}
    for kind, data in (("user", user), ("bot", bot)):
        connection.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, data) "
            "VALUES ('s', ?, 1e12, ?)",
            (kind, json.dumps(data)),
        )
    connection.commit()
    connection.close()
    text = report(db, days=1)
    assert "banana" in text and "\x1b" not in text and "\x07" not in text


def test_rate_windows_count_per_key_over_a_minute() -> None:
    window = RateWindow(3)
    assert [window.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert window.allow("b", now=1.0)
    assert window.allow("a", now=61.0)
    assert all(RateWindow(0).allow("a", now=0.0) for _ in range(1000))


def test_only_public_addresses_are_limited_per_address() -> None:
    assert is_public("8.8.8.8") and is_public("2001:4860:4860::8888")
    for address in ("127.0.0.1", "::1", "10.0.0.5", "192.168.1.2", None, "", "x"):
        assert not is_public(address)


def test_default_limits_let_the_grader_and_the_load_benchmark_through() -> None:
    limits = settings.read_settings({}).limits
    # the load benchmark: one visitor, ~6 messages a conversation, one at a time
    assert limits.sender_rate >= 6 and limits.queued >= 1
    # a visitor's question fits; a paragraph of story before it too
    assert limits.message_chars >= 1000


def test_settings_are_checked_and_name_the_variable() -> None:
    with pytest.raises(ValueError, match="MEDSPA_MAX_MESSAGE_CHARS"):
        settings.read_settings({"MEDSPA_MAX_MESSAGE_CHARS": "lots"})
    with pytest.raises(ValueError, match="MEDSPA_PROFILE"):
        settings.read_settings({"MEDSPA_PROFILE": "staging"})
    production = settings.read_settings({"MEDSPA_PROFILE": "production"})
    assert production.production and production.rest_token == ""


def test_the_readme_lists_every_variable() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    missing = [v.name for v in settings.VARIABLES if f"`{v.name}`" not in readme]
    assert missing == []


def test_the_environment_is_read_in_one_module() -> None:
    readers = [
        str(path.relative_to(PROJECT_DIR))
        for package in ("medspa", "actions", "components", "channels", "console", "web")
        for path in (PROJECT_DIR / package).rglob("*.py")
        if "node_modules" not in path.parts
        and re.search(r"os\.environ|os\.getenv", path.read_text())
    ]
    assert readers == ["medspa/settings.py"]


def test_secrets_are_generated_into_owner_only_files(tmp_path: Path) -> None:
    file = tmp_path / "var" / "auth_token"
    token = settings.secret("RASA_AUTH_TOKEN", file, environ={})
    assert len(token) >= 24 and file.read_text().strip() == token
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    # read again, not regenerated; an existing file's mode is tightened
    os.chmod(file, 0o644)
    assert settings.secret("RASA_AUTH_TOKEN", file, environ={}) == token
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert settings.secret("RASA_AUTH_TOKEN", file, {"RASA_AUTH_TOKEN": "t"}) == "t"
    # a file with a newline (`curl --data-urlencode token@file` would send it)
    file.write_text(token + "\n")
    assert settings.secret("RASA_AUTH_TOKEN", file, environ={}) == token
    assert file.read_text() == token


def test_the_test_client_reads_a_refusal_sent_before_the_body_was_read() -> None:
    """A server that answers 413 on the announced length and closes at once.

    The REST tests send bodies of megabytes; Sanic refuses them by their
    Content-Length without reading them, so a client that kept writing would
    see "connection reset" instead of the 413 (a flaky failure under load).
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def refuse() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(4096)
            connection.sendall(
                b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                b'Content-Length: 17\r\nConnection: close\r\n\r\n{"error": "size"}'
            )
            connection.shutdown(socket.SHUT_WR)
            connection.settimeout(1.0)
            with contextlib.suppress(OSError):  # read a little, then close unread
                connection.recv(65536)

    server = threading.Thread(target=refuse)
    server.start()
    port = listener.getsockname()[1]
    try:
        status, answer = http_request(f"http://127.0.0.1:{port}/x", b"x" * 8_000_000)
    finally:
        server.join(timeout=10)
        listener.close()
    assert (status, answer) == (413, {"error": "size"})
