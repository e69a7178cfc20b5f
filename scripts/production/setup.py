"""Prepare the production profile: passwords, the database, the configuration."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Mapping

import jinja2
import yaml

from medspa.answers import Wording
from medspa.fallback import fallback_reply
from medspa.settings import env, get_settings, secret
from scripts.production.layout import (
    PROJECT_DIR,
    PYTHON,
    TEMPLATES,
    Layout,
    binary,
)


def _pg_user() -> str:
    """PostgreSQL refuses to run as root: as root it runs as ``postgres``."""
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _as_pg_user(command: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", _pg_user(), "--", *command]
    return command


def _pg_bin(name: str) -> str:
    return binary(f"/usr/lib/postgresql/*/bin/{name}", name)


def passwords(layout: Layout) -> Dict[str, str]:
    """The database's and Redis's passwords (environment, else owner-only files)."""
    return {
        "MEDSPA_PG_PASSWORD": secret(
            "MEDSPA_PG_PASSWORD", layout.run_dir / "pg_password"
        ),
        "MEDSPA_REDIS_PASSWORD": secret(
            "MEDSPA_REDIS_PASSWORD", layout.run_dir / "redis_password"
        ),
    }


def init_database(layout: Layout, password: str) -> None:
    """Create the PostgreSQL cluster, its user and database (once).

    The cluster belongs to the PostgreSQL user; the folders above it are made
    traversable (mode 0711), not readable, so that it can reach its data.
    """
    if (layout.pg_data / "PG_VERSION").exists():
        return
    layout.pg_data.mkdir(mode=0o700)
    shutil.chown(layout.pg_data, _pg_user(), None)
    subprocess.run(
        _as_pg_user(
            [
                _pg_bin("initdb"),
                "-D",
                str(layout.pg_data),
                "-U",
                "postgres",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        ),  # fmt: skip
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {layout.pg_port} -k {layout.pg_data} -c listen_addresses=''"
    ctl = [_pg_bin("pg_ctl"), "-D", str(layout.pg_data), "-o", options, "-w"]
    subprocess.run(
        _as_pg_user([*ctl, "-l", str(layout.pg_data / "init.log"), "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        # the password goes through psql's standard input, never a command line
        literal = password.replace("'", "''")
        user, database = env("MEDSPA_PG_USER"), env("MEDSPA_PG_DB")
        sql = (
            f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{literal}';\n"
            f'CREATE DATABASE "{database}" OWNER "{user}";\n'
        )
        subprocess.run(
            _as_pg_user(
                [
                    "psql",
                    "-q",
                    "-h",
                    str(layout.pg_data),
                    "-p",
                    str(layout.pg_port),
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-f",
                    "-",
                ]
            ),  # fmt: skip
            input=sql,
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        subprocess.run(
            _as_pg_user([*ctl, "-m", "fast", "stop"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def render(layout: Layout, redis_password: str) -> Path:
    """Write supervisord's, HAProxy's and Redis's configuration; supervisord's path."""
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    values = {
        "project_dir": PROJECT_DIR,
        "run_dir": layout.run_dir,
        "host": layout.host,
        "rasa_port": layout.rasa_port,
        "actions_port": layout.actions_port,
        "redis_port": layout.redis_port,
        "redis_password": redis_password,
        "data_dir": layout.run_dir,
        "pg_data": layout.pg_data,
        "pg_port": layout.pg_port,
        "pg_user": _pg_user() if os.geteuid() == 0 else "",
        "rasa_servers": layout.rasa_servers,
        "action_servers": layout.action_servers,
        "workers": layout.workers,
        "python": PYTHON,
        "postgres": _pg_bin("postgres"),
        "redis_server": binary("/usr/bin/redis-server", "redis-server"),
        "haproxy": binary("/usr/sbin/haproxy", "haproxy"),
    }
    for name in ("supervisord.conf", "haproxy.cfg", "redis.conf"):
        target = layout.run_dir / name
        target.write_text(templates.get_template(f"{name}.j2").render(values))
        target.chmod(0o600)
    reply = layout.run_dir / "unavailable.http"
    reply.write_bytes(unavailable_response())
    reply.chmod(0o600)
    return layout.run_dir / "supervisord.conf"


def unavailable_response() -> bytes:
    """HAProxy's answer when no Rasa server can take a message (503).

    Its body is a REST channel reply with the assistant's own "can't answer
    right now" message and the clinic's contacts, so that a visitor still
    reads what to do.
    """
    wording = Wording(yaml.safe_load((PROJECT_DIR / "domain.yml").read_text()))
    text, _ = fallback_reply("", None, wording, get_settings().clinic)
    body = json.dumps([{"recipient_id": "", "text": text}]).encode()
    head = (
        "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\n"
        "Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def program_environment(
    layout: Layout, var_dir: Path, secrets: Mapping[str, str]
) -> Dict[str, str]:
    """What every program finds in its environment (supervisord passes it on)."""
    return {
        "MEDSPA_PROFILE": "production",
        "MEDSPA_VAR_DIR": str(var_dir),
        "MEDSPA_ENDPOINTS": str(TEMPLATES / "endpoints.yml"),
        "ACTIONS_PORT": str(layout.actions_port),
        "MEDSPA_ACTIONS_HOST": "127.0.0.1",
        "MEDSPA_PG_HOST": "127.0.0.1",
        "MEDSPA_PG_PORT": str(layout.pg_port),
        "MEDSPA_PG_DB": env("MEDSPA_PG_DB"),
        "MEDSPA_PG_USER": env("MEDSPA_PG_USER"),
        "MEDSPA_REDIS_HOST": "127.0.0.1",
        "MEDSPA_REDIS_PORT": str(layout.redis_port),
        # a conversation whose server died mid-message waits this long for its
        # lock (Rasa's default is 60 s); longer than a message ever takes
        "TICKET_LOCK_LIFETIME": "20",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        **secrets,
    }
