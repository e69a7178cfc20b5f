"""``Domain.is_empty`` answered once per domain gives Rasa's answers."""

from __future__ import annotations

from typing import Any, List

import pytest
from rasa.shared.core.domain import Domain

from scripts import domain_once
from tests.support.servers import PROJECT_DIR


def test_rasas_answers_once_per_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: List[Any] = []
    rasas = Domain.is_empty

    def counted(self: Domain) -> bool:
        asked.append(self)
        return rasas(self)

    monkeypatch.setattr(Domain, "is_empty", counted)  # restored after the test
    domain_once.install()
    domain_once.install()  # twice: still one layer over Rasa's
    project = Domain.load(str(PROJECT_DIR / "domain.yml"))
    empty = Domain.empty()
    assert [project.is_empty() for _ in range(5)] == [False] * 5
    assert [empty.is_empty() for _ in range(5)] == [True] * 5
    # Rasa's check ran once for each (Rasa asks it of domains it builds, too)
    assert [sum(a is d for a in asked) for d in (project, empty)] == [1, 1]
    assert [rasas(project), rasas(empty)] == [False, True]


def test_the_server_installs_it() -> None:
    source = (PROJECT_DIR / "scripts" / "rasa_server.py").read_text()
    assert "domain_once.install()" in source
