"""Editing the knowledge base: validated, atomic, locked, recorded, revertible."""

from __future__ import annotations

import difflib
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from console import kb_editor
from console.kb_editor import EditConflict, EditError, EntryForm
from console.store import Stores
from medspa import contract
from medspa.answers import Composer, Wording
from medspa.contract import Kind
from medspa.knowledge_base import CLINIC_SOURCE, CLINIC_TITLE, load_knowledge_base
from medspa.planning import Plan
from medspa.settings import get_settings
from tests.conftest import SEEDS_DIR
from tests.support.servers import PROJECT_DIR

ARTICLE = "000_759101bf7af3e74c.txt"
PRICE = "A Thermage session at our clinic costs from 1,800 euros for the face."


@pytest.fixture()
def kb_file(tmp_path: Path) -> Path:
    copy = tmp_path / "treatments.yml"
    shutil.copy(PROJECT_DIR / "knowledge" / "treatments.yml", copy)
    return copy


def clinic_price() -> EntryForm:
    return EntryForm(covered=True, answer=PRICE, source=CLINIC_SOURCE)


def test_an_unchanged_entry_rewrites_the_file_byte_for_byte(
    kb_file: Path, stores: Stores
) -> None:
    original = kb_file.read_text()
    form = kb_editor.read_entry(kb_file, "microneedling", "pain")
    kb_editor.save_entry(
        kb_file, "microneedling", "pain", form, "admin", stores.console
    )
    assert kb_file.read_text() == original


def test_a_clinic_answer_is_saved_signed_and_only_that_entry_changes(
    kb_file: Path, stores: Stores
) -> None:
    original = kb_file.read_text().splitlines()

    change = kb_editor.save_entry(
        kb_file, "thermage", "cost", clinic_price(), "alice", stores.console,
        articles_dir=SEEDS_DIR,
    )  # fmt: skip

    kb = load_knowledge_base(kb_file)
    entry = kb.entry("thermage", "cost")
    assert (entry.covered, entry.answer, entry.source) == (True, PRICE, CLINIC_SOURCE)
    assert entry.author == "alice" and entry.date == change.after.date
    assert change.before.covered is False
    diff = list(difflib.unified_diff(original, kb_file.read_text().splitlines(), n=0))
    removed = [line for line in diff[2:] if line.startswith("-")]
    added = [line[1:].strip() for line in diff[2:] if line.startswith("+")]
    assert removed == ["-        covered: false"]
    assert added[0] == "answer: >-" and " ".join(added[1:-3]) == PRICE
    assert added[-3:] == ["source: clinic", "author: alice", f'date: "{entry.date}"']


def test_visitors_get_a_clinic_answer_with_the_disclaimer_and_sources_clinic(
    kb_file: Path, stores: Stores, domain: dict
) -> None:
    kb_editor.save_entry(
        kb_file, "thermage", "cost", clinic_price(), "alice", stores.console
    )
    composer = Composer(
        load_knowledge_base(kb_file), Wording(domain), get_settings().clinic
    )

    reply = composer.kb_reply(Plan(Kind.KB, "cost", ("thermage",)))

    assert reply.answer == contract.kb_answer("thermage", "cost", True, ["clinic"])
    assert reply.variables["answer_text"] == PRICE
    assert reply.variables["source"] == CLINIC_TITLE
    assert "practitioner" in reply.variables["disclaimer"]


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        (EntryForm(True, "", CLINIC_SOURCE), "expected a non-empty text"),
        (
            EntryForm(True, "It is painless.", ARTICLE, ["Thermage never hurts."]),
            f"not in the article {ARTICLE}",
        ),
        (EntryForm(True, "It is painless.", ARTICLE), "missing key evidence"),
        (
            EntryForm(True, "x", CLINIC_SOURCE, synonyms=["microneedling"]),
            "synonym 'microneedling' is also in",
        ),
    ],
)
def test_a_broken_edit_is_refused_and_nothing_is_written(
    kb_file: Path, stores: Stores, form: EntryForm, problem: str
) -> None:
    original = kb_file.read_text()
    with pytest.raises(EditError, match=problem):
        kb_editor.save_entry(
            kb_file,
            "thermage",
            "pain",
            form,
            "alice",
            stores.console,
            articles_dir=SEEDS_DIR,
        )
    assert kb_file.read_text() == original
    assert kb_editor.history(stores.console) == []
    assert not list(kb_file.parent.glob(".treatments.yml.*"))  # no temp file left


def test_revert_restores_the_entry_and_is_recorded(
    kb_file: Path, stores: Stores
) -> None:
    original = kb_file.read_text()
    change = kb_editor.save_entry(
        kb_file, "thermage", "cost", clinic_price(), "alice", stores.console
    )

    undo = kb_editor.revert(kb_file, stores.console, change.id, "bob")

    assert kb_file.read_text() == original
    assert undo.after == change.before
    rows = kb_editor.history(stores.console, "thermage", "cost")
    assert [(r.username, r.reverts) for r in rows] == [
        ("bob", change.id),
        ("alice", None),
    ]
    with pytest.raises(EditConflict):  # reverting again would undo bob's revert
        kb_editor.revert(kb_file, stores.console, change.id, "bob")


def test_an_edit_on_a_stale_form_is_refused(kb_file: Path, stores: Stores) -> None:
    opened = kb_editor.read_entry(kb_file, "thermage", "cost")
    kb_editor.save_entry(
        kb_file, "thermage", "cost", clinic_price(), "alice", stores.console
    )
    late = replace(clinic_price(), answer="From 2,000 euros.")
    with pytest.raises(EditConflict, match="changed by someone else"):
        kb_editor.save_entry(
            kb_file, "thermage", "cost", late, "bob", stores.console,
            expected=opened.fingerprint(),
        )  # fmt: skip
    assert load_knowledge_base(kb_file).entry("thermage", "cost").answer == PRICE


def test_concurrent_edits_are_both_kept(kb_file: Path, stores: Stores) -> None:
    edits = {
        (treatment, "cost"): replace(
            clinic_price(), answer=f"{treatment} costs {i + 1},000 euros."
        )
        for i, treatment in enumerate(contract.TREATMENT_IDS)
    }
    start = threading.Barrier(len(edits))

    def edit(treatment: str, topic: str, form: EntryForm) -> None:
        start.wait()
        kb_editor.save_entry(
            kb_file, treatment, topic, form, f"editor-{treatment}", stores.console
        )

    threads = [
        threading.Thread(target=edit, args=(*key, form)) for key, form in edits.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    kb = load_knowledge_base(kb_file)
    for (treatment, topic), form in edits.items():
        assert kb.entry(treatment, topic).answer == form.answer
    assert len(kb_editor.history(stores.console)) == len(edits)
