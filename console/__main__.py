"""The console's commands: serve it, add a staff account, apply retention.

Usage::

    python -m console serve      # on MEDSPA_CONSOLE_HOST:PORT (127.0.0.1:8090)
    python -m console add-user NAME --role admin
    python -m console retention  # delete conversations past MEDSPA_RETENTION_DAYS
    python -m console export-reviewed  # the review inbox's readings -> data/nlu

``add-user`` reads the password from ``MEDSPA_STAFF_PASSWORD``, else from
standard input when it is not a terminal, else asks for it twice; never from
the command line, where other users of the machine could see it.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading

from console import accounts, export, privacy
from console.store import Stores
from medspa.settings import ConsoleSettings, get_console_settings, staff_password

LOG = logging.getLogger("console")


def _stores(settings: ConsoleSettings) -> Stores:
    return Stores.open(settings.conversations_url, settings.console_db_url)


def read_password() -> str:
    """The new account's password: environment, piped input, or a prompt."""
    if staff_password():
        return staff_password()
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise accounts.AccountError("the passwords differ")
    return first


def add_user(settings: ConsoleSettings, username: str, role: str) -> int:
    """Create the account (or reset its password and role)."""
    try:
        made = accounts.create_account(
            _stores(settings).console, username, role, read_password()
        )
    except accounts.AccountError as error:
        print(f"Not created: {error}.", file=sys.stderr)
        return 1
    print(f"Account {made.username} ({made.role}) is ready.")
    return 0


def retention(settings: ConsoleSettings) -> int:
    """Apply the retention setting once."""
    conversations, events = privacy.apply_retention(
        _stores(settings),
        settings.retention_days,
        training_data_dir=settings.training_data_dir,
    )
    print(
        f"Retention ({settings.retention_days} days): deleted {conversations} "
        f"conversations ({events} events)."
    )
    return 0


def export_reviewed(settings: ConsoleSettings) -> int:
    """Write the reviewed messages into the training data."""
    try:
        done = export.export_reviewed(
            _stores(settings).console, settings.training_data_dir
        )
    except export.ExportError as error:
        print(f"Not exported: {error}.", file=sys.stderr)
        return 1
    print(
        f"{done.path}: {done.written} examples ({done.new} new, "
        f"{done.already_in_training_data} already in the training data)."
    )
    return 0


def _retention_loop(
    stores: Stores, settings: ConsoleSettings, stop: threading.Event
) -> None:
    while True:
        try:
            removed, _ = privacy.apply_retention(
                stores,
                settings.retention_days,
                training_data_dir=settings.training_data_dir,
            )
            LOG.info("retention: %d conversations deleted", removed)
        except Exception:  # keep serving; the next run tries again
            LOG.exception("retention failed")
        if stop.wait(settings.retention_interval_hours * 3600):
            return


def serve(settings: ConsoleSettings) -> int:
    """Serve the console with waitress; retention at start-up and periodically."""
    from waitress import serve as waitress_serve

    from console.app import create_app

    stores = _stores(settings)
    stop = threading.Event()
    threading.Thread(
        target=_retention_loop, args=(stores, settings, stop), daemon=True
    ).start()
    app = create_app(settings, stores)
    print(f"Staff console on http://{settings.host}:{settings.port}/", flush=True)
    try:
        waitress_serve(app, host=settings.host, port=settings.port, threads=4, ident="")
    finally:
        stop.set()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m console")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the console")
    user = commands.add_parser("add-user", help="add a staff account")
    user.add_argument("username")
    user.add_argument("--role", choices=accounts.ROLES, default=accounts.STAFF)
    commands.add_parser("retention", help="delete conversations past retention")
    commands.add_parser(
        "export-reviewed", help="write the reviewed messages as NLU data"
    )
    args = parser.parse_args(argv)
    settings = get_console_settings()
    if args.command == "add-user":
        return add_user(settings, args.username, args.role)
    if args.command == "retention":
        return retention(settings)
    if args.command == "export-reviewed":
        return export_reviewed(settings)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
