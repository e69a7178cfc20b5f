"""A stand-in of Telegram's Bot API on loopback, for end-to-end tests.

It answers the methods the connector calls (``getMe``, ``setWebhook``,
``sendMessage``, ``answerCallbackQuery``) the way Telegram does, including its
refusals: an unknown token (401), a message that is empty or over 4096
characters, a button's ``callback_data`` over 64 bytes (400), and a visitor who
blocked the bot (403). Every call is recorded for the tests to inspect.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Set, Tuple

BOT_ID = 7000000001
TOKEN = f"{BOT_ID}:AAE-stand-in_token_for_tests_0123456789"
BOT_NAME = "LumenSkinTestBot"

Result = Tuple[int, Dict[str, Any]]


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _error(status: HTTPStatus, description: str) -> Result:
    return status, {"ok": False, "error_code": int(status), "description": description}


def _ok(result: Any) -> Result:
    return HTTPStatus.OK, {"ok": True, "result": result}


@dataclass
class Call:
    """One Bot API request the stand-in received."""

    method: str
    params: Dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    """When the stand-in received it (``time.monotonic()``)."""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        """The inline keyboard's buttons, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


class BotApi:
    """Telegram's Bot API for one bot, served from a thread on 127.0.0.1."""

    def __init__(self, token: str = TOKEN, bot_name: str = BOT_NAME) -> None:
        self.token = token
        self.bot_name = bot_name
        self.blocked_chats: Set[int] = set()
        self._calls: List[Call] = []
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1)
        self._methods: Dict[str, Callable[[Dict[str, Any]], Result]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "sendMessage": self._send_message,
            "answerCallbackQuery": lambda params: _ok(True),
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> BotApi:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what the tests read -------------------------------------------------

    def calls(
        self, method: str | None = None, chat_id: int | None = None
    ) -> List[Call]:
        with self._lock:
            calls = list(self._calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def sent_texts(self, chat_id: int) -> List[str]:
        return [c.params["text"] for c in self.calls("sendMessage", chat_id)]

    def wait_for(self, method: str, timeout: float = 30) -> List[Call]:
        deadline = time.monotonic() + timeout
        while not self.calls(method):
            if time.monotonic() > deadline:
                raise AssertionError(f"the Bot API got no {method} within {timeout} s")
            time.sleep(0.1)
        return self.calls(method)

    # -- the methods ------------------------------------------------------------

    def _bot_user(self) -> Dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Lumen Skin",
            "username": self.bot_name,
        }

    def _get_me(self, params: Dict[str, Any]) -> Result:
        return _ok(
            {
                **self._bot_user(),
                "can_join_groups": False,
                "supports_inline_queries": False,
            }
        )

    def _set_webhook(self, params: Dict[str, Any]) -> Result:
        if not str(params.get("url", "")).startswith("https://"):
            return _error(
                HTTPStatus.BAD_REQUEST,
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
            )
        return _ok(True)

    def _send_message(self, params: Dict[str, Any]) -> Result:
        text = str(params.get("text") or "")
        if not text.strip():
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: message text is empty")
        if utf16_length(text) > 4096:
            return _error(HTTPStatus.BAD_REQUEST, "Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not 1 <= len(str(button.get("callback_data", "")).encode()) <= 64:
                    return _error(
                        HTTPStatus.BAD_REQUEST, "Bad Request: BUTTON_DATA_INVALID"
                    )
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked_chats:
            return _error(
                HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user"
            )
        message = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "chat": {"id": chat_id, "first_name": "Visitor", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return _ok(message)

    # -- HTTP -------------------------------------------------------------------

    def _answer(self, path: str, params: Dict[str, Any]) -> Result:
        prefix, _, method = path.strip("/").partition("/")
        if prefix != f"bot{self.token}":
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        handler = self._methods.get(method)
        if handler is None:
            return _error(HTTPStatus.NOT_FOUND, "Not Found")
        with self._lock:
            self._calls.append(Call(method, params))
        return handler(params)

    def _handler_class(self) -> type:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                params = _decode(
                    self.headers.get("Content-Type", ""), self.rfile.read(length)
                )
                status, body = api._answer(
                    urllib.parse.urlsplit(self.path).path, params
                )
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


def _decode(content_type: str, raw: bytes) -> Dict[str, Any]:
    """Parameters of a Bot API request: JSON or form fields (JSON-encoded objects)."""
    if content_type.startswith("application/json"):
        return dict(json.loads(raw or b"{}"))
    fields = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
    params: Dict[str, Any] = dict(fields)
    for key in ("reply_markup", "allowed_updates"):
        if key in fields:
            params[key] = json.loads(fields[key])
    return params
