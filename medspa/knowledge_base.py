"""The treatment knowledge base: loading, validating and looking up answers.

The data lives in ``knowledge/treatments.yml`` (see the README for its format).
Both servers load it through :func:`load_at_startup`, from the one setting
``MEDSPA_KNOWLEDGE_BASE``, before they serve: a broken file stops both with a
message naming the file, the entry and the problem.

What changes live and what needs a restart (stated here, once; tested in
``tests/unit/test_kb_entity_extractor.py`` and ``test_knowledge_base.py``):

- **live** (:data:`LIVE`): the answers. The action server re-reads the file
  when it changes (:class:`KnowledgeBaseCache`), so an edited answer, its
  evidence, its source or ``covered`` is served at the next question, with no
  retraining and no restart. A broken edit keeps the last good version.
- **at a restart of the Rasa server** (:data:`RESTART`): the names. The NLU's
  entity extractor compiles the treatments' names and synonyms, concerns,
  areas and treatments not offered into its matcher once, when the model is
  loaded. No retraining is needed.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Tuple

import yaml

from medspa.contract import TOPIC_IDS, TREATMENT_IDS

logger = logging.getLogger(__name__)

LIVE = ("answer", "evidence", "source", "covered")
RESTART = ("name", "synonyms", "concerns", "areas", "not_offered")

_TOP_KEYS = {"sources", "topics", "concerns", "areas", "not_offered", "treatments"}
_OPTIONAL_TOP_KEYS = {"sources", "not_offered"}
_TREATMENT_KEYS = {"name", "source", "synonyms", "concerns", "areas", "topics"}
_OPTIONAL_TREATMENT_KEYS = {"generic"}
_TERM_KEYS = {"name", "synonyms"}
_NOT_OFFERED_KEYS = _TERM_KEYS | {"nearest"}
_COVERED_KEYS = {"answer", "evidence", "source", "covered"}


CLINIC_SOURCE = "clinic"
"""The ``source`` of an answer the clinic wrote itself (with ``author`` and
``date``) rather than quoted from an article: prices, aftercare sheets..."""
CLINIC_TITLE = "the clinic's own information"
_CLINIC_KEYS = ("answer", "author", "date")


class KnowledgeBaseError(ValueError):
    """The knowledge base file is malformed; the message says where and why."""

    def __init__(self, path: Path, where: str, problem: str) -> None:
        self.path = path
        self.where = where
        self.problem = problem
        super().__init__(f"{path}: {where}: {problem}")


@dataclass(frozen=True)
class Entry:
    """What the knowledge base says about one treatment on one topic."""

    topic: str
    covered: bool
    answer: str
    evidence: Tuple[str, ...]
    source: str
    author: str = ""  # an answer written by the clinic: who wrote it ...
    date: str = ""  # ... and when


@dataclass(frozen=True)
class Term:
    """A named thing with its synonyms: a concern, a body area, a treatment not offered.

    Concerns (acne scars, ...) and areas (neck, ...) are what treatments are
    for; ``not_offered`` lists treatments visitors ask about that the clinic's
    articles don't cover (Botox, fillers, ...), so the assistant says so
    instead of answering about a treatment that merely sounds alike.
    """

    id: str
    name: str
    synonyms: Tuple[str, ...]
    nearest: Optional[str] = None
    """For a treatment not offered: the clinic's treatment closest to it."""


