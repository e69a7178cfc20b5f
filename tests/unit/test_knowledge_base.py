"""The knowledge base: the project's file is valid and sourced; bad files refused."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from medspa.contract import TOPIC_IDS, TREATMENT_IDS
from medspa.knowledge_base import (
    KnowledgeBase,
    KnowledgeBaseCache,
    KnowledgeBaseError,
    load_knowledge_base,
    unquoted_evidence,
)
from tests.conftest import SEEDS_DIR
from tests.unit.kb_factory import minimal_kb, write_kb


def test_project_kb_has_every_treatment_and_topic(kb: KnowledgeBase) -> None:
    assert list(kb.treatments) == list(TREATMENT_IDS)
    for treatment in kb.treatments.values():
        assert list(treatment.entries) == list(TOPIC_IDS)
        assert treatment.entries["overview"].covered, treatment.id
        assert treatment.synonyms


def test_every_answer_is_quoted_from_its_source_article(kb: KnowledgeBase) -> None:
    assert unquoted_evidence(kb, SEEDS_DIR) == []


def test_a_quote_not_in_its_article_is_found(kb: KnowledgeBase) -> None:
    entry = kb.entry("thermage", "overview")
    forged = dataclasses.replace(entry, evidence=("Thermage is entirely painless.",))
    treatment = dataclasses.replace(
        kb.treatments["thermage"],
        entries={**kb.treatments["thermage"].entries, "overview": forged},
    )
    broken = dataclasses.replace(
        kb, treatments={**kb.treatments, "thermage": treatment}
    )
    assert unquoted_evidence(broken, SEEDS_DIR) == [
        "treatments.thermage.topics.overview.evidence: not in the article "
        "000_759101bf7af3e74c.txt: 'Thermage is entirely painless.'"
    ]


def test_concern_and_area_topics_agree_with_their_lists(kb: KnowledgeBase) -> None:
    for treatment in kb.treatments.values():
        assert treatment.entries["concerns"].covered == bool(treatment.concerns), (
            treatment.id
        )
        assert treatment.entries["areas"].covered == bool(treatment.areas), treatment.id
    for concern in kb.concerns:
        assert kb.treatments_for_concern(concern), f"no treatment addresses {concern}"


def test_no_other_clinic_is_named(kb: KnowledgeBase) -> None:
    for treatment in kb.treatments.values():
        for entry in treatment.entries.values():
            assert "astra" not in entry.answer.lower()


def test_minimal_kb_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_kb(tmp_path / "kb.yml", minimal_kb()))
    assert kb.entry("thermage", "overview").answer == "thermage answer."
    assert kb.entry("thermage", "overview").source == "000_759101bf7af3e74c.txt"
    assert not kb.entry("thermage", "pain").covered
    assert kb.treatments_for_concern("wrinkles") == [
        "thermage",
        "microneedling",
        "infrared_laser",
    ]


def _set(path: str, value: Any) -> Callable[[Dict[str, Any]], None]:
    def mutate(data: Dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[Dict[str, Any]], None]:
    def mutate(data: Dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "where", "problem"),
    [
        (_set("treatments.botox", {}), "treatments.botox", "unknown treatment id"),
        (
            _delete("treatments.mesotherapy"),
            "treatments",
            "missing treatment(s) mesotherapy",
        ),
        (
            _delete("treatments.thermage.topics.pain"),
            "treatments.thermage.topics",
            "missing topic(s) pain",
        ),
        (
            _set("treatments.thermage.topics.price", {"covered": False}),
            "treatments.thermage.topics",
            "unknown topic id(s) price",
        ),
        (
            _delete("treatments.thermage.topics.overview.evidence"),
            "treatments.thermage.topics.overview",
            "missing key evidence",
        ),
        (
            _set("treatments.thermage.topics.pain", {"covered": False, "answer": "x"}),
            "treatments.thermage.topics.pain",
            "an uncovered entry has no answer",
        ),
        (
            _set("treatments.thermage.topics.overview.answer", "  "),
            "treatments.thermage.topics.overview.answer",
            "expected a non-empty text",
        ),
        (
            _set("treatments.thermage.topics.overview.colour", "red"),
            "treatments.thermage.topics.overview",
            "unknown key(s) colour",
        ),
        (
            _set("treatments.thermage.concerns", ["baldness"]),
            "treatments.thermage.concerns",
            "unknown id 'baldness'",
        ),
        (
            _set("treatments.mesotherapy.synonyms", ["brand0"]),
            "treatments.mesotherapy.synonyms",
            "'brand0' is also in treatments.thermage.synonyms",
        ),
        (
            _delete("treatments.thermage.name"),
            "treatments.thermage",
            "missing key(s) name",
        ),
        (_set("topics.overview", None), "topics.overview", "expected a non-empty text"),
        (
            _set("treatments.thermage.topics.pain.covered", "no"),
            "treatments.thermage.topics.pain.covered",
            "expected true or false",
        ),
    ],
)
def test_invalid_kb_names_file_entry_and_problem(
    tmp_path: Path, mutate: Callable[[Dict[str, Any]], None], where: str, problem: str
) -> None:
    data = minimal_kb()
    mutate(data)
    path = write_kb(tmp_path / "kb.yml", data)
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(path)
    assert raised.value.where == where
    assert problem in raised.value.problem
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"treatments: [unclosed", "is not valid YAML"),
        (b"\xff\xfe\x00binary", "cannot be read"),
        (b"- just\n- a list\n", "expected a mapping"),
    ],
)
def test_malformed_file_is_refused(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "kb.yml"
    path.write_bytes(content)
    with pytest.raises(KnowledgeBaseError, match=re.escape(problem)):
        load_knowledge_base(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot be read"):
        load_knowledge_base(tmp_path / "absent.yml")


def test_cache_serves_edits_and_survives_a_broken_edit(tmp_path: Path) -> None:
    data = minimal_kb()
    path = write_kb(tmp_path / "kb.yml", data)
    cache = KnowledgeBaseCache(path)
    assert cache.get().entry("thermage", "overview").answer == "thermage answer."

    data["treatments"]["thermage"]["topics"]["overview"]["answer"] = "Edited answer."
    write_kb(path, data)
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    assert cache.get().entry("thermage", "overview").answer == "Edited answer."

    path.write_text("treatments: [broken")
    os.utime(path, ns=(1, 3_000_000_000_000_000_000))
    assert cache.get().entry("thermage", "overview").answer == "Edited answer."


def test_cache_without_a_valid_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "kb.yml"
    path.write_text("nope: [")
    with pytest.raises(KnowledgeBaseError):
        KnowledgeBaseCache(path).get()
