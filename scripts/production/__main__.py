"""``python -m scripts.production``: run the profile until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from medspa.settings import env
from scripts.production.layout import SUPERVISORCTL, Layout
from scripts.production.profile import start


def main() -> None:
    """Command line entry point: run the profile until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Run the production profile.")
    parser.add_argument("--servers", type=int, default=2, help="Rasa servers")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Sanic workers each (default: one per core, shared by the servers)",
    )
    parser.add_argument("--actions", type=int, default=2, help="action servers")
    args = parser.parse_args()
    if args.workers is None:
        # more processes than cores only compete for them (make benchmark-load:
        # on 2 cores, 2 servers x 1 worker did 1.4x the msg/s of 2 x 2)
        args.workers = max(1, (os.cpu_count() or 1) // max(1, args.servers))
    var_dir = Path(env("MEDSPA_VAR_DIR"))
    ports = {
        "rasa": int(env("RASA_PORT")),
        "actions": int(env("ACTIONS_PORT")),
        "pg": int(env("MEDSPA_PG_PORT")),
        "redis": int(env("MEDSPA_REDIS_PORT")),
    }
    layout = Layout.create(
        var_dir / "production", args.servers, args.workers, args.actions, ports
    )
    profile = start(layout, var_dir)
    signal.signal(signal.SIGTERM, lambda *_: profile.stop())
    try:
        profile.wait_ready()
        print(
            f"\n  The production profile is running: {args.servers} Rasa server(s) x "
            f"{args.workers} worker(s), {args.actions} action server(s).\n"
            f"  Balancer:   {layout.url}  (REST: POST /webhooks/rest/webhook with "
            f"Authorization: Bearer $MEDSPA_REST_TOKEN)\n"
            f"  PostgreSQL: 127.0.0.1:{layout.pg_port}  Redis: 127.0.0.1:"
            f"{layout.redis_port}\n"
            f"  Processes:  {SUPERVISORCTL} -c {profile.config} status\n"
            f"  Logs:       {layout.run_dir / 'log'}\n  Stop with Ctrl-C.\n",
            flush=True,
        )
        profile.supervisord.wait()
    except KeyboardInterrupt:
        pass
    finally:
        profile.stop()


if __name__ == "__main__":
    main()
