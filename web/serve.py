"""Serve the clinic's demo page with the chat widget (``scripts/run.sh`` starts it).

The page is static: ``index.html``, ``site.css`` and ``chat.js`` from this
folder, the widget (``rasa-webchat``, installed by ``scripts/install_web.sh``
into ``web/node_modules``) and ``config.js``, which tells the widget where the
Rasa server is. Only those files are served. Every answer carries a Content
Security Policy that allows scripts from this page only and connections to
this page and the Rasa server only.

Usage::

    .venv/bin/python web/serve.py --port 8080 --socket-url http://127.0.0.1:5005

The Rasa server must allow this page's origin (``MEDSPA_WIDGET_ORIGINS``, see
``channels/socketio.py``); its default is this server's default address.
"""

from __future__ import annotations

import argparse
import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Tuple
from urllib.parse import urlsplit

WEB_DIR = Path(__file__).resolve().parent
if str(WEB_DIR.parent) not in sys.path:  # started as a script: find the settings
    sys.path.insert(0, str(WEB_DIR.parent))

from medspa.settings import get_settings  # noqa: E402
from medspa.visitor_input import excerpt  # noqa: E402

LOG_LINE_CHARS = 200
"""Longest request description in a log line (a path is visitor text)."""

WIDGET = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"

STATIC: Dict[str, Tuple[Path, str]] = {
    "/": (WEB_DIR / "index.html", "text/html; charset=utf-8"),
    "/site.css": (WEB_DIR / "site.css", "text/css; charset=utf-8"),
    "/chat.js": (WEB_DIR / "chat.js", "text/javascript; charset=utf-8"),
    "/vendor/rasa-webchat.js": (WIDGET, "text/javascript; charset=utf-8"),
}


def socket_origins(socket_url: str) -> str:
    """Give the CSP sources that let the page reach the Rasa server.

    Args:
        socket_url: the Rasa server's base URL, e.g. ``http://127.0.0.1:5005``.

    Returns:
        Its HTTP origin and the matching WebSocket origin.

    Raises:
        ValueError: when the URL is not an http(s) origin.

    """
    parts = urlsplit(socket_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"--socket-url must be http(s)://host:port, not {socket_url!r}"
        )
    ws = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {ws}://{parts.netloc}"


def security_headers(socket_url: str) -> Dict[str, str]:
    """Give the headers every answer of the page server carries.

    Args:
        socket_url: the Rasa server's base URL (allowed in ``connect-src``).

    Returns:
        Header names and values.

    """
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # the widget injects its stylesheet as <style> elements
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {socket_origins(socket_url)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def config_script(socket_url: str) -> bytes:
    """Give ``config.js``: where the widget finds the Rasa server's socket.io.

    Args:
        socket_url: the Rasa server's base URL.

    Returns:
        The script's bytes.

    """
    config = {"socketUrl": socket_url.rstrip("/"), "socketPath": "/socket.io/"}
    return f"window.MEDSPA_CHAT = {json.dumps(config)};\n".encode()


class PageHandler(BaseHTTPRequestHandler):
    """Answer GET and HEAD for the page's files; nothing else."""

    socket_url = "http://127.0.0.1:5005"

    def version_string(self) -> str:
        """Name the server without its Python version."""
        return "medspa-web"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Log a request with what the visitor sent bounded and escaped."""
        line = excerpt(format % args, LOG_LINE_CHARS)
        sys.stderr.write(
            f"{self.address_string()} - [{self.log_date_time_string()}] {line}\n"
        )

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Answer a visitor's bad request with a 4xx, never a server error.

        ``http.server`` answers an unknown method with 501 and an HTTP version
        it does not speak with 505; for this page both are the client's doing.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code = HTTPStatus.METHOD_NOT_ALLOWED
        elif code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            code = HTTPStatus.BAD_REQUEST
        super().send_error(code, message, explain)

    def do_GET(self) -> None:
        """Send one of the page's files."""
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        """Send the headers of one of the page's files."""
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        path = urlsplit(self.path).path
        body: bytes | None
        if path == "/config.js":
            body, content_type = config_script(self.socket_url), STATIC["/chat.js"][1]
        elif path in STATIC:
            file, content_type = STATIC[path]
            body = file.read_bytes() if file.is_file() else None
        else:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain", with_body)
            return
        if body is None:
            message = b"The widget is not installed: run scripts/install_web.sh\n"
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, message, "text/plain", with_body)
            return
        self._send(HTTPStatus.OK, body, content_type, with_body)

    def _send(
        self, status: HTTPStatus, body: bytes, content_type: str, with_body: bool
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in security_headers(self.socket_url).items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)


def main(argv: list[str] | None = None) -> None:
    """Serve the page until interrupted."""
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=settings.web_host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument(
        "--socket-url",
        default=settings.widget_socket_url,
        help="the Rasa server's address as the visitor's browser reaches it",
    )
    args = parser.parse_args(argv)
    socket_origins(args.socket_url)  # fail now on a malformed URL
    if not WIDGET.is_file():
        sys.exit(f"{WIDGET} is missing: run scripts/install_web.sh")
    handler = type("Handler", (PageHandler,), {"socket_url": args.socket_url})
    with ThreadingHTTPServer((args.host, args.port), handler) as server:
        print(f"Clinic page: http://{args.host}:{args.port}/", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
