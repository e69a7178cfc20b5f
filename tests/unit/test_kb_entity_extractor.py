"""The NLU's knowledge-base entity extractor, through Rasa's own Message objects.

It reads the same file as the action server (the settings'
MEDSPA_KNOWLEDGE_BASE) and compiles the names once, when the model is loaded:
names change at a restart of the Rasa server, answers live
(``medspa.knowledge_base.LIVE`` / ``RESTART``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.kb_entity_extractor import KnowledgeBaseEntityExtractor
from medspa import settings
from medspa.knowledge_base import LIVE, RESTART, KnowledgeBaseCache

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture()
def kb_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the knowledge base, made the settings' file for the test."""
    path = tmp_path / "treatments.yml"
    shutil.copy(PROJECT_DIR / "knowledge" / "treatments.yml", path)
    monkeypatch.setenv("MEDSPA_KNOWLEDGE_BASE", str(path))
    settings.get_settings.cache_clear()
    yield path
    settings.get_settings.cache_clear()


def found(extractor: KnowledgeBaseEntityExtractor, text: str) -> List[tuple]:
    message = Message({TEXT: text})
    extractor.process([message])
    return [(e["entity"], e["value"]) for e in message.get(ENTITIES, [])]


def test_process_adds_the_names_as_entities(kb_file: Path) -> None:
    extractor = KnowledgeBaseEntityExtractor({})
    assert found(extractor, "does morpheus8 hurt on the neck?") == [
        ("treatment", "rf_microneedling"),
        ("area", "neck"),
    ]
    assert found(extractor, "/inform_treatment") == []  # a button payload
    assert found(extractor, "hello") == []


def _add_synonym(path: Path, synonym: str) -> None:
    data = yaml.safe_load(path.read_text())
    data["treatments"]["thermage"]["synonyms"].append(synonym)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_names_change_at_a_restart_answers_live(kb_file: Path) -> None:
    extractor = KnowledgeBaseEntityExtractor({})
    cache = KnowledgeBaseCache(kb_file)
    assert cache.get().entry("microneedling", "pain").covered
    _add_synonym(kb_file, "zappotherm")
    data = yaml.safe_load(kb_file.read_text())
    data["treatments"]["microneedling"]["topics"]["pain"] = {"covered": False}
    kb_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    # the running extractor keeps the names it was loaded with ...
    assert found(extractor, "is zappotherm safe?") == []
    # ... a restarted one reads the new name; the answers changed at once
    restarted = KnowledgeBaseEntityExtractor({})
    assert found(restarted, "is zappotherm safe?") == [("treatment", "thermage")]
    assert not cache.get().entry("microneedling", "pain").covered
    assert "synonyms" in RESTART and "answer" in LIVE


def test_a_broken_file_stops_the_extractor_at_load(kb_file: Path) -> None:
    kb_file.write_text("treatments: [not, a, mapping]\n")
    with pytest.raises(ValueError, match=str(kb_file)):
        KnowledgeBaseEntityExtractor({})


@pytest.mark.parametrize(
    "server",
    [["-m", "actions"], [str(PROJECT_DIR / "scripts" / "rasa_server.py")]],
    ids=["action server", "Rasa server"],
)
def test_a_broken_file_stops_both_servers_at_start_up(
    tmp_path: Path, server: List[str]
) -> None:
    broken = tmp_path / "treatments.yml"
    shutil.copy(PROJECT_DIR / "knowledge" / "treatments.yml", broken)
    text = broken.read_text().replace("  thermage:\n", "  thermagee:\n", 1)
    broken.write_text(text)
    env = {
        **os.environ,
        "MEDSPA_KNOWLEDGE_BASE": str(broken),
        "MEDSPA_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, *server],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"Knowledge base error: {broken}" in done.stderr
    assert "thermagee" in done.stderr


def test_a_new_name_changes_the_masking_stage_fingerprint(kb_file: Path) -> None:
    """Rasa's training cache retrains QuestionFocus for a new name, not an answer."""
    from components.question_focus import QuestionFocus

    masking = {"treatment_word": "treatment"}
    before = QuestionFocus.fingerprint_addon(masking)
    assert before and before == QuestionFocus.fingerprint_addon(masking)
    data = yaml.safe_load(kb_file.read_text())
    data["treatments"]["microneedling"]["topics"]["pain"] = {"covered": False}
    kb_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert QuestionFocus.fingerprint_addon(masking) == before  # answers only
    _add_synonym(kb_file, "zappotherm")
    assert QuestionFocus.fingerprint_addon(masking) not in (None, before)
    assert QuestionFocus.fingerprint_addon({"treatment_word": ""}) is None
