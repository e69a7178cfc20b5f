"""The console finds the tracker store where Rasa's endpoints file puts it."""

from __future__ import annotations

from pathlib import Path

from medspa.settings import PROJECT_DIR, get_console_settings, tracker_store_url

POSTGRES = """
tracker_store:
  type: SQL
  dialect: "postgresql"
  url: ${PG_HOST}
  port: ${PG_PORT}
  db: rasa
  username: rasa
  password: ${PG_PASSWORD}
"""


def test_the_projects_sqlite_store(tmp_path: Path) -> None:
    url = tracker_store_url(PROJECT_DIR / "endpoints.yml", environ={})
    assert url == f"sqlite:///{PROJECT_DIR / 'var' / 'conversations.db'}"


def test_a_postgresql_store_read_as_rasa_reads_it(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(POSTGRES)
    environ = {"PG_HOST": "db.internal", "PG_PORT": "5433", "PG_PASSWORD": "p@ss/w"}
    assert tracker_store_url(endpoints, environ) == (
        "postgresql://rasa:p%40ss%2Fw@db.internal:5433/rasa"
    )
    settings = get_console_settings({**environ, "MEDSPA_ENDPOINTS": str(endpoints)})
    assert settings.conversations_url.startswith("postgresql://rasa:")


def test_an_explicit_url_wins_and_no_sql_store_falls_back(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n")
    environ = {"MEDSPA_ENDPOINTS": str(endpoints), "MEDSPA_VAR_DIR": str(tmp_path)}
    assert get_console_settings(environ).conversations_url == (
        f"sqlite:///{tmp_path / 'conversations.db'}"
    )
    environ["MEDSPA_CONVERSATIONS_URL"] = "postgresql://x@y/z"
    assert get_console_settings(environ).conversations_url == "postgresql://x@y/z"
