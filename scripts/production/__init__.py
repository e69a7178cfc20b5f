"""The production profile: PostgreSQL, Redis, HAProxy and several Rasa servers.

``make run-production`` (``python -m scripts.production``) runs, on this
machine and on loopback, everything under one supervisord:

- PostgreSQL as Rasa's tracker store (data in ``var/production/pg``);
- Redis as Rasa's lock store, so that one conversation is handled by one
  server at a time;
- N Rasa servers of M Sanic workers each (by default one worker per core,
  shared by the servers), and K action servers;
- HAProxy in front of both, round robin with health checks
  (``RASA_PORT``: the REST, socket.io and Telegram channels and the HTTP API;
  ``ACTIONS_PORT``: the action servers, for the Rasa servers).

The Debian packages come from ``scripts/install_production.sh``. The
configuration files are rendered from ``deploy/production/`` into the
owner-only ``var/production/``; passwords are generated into owner-only files
there (or taken from ``MEDSPA_PG_PASSWORD``, ``MEDSPA_REDIS_PASSWORD``) and
reach the programs through their environment, never a command line.

The same package starts the profile for the tests and the load benchmark on
free ports (:func:`running_profile`).

usage: python -m scripts.production [--servers 2] [--workers N] [--actions 2]
"""

from scripts.production.layout import Layout, Server, free_port
from scripts.production.profile import Profile, running_profile, start

__all__ = ["Layout", "Profile", "Server", "free_port", "running_profile", "start"]