@dataclass(frozen=True)
class Treatment:
    """One treatment: its names, what it addresses and its topic entries."""

    id: str
    name: str
    source: str
    synonyms: Tuple[str, ...]
    concerns: Tuple[str, ...]
    areas: Tuple[str, ...]
    entries: Mapping[str, Entry]
    generic: Tuple[str, ...] = ()
    """Generic names ("laser") that stand for it unless a procedure the clinic
    doesn't offer is named beside them ("IPL laser", "CO2 ... laser")."""

    def covered_topics(self) -> List[str]:
        """Topic ids this treatment has an answer for, in the contract's order."""
        return [t for t in TOPIC_IDS if self.entries[t].covered]


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole validated knowledge base."""

    path: Path
    source_titles: Mapping[str, str]
    topic_labels: Mapping[str, str]
    concerns: Mapping[str, Term]
    areas: Mapping[str, Term]
    treatments: Mapping[str, Treatment]
    not_offered: Mapping[str, Term]

    def entry(self, treatment: str, topic: str) -> Entry:
        """The entry of a treatment on a topic."""
        return self.treatments[treatment].entries[topic]

    def treatments_for_concern(self, concern: str) -> List[str]:
        """Ids of the treatments whose article says they address ``concern``."""
        return [t.id for t in self.treatments.values() if concern in t.concerns]

    def treatments_for_area(self, area: str) -> List[str]:
        """Ids of the treatments whose article names ``area``."""
        return [t.id for t in self.treatments.values() if area in t.areas]

    def source_title(self, source: str) -> str:
        """A human title for a source article (its file name when untitled)."""
        if source == CLINIC_SOURCE:
            return self.source_titles.get(source, CLINIC_TITLE)
        return self.source_titles.get(source, source)


def _require_mapping(value: Any, path: Path, where: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise KnowledgeBaseError(
            path, where, f"expected a mapping, got {type(value).__name__}"
        )
    return value


def _require_text(value: Any, path: Path, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeBaseError(path, where, "expected a non-empty text")
    return " ".join(value.split())


def _require_texts(
    value: Any, path: Path, where: str, allow_empty: bool = False
) -> Tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise KnowledgeBaseError(path, where, "expected a non-empty list")
    return tuple(_require_text(v, path, f"{where}[{i}]") for i, v in enumerate(value))


def _check_keys(
    data: Mapping[str, Any],
    allowed: AbstractSet[str],
    required: AbstractSet[str],
    path: Path,
    where: str,
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise KnowledgeBaseError(path, where, f"unknown key(s) {', '.join(unknown)}")
    missing = sorted(required - set(data))
    if missing:
        raise KnowledgeBaseError(path, where, f"missing key(s) {', '.join(missing)}")


def _parse_terms(
    raw: Any, path: Path, section: str, allowed: AbstractSet[str] = _TERM_KEYS
) -> Dict[str, Term]:
    terms: Dict[str, Term] = {}
    for term_id, data in _require_mapping(raw, path, section).items():
        where = f"{section}.{term_id}"
        data = _require_mapping(data, path, where)
        _check_keys(data, allowed, _TERM_KEYS, path, where)
        nearest = data.get("nearest")
        if nearest is not None and nearest not in TREATMENT_IDS:
            raise KnowledgeBaseError(
                path, f"{where}.nearest", f"unknown treatment id {nearest!r}"
            )
        terms[term_id] = Term(
            id=term_id,
            name=_require_text(data["name"], path, f"{where}.name"),
            synonyms=tuple(
                s.lower()
                for s in _require_texts(data["synonyms"], path, f"{where}.synonyms")
            ),
            nearest=nearest,
        )
    return terms


def _parse_entry(raw: Any, default_source: str, path: Path, where: str) -> Entry:
    data = _require_mapping(raw, path, where)
    _check_keys(data, _COVERED_KEYS | set(_CLINIC_KEYS), set(), path, where)
    covered = data.get("covered", True)
    if not isinstance(covered, bool):
        raise KnowledgeBaseError(path, f"{where}.covered", "expected true or false")
    if not covered:
        extra = sorted(set(data) - {"covered"})
        if extra:
            raise KnowledgeBaseError(
                path, where, f"an uncovered entry has no {', '.join(extra)}"
            )
        return Entry(
            topic=where.rsplit(".", 1)[-1],
            covered=False,
            answer="",
            evidence=(),
            source="",
        )
    source = data.get("source", default_source)
    clinic = source == CLINIC_SOURCE
    for key in _CLINIC_KEYS if clinic else ("answer", "evidence"):
        if key not in data:
            raise KnowledgeBaseError(
                path, where, f"missing key {key} (or say covered: false)"
            )
    if not clinic and ("author" in data or "date" in data):
        raise KnowledgeBaseError(
            path, where, f"author and date are for source: {CLINIC_SOURCE} only"
        )
    return Entry(
        topic=where.rsplit(".", 1)[-1],
        covered=True,
        answer=_require_text(data["answer"], path, f"{where}.answer"),
        evidence=_require_texts(
            data.get("evidence", []), path, f"{where}.evidence", allow_empty=clinic
        ),
        source=_require_text(source, path, f"{where}.source"),
        author=_require_text(data["author"], path, f"{where}.author") if clinic else "",
        date=_require_text(str(data["date"]), path, f"{where}.date") if clinic else "",
    )


def _parse_treatment(
    treatment_id: str,
    raw: Any,
    concerns: Mapping[str, Term],
    areas: Mapping[str, Term],
    path: Path,
) -> Treatment:
    where = f"treatments.{treatment_id}"
    if treatment_id not in TREATMENT_IDS:
        raise KnowledgeBaseError(
            path,
            where,
            f"unknown treatment id (expected one of {', '.join(TREATMENT_IDS)})",
        )
    data = _require_mapping(raw, path, where)
    _check_keys(
        data,
        _TREATMENT_KEYS | _OPTIONAL_TREATMENT_KEYS,
        _TREATMENT_KEYS,
        path,
        where,
    )
    source = _require_text(data["source"], path, f"{where}.source")
    for key, known in (("concerns", concerns), ("areas", areas)):
        for value in _require_texts(
            data[key], path, f"{where}.{key}", allow_empty=True
        ):
            if value not in known:
                raise KnowledgeBaseError(
                    path, f"{where}.{key}", f"unknown id {value!r}"
                )
    topics = _require_mapping(data["topics"], path, f"{where}.topics")
    unknown = sorted(set(topics) - set(TOPIC_IDS))
    if unknown:
        raise KnowledgeBaseError(
            path, f"{where}.topics", f"unknown topic id(s) {', '.join(unknown)}"
        )
    missing = [t for t in TOPIC_IDS if t not in topics]
    if missing:
        raise KnowledgeBaseError(
            path, f"{where}.topics", f"missing topic(s) {', '.join(missing)}"
        )
    entries = {
        t: _parse_entry(topics[t], source, path, f"{where}.topics.{t}")
        for t in TOPIC_IDS
    }
    return Treatment(
        id=treatment_id,
        name=_require_text(data["name"], path, f"{where}.name"),
        source=source,
        synonyms=tuple(
            s.lower()
            for s in _require_texts(data["synonyms"], path, f"{where}.synonyms")
        ),
        concerns=tuple(data["concerns"]),
        areas=tuple(data["areas"]),
        entries=entries,
        generic=tuple(
            s.lower()
            for s in _require_texts(
                data.get("generic", []), path, f"{where}.generic", allow_empty=True
            )
        ),
    )


def _check_unique_synonyms(kb: KnowledgeBase) -> None:
    seen: Dict[str, str] = {}
    # a generic word ("laser") may be listed by several treatments: it means any
    # of them; a name or synonym belongs to one item only
    named: List[Tuple[str, str, Tuple[str, ...]]] = [
        ("treatments", t.id, t.synonyms) for t in kb.treatments.values()
    ]
    generic = sorted({g for t in kb.treatments.values() for g in t.generic})
    named += [("treatments", "generic", tuple(generic))]
    named += [("concerns", c.id, c.synonyms) for c in kb.concerns.values()]
    named += [("areas", a.id, a.synonyms) for a in kb.areas.values()]
    named += [("not_offered", o.id, o.synonyms) for o in kb.not_offered.values()]
    for section, item_id, synonyms in named:
        for synonym in synonyms:
            where = f"{section}.{item_id}.synonyms"
            if synonym in seen and seen[synonym] != where:
                raise KnowledgeBaseError(
                    kb.path, where, f"synonym {synonym!r} is also in {seen[synonym]}"
                )
            seen[synonym] = where


def parse_knowledge_base(raw: Any, path: Path) -> KnowledgeBase:
    """Validate the parsed YAML of a knowledge base file."""
    data = _require_mapping(raw, path, "top level")
    _check_keys(data, _TOP_KEYS, _TOP_KEYS - _OPTIONAL_TOP_KEYS, path, "top level")
    labels = _require_mapping(data["topics"], path, "topics")
    if set(labels) != set(TOPIC_IDS):
        diff = sorted(set(labels) ^ set(TOPIC_IDS))
        raise KnowledgeBaseError(
            path,
            "topics",
            f"labels must match the contract's topic ids (differs: {', '.join(diff)})",
        )
    concerns = _parse_terms(data["concerns"], path, "concerns")
    areas = _parse_terms(data["areas"], path, "areas")
    raw_treatments = _require_mapping(data["treatments"], path, "treatments")
    treatments = {
        tid: _parse_treatment(tid, traw, concerns, areas, path)
        for tid, traw in raw_treatments.items()
    }
    missing = [t for t in TREATMENT_IDS if t not in treatments]
    if missing:
        raise KnowledgeBaseError(
            path, "treatments", f"missing treatment(s) {', '.join(missing)}"
        )
    kb = KnowledgeBase(
        path=path,
        source_titles={
            k: _require_text(v, path, f"sources.{k}")
            for k, v in _require_mapping(
                data.get("sources", {}), path, "sources"
            ).items()
        },
        topic_labels={
            t: _require_text(labels[t], path, f"topics.{t}") for t in TOPIC_IDS
        },
        concerns=concerns,
        areas=areas,
        treatments={t: treatments[t] for t in TREATMENT_IDS},
        not_offered=_parse_terms(
            data.get("not_offered", {}), path, "not_offered", _NOT_OFFERED_KEYS
        ),
    )
    _check_unique_synonyms(kb)
    return kb


def load_knowledge_base(path: Path) -> KnowledgeBase:
    """Read and validate a knowledge base file.

    Raises:
        KnowledgeBaseError: the file is missing, is not YAML or breaks the schema.

    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError(
            Path(path), "file", f"cannot be read ({error})"
        ) from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(
            Path(path), "file", f"is not valid YAML ({error})"
        ) from error
    return parse_knowledge_base(raw, Path(path))


