r"""Start the Rasa server in this process, its token kept off the command line.

``rasa run --auth-token X`` shows the token to every user of the machine (in
``ps``). This launcher takes the same options as ``rasa run`` except the
token, which it reads from ``RASA_AUTH_TOKEN`` or the owner-only file
``var/auth_token`` (generated on first use), and starts Rasa in-process with
the HTTP API enabled. It also:

- sets the umask to 077, so every file it creates (the conversation database,
  logs) is readable by its owner only;
- puts the action server's shared secret into its own environment
  (``MEDSPA_ACTION_SECRET``, else ``var/action_secret``), where ``endpoints.yml``
  reads it as ``${MEDSPA_ACTION_SECRET}``;
- bounds the wait for the action server (``MEDSPA_ACTION_TIMEOUT``); the
  channels answer with a fallback when it passes; calls it over kept-alive
  connections (``scripts/action_session.py``);
- answers Rasa's per-message ``Domain.is_empty()`` once (``scripts/domain_once.py``);
- finds an event's class by its type name in a table (``scripts/event_classes.py``);
- bounds request bodies (``MEDSPA_MAX_BODY_BYTES``, answered with 413);
- imports the tracker store class the endpoints file names (``stores.sql``)
  before serving: Rasa would fall back to an in-memory store, silently
  losing every conversation at the next restart, if it could not.

Usage::

    .venv/bin/python scripts/rasa_server.py --model models/medspa.tar.gz \\
        --endpoints endpoints.yml --credentials credentials.yml --port 5005
    .venv/bin/python scripts/rasa_server.py shell --model models/medspa.tar.gz

(``shell`` is ``rasa shell``, with the same environment for ``endpoints.yml``.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # started as a script: find the packages
    sys.path.insert(0, str(PROJECT_DIR))

from medspa.knowledge_base import load_at_startup  # noqa: E402
from medspa.settings import action_secret, auth_token, get_settings  # noqa: E402
from scripts import (  # noqa: E402
    action_session,
    action_validation,
    domain_once,
    event_classes,
    graph_runner,
)

TOKEN_OPTIONS = ("--auth-token", "-t")


def check_tracker_store(endpoints: Path) -> None:
    """Import the tracker store class ``endpoints`` names by module path.

    Args:
        endpoints: Rasa's endpoints file.

    Raises:
        SystemExit: the class cannot be imported.

    """
    import yaml
    from rasa.shared.utils.common import class_from_module_path

    store = (yaml.safe_load(endpoints.read_text()) or {}).get("tracker_store") or {}
    kind = str(store.get("type") or "")
    if "." in kind:
        try:
            class_from_module_path(kind)
        except (ImportError, AttributeError) as error:
            sys.exit(f"{endpoints}: tracker store {kind!r} not found: {error}")


def main(argv: List[str]) -> None:
    """Parse ``rasa run``'s options, add the token and serve until stopped.

    Args:
        argv: the options of ``rasa run`` without ``--auth-token``; or
            ``shell`` and the options of ``rasa shell``.

    """
    os.umask(0o077)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    if any(arg.split("=")[0] in TOKEN_OPTIONS for arg in argv):
        sys.exit(
            "the token is read from RASA_AUTH_TOKEN or var/auth_token, "
            "never from the command line"
        )
    settings = get_settings()
    # the knowledge base is validated before anything is served, as the action
    # server does: a broken file stops both with the same message
    load_at_startup(settings.knowledge_base_path)
    # what endpoints.yml reads as ${...}
    os.environ["MEDSPA_ACTION_SECRET"] = action_secret()
    os.environ["ACTIONS_PORT"] = str(settings.actions_port)
    # Sanic refuses larger request bodies with 413 before reading them.
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(settings.limits.body_bytes)

    import rasa.core.actions.action
    from rasa.__main__ import create_argument_parser
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.io import configure_colored_logging
    from rasa.utils.log_utils import configure_structlog

    files = ["--model", settings.model, "--endpoints", settings.endpoints]
    parser = create_argument_parser()
    if argv[:1] == ["shell"]:
        args = parser.parse_args(["shell", *files, *argv[1:]])
    else:
        address = ["--interface", settings.rasa_host, "--port", str(settings.rasa_port)]
        args = parser.parse_args(
            ["run", "--enable-api", "--credentials", settings.credentials]
            + files
            + address
            + argv
        )
        args.auth_token = auth_token()
    # Rasa waits 5 minutes for the action server; visitors should not.
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = settings.action_timeout
    # the action server's replies checked by a validator compiled once
    action_validation.install()
    # the action server called over kept-alive connections
    action_session.install()
    # the model's graph run in an order planned once, not scheduled by dask
    graph_runner.install()
    # whether the domain is empty, asked a message, answered once
    domain_once.install()
    # an event's class by its type name looked up, not walked for
    event_classes.install()
    check_tracker_store(Path(args.endpoints))
    configure_logging_and_warnings(
        args.loglevel,
        args.logging_config_file,
        warn_only_once=True,
        filter_repeated_logs=True,
    )
    configure_colored_logging(args.loglevel)
    configure_structlog(args.loglevel)
    sys.path.insert(1, os.getcwd())
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
