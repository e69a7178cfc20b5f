"""Fixtures shared by every suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml

from medspa.knowledge_base import KnowledgeBase, load_knowledge_base
from tests.support.servers import PROJECT_DIR, Assistant, running_assistant

SEEDS_DIR = PROJECT_DIR.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The project's knowledge base."""
    return load_knowledge_base(PROJECT_DIR / "knowledge" / "treatments.yml")


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it."""
    return yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The real action server and Rasa server on loopback, with the trained model."""
    with running_assistant(Path(tmp_path_factory.mktemp("assistant"))) as running:
        yield running