class KnowledgeBaseCache:
    """The knowledge base of a file, re-read whenever the file changes.

    A change that breaks the file is logged and the last good version keeps
    being served, so an editing mistake never takes the assistant down.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: Optional[Tuple[int, int]] = None
        self._kb: Optional[KnowledgeBase] = None

    def _file_stamp(self) -> Tuple[int, int]:
        stat = os.stat(self.path)
        return stat.st_mtime_ns, stat.st_size

    def get(self) -> KnowledgeBase:
        """The current knowledge base (raises only if no valid version was read)."""
        with self._lock:
            try:
                stamp = self._file_stamp()
            except OSError:
                stamp = None
            if self._kb is None or (stamp is not None and stamp != self._stamp):
                try:
                    self._kb = load_knowledge_base(self.path)
                    self._stamp = stamp
                except KnowledgeBaseError:
                    if self._kb is None:
                        raise
                    logger.exception("Keeping the previous knowledge base")
                    self._stamp = stamp
            return self._kb


def _normalise_quote(text: str) -> str:
    """Text compared loosely: typographic quotes plain, spaces collapsed, any case."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split()).lower()


def unquoted_evidence(kb: KnowledgeBase, articles_dir: Path) -> List[str]:
    """Every ``evidence`` quote that is not in its source article, as a problem.

    Answers written by the clinic (``source: clinic``) quote no article.
    """
    articles: Dict[str, str] = {}
    problems = []
    for treatment in kb.treatments.values():
        for entry in treatment.entries.values():
            if not entry.covered or entry.source == CLINIC_SOURCE:
                continue
            if entry.source not in articles:
                article = Path(articles_dir) / entry.source
                try:
                    articles[entry.source] = _normalise_quote(article.read_text())
                except OSError:
                    articles[entry.source] = ""
            for quote in entry.evidence:
                if _normalise_quote(quote) not in articles[entry.source]:
                    problems.append(
                        f"treatments.{treatment.id}.topics.{entry.topic}.evidence: "
                        f"not in the article {entry.source}: {quote!r}"
                    )
    return problems


def load_at_startup(path: Path) -> KnowledgeBase:
    """Load the knowledge base before a server starts serving, or stop the process.

    Raises:
        SystemExit: the file is broken; the message names the file, the entry
            and the problem.

    """
    try:
        kb = load_knowledge_base(path)
    except KnowledgeBaseError as error:
        raise SystemExit(f"Knowledge base error: {error}") from error
    covered = sum(len(t.covered_topics()) for t in kb.treatments.values())
    logger.info(
        "Knowledge base %s: %d treatments, %d answers",
        path,
        len(kb.treatments),
        covered,
    )
    return kb
