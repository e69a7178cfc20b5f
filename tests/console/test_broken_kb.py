"""A knowledge base file broken by hand never takes the console down."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from console import accounts
from console.app import create_app
from console.store import Stores
from medspa.settings import get_console_settings


def test_pages_work_and_the_knowledge_pages_say_what_is_wrong(
    stores: Stores, tmp_path: Path
) -> None:
    broken = tmp_path / "treatments.yml"
    broken.write_text("treatments: [this is: not valid\n")
    settings = dataclasses.replace(
        get_console_settings({}), var_dir=tmp_path, knowledge_base_path=broken
    )
    client = create_app(settings, stores).test_client()
    accounts.create_account(stores.console, "admin", "admin", "admin-password-1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    form = {"username": "admin", "password": "admin-password-1"}
    client.post("/login", data={**form, "csrf_token": token.group(1) if token else ""})

    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "microneedling" in dashboard.text
    page = client.get("/knowledge")
    assert page.status_code == 500
    assert "The knowledge base can&#39;t be read" in page.text
    edit = client.get("/knowledge/edit?treatment=thermage&topic=pain")
    assert edit.status_code == 500 and "cannot be read" in edit.text
