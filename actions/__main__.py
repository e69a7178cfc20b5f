"""Start the action server after validating the knowledge base.

``python -m actions --port 5055`` takes the options of ``rasa run actions``.
An invalid knowledge base stops it at once with a message naming the file,
the entry and the problem.

The server listens on loopback only and answers only requests carrying the
shared secret (header :data:`SECRET_HEADER`, set by the Rasa server from
``endpoints.yml``); the secret comes from ``MEDSPA_ACTION_SECRET`` or the
owner-only file ``var/action_secret``, never from the command line.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from typing import Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from medspa.knowledge_base import load_at_startup
from medspa.settings import action_secret, get_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Medspa-Action-Secret"
"""The header that carries the shared secret (named in ``endpoints.yml``)."""
OPEN_PATHS = frozenset({"/health"})
"""Paths served without the secret: the supervisor's health check."""
HOST = "127.0.0.1"


def protect(app: Sanic, secret: str) -> None:
    """Refuse (401) every request without the shared secret, except health checks.

    Args:
        app: the action server's Sanic app.
        secret: the shared secret.

    """
    expected = secret.encode()

    @app.middleware("request")
    async def check_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        sent = (request.headers.get(SECRET_HEADER) or "").encode("utf-8", "replace")
        if hmac.compare_digest(sent, expected):
            return None
        logger.warning("refused an action call without the secret from %s", request.ip)
        return response.json({"error": "unauthorised"}, status=401)


def serve(actions: str, port: int, secret: str) -> None:
    """Serve the actions on loopback, behind the shared secret (one worker)."""
    app = create_app(actions, cors_origins=None)
    protect(app, secret)
    logger.info("Action server on http://%s:%d", HOST, port)
    app.run(HOST, port, workers=1, access_log=False)


def main(argv: list) -> int:
    """Validate the knowledge base, then serve the actions."""
    os.umask(0o077)
    parser = create_argument_parser()
    parser.set_defaults(port=get_settings().actions_port)
    args = parser.parse_args(argv)
    args.actions = args.actions or "actions"
    try:
        load_at_startup(get_settings().knowledge_base_path)
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 1
    secret = action_secret()
    # rasa-sdk's logging set-up (as in `rasa run actions`), then our server.
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    serve(args.actions, args.port, secret)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
