"""Edit one treatment x topic entry of ``knowledge/treatments.yml`` safely.

The file stays the single source of truth, readable and diff-able: it is
edited in place with ruamel.yaml's round trip (comments, order and layout
kept; only the edited entry and synonyms change), and before anything is
written the new text goes through the very validation the servers run at
start-up (``medspa.knowledge_base``), plus the check that every quote is in
its article. The write is atomic (a temporary file, then rename) and happens
under a file lock, re-reading the file inside it, so two editors never lose
each other's change; an editor whose entry changed since the form was opened
is told so instead of overwriting it.
"""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, List, Optional

import sqlalchemy as sa
import yaml
from filelock import FileLock
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString
from sqlalchemy.engine import Engine

from console import audit
from console.export import write_atomically
from console.store import KB_CHANGES
from medspa.knowledge_base import (
    CLINIC_SOURCE,
    KnowledgeBaseError,
    parse_knowledge_base,
    unquoted_evidence,
)

LOCK_TIMEOUT = 10.0
WRAP = 80


class EditError(ValueError):
    """An edit that can't be saved; its message says why."""


class EditConflict(EditError):
    """The entry changed since the editor opened it."""


@dataclass
class EntryForm:
    """What the form edits: one entry and its treatment's synonyms."""

    covered: bool
    answer: str = ""
    source: str = ""  # an article's file name, or CLINIC_SOURCE
    evidence: List[str] = field(default_factory=list)
    synonyms: Optional[List[str]] = None  # the treatment's; None: unchanged
    author: str = ""
    date: str = ""

    def fingerprint(self) -> str:
        """A short digest: did the entry change since the form was opened?"""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        """The form as JSON (the history keeps it)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> EntryForm:
        """The form the history kept."""
        return cls(**json.loads(text))


def _yaml() -> YAML:
    """ruamel.yaml set up so that an unchanged file dumps byte for byte the same."""
    loader: Any = YAML()
    loader.preserve_quotes = True
    loader.width = 4096
    loader.indent(mapping=2, sequence=4, offset=2)
    return loader


def _treatment(doc: Any, treatment: str, topic: str) -> Any:
    try:
        node = doc["treatments"][treatment]
        node["topics"][topic]
    except (KeyError, TypeError) as error:
        raise EditError(f"no entry {treatment}.{topic}") from error
    return node


def read_entry(path: Path, treatment: str, topic: str) -> EntryForm:
    """The entry as the file has it now.

    Raises:
        KnowledgeBaseError: the file can't be read or parsed.
        EditError: it has no such entry.
    """
    return _form(_treatment(_load(_yaml(), path), treatment, topic), topic)


def _load(loader: Any, path: Path) -> Any:
    try:
        return loader.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        raise KnowledgeBaseError(path, "file", f"cannot be read ({error})") from error


def _form(node: Any, topic: str) -> EntryForm:
    entry = node["topics"][topic]
    synonyms = [str(s) for s in node.get("synonyms") or []]
    if entry.get("covered") is False:
        return EntryForm(covered=False, synonyms=synonyms)
    return EntryForm(
        covered=True,
        answer=str(entry.get("answer", "")),
        source=str(entry.get("source", node.get("source", ""))),
        evidence=[str(e) for e in entry.get("evidence") or []],
        synonyms=synonyms,
        author=str(entry.get("author", "")),
        date=str(entry.get("date", "")),
    )


def _folded(text: str) -> FoldedScalarString:
    """A long answer as a folded block (``>-``), wrapped for readable diffs."""
    folded = FoldedScalarString(text)
    positions, offset = [], 0
    for line in textwrap.wrap(text, WRAP)[:-1]:
        offset += len(line)
        positions.append(offset)
        offset += 1
    folded.fold_pos = positions
    return folded


def _entry_node(form: EntryForm, default_source: str, old: Any) -> CommentedMap:
    """The entry's YAML; an unchanged answer keeps its old line breaks."""
    node = CommentedMap()
    if not form.covered:
        node["covered"] = False
        return node
    kept = old.get("answer") if isinstance(old, dict) else None
    node["answer"] = kept if str(kept) == form.answer else _folded(form.answer)
    if form.evidence:
        node["evidence"] = CommentedSeq(
            DoubleQuotedScalarString(e) for e in form.evidence
        )
    if form.source != default_source:
        node["source"] = form.source
    if form.source == CLINIC_SOURCE:
        node["author"] = form.author
        node["date"] = DoubleQuotedScalarString(form.date)
    return node


def _clean(form: EntryForm, username: str, synonyms: List[str]) -> EntryForm:
    """The form tidied: whitespace collapsed, empty lines dropped, clinic signed.

    A new form carries no author or date: the editor and today sign it.
    """
    evidence = [" ".join(e.split()) for e in form.evidence if e.strip()]
    names = synonyms if form.synonyms is None else form.synonyms
    names = list(dict.fromkeys(" ".join(s.lower().split()) for s in names))
    cleaned = EntryForm(
        covered=form.covered,
        answer=" ".join(form.answer.split()) if form.covered else "",
        source=form.source.strip() if form.covered else "",
        evidence=evidence if form.covered else [],
        synonyms=[s for s in names if s],
    )
    if cleaned.covered and cleaned.source == CLINIC_SOURCE:
        # signed by its editor today, unless it is a kept version (a revert)
        cleaned.author = form.author or username
        cleaned.date = form.date or datetime.now(timezone.utc).date().isoformat()
    return cleaned


@dataclass
class Change:
    """A saved edit: the entry before and after."""

    id: int
    treatment: str
    topic: str
    before: EntryForm
    after: EntryForm


def save_entry(
    path: Path,
    treatment: str,
    topic: str,
    form: EntryForm,
    username: str,
    engine: Engine,
    expected: Optional[str] = None,
    articles_dir: Optional[Path] = None,
    reverts: Optional[int] = None,
) -> Change:
    """Validate and write one entry; record the change.

    Args:
        path: the knowledge base file.
        treatment: the treatment id.
        topic: the topic id.
        form: the entry as edited.
        username: who edits (the author of an answer written by the clinic).
        engine: the console's database (the history).
        expected: the fingerprint of the entry when the form was opened.
        articles_dir: where the source articles are, to check the quotes
            (skipped when ``None`` or missing).
        reverts: the id of the change this edit undoes.

    Raises:
        EditConflict: the entry changed since ``expected``.
        EditError: the edit breaks the knowledge base (nothing is written).
    """
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT):
        loader = _yaml()
        doc = _load(loader, path)
        node = _treatment(doc, treatment, topic)
        before = _form(node, topic)
        if expected is not None and before.fingerprint() != expected:
            raise EditConflict(
                f"{treatment}.{topic} was changed by someone else meanwhile: "
                "here is the current version; make your edit again"
            )
        after = _clean(form, username, before.synonyms or [])
        if after != before:
            node["topics"][topic] = _entry_node(
                after, str(node.get("source", "")), node["topics"][topic]
            )
            node["synonyms"][:] = after.synonyms
        out = io.StringIO()
        loader.dump(doc, out)
        text = out.getvalue()
        _validate(text, path, articles_dir)
        write_atomically(path, text)
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(KB_CHANGES).values(
                at=time.time(),
                username=username,
                treatment=treatment,
                topic=topic,
                before=before.to_json(),
                after=after.to_json(),
                reverts=reverts,
            )
        )
        detail = f"{treatment}.{topic}" + (
            f" (revert of #{reverts})" if reverts else ""
        )
        audit.record(connection, username, audit.KB_EDITED, detail=detail)
    change_id = int(result.inserted_primary_key[0])
    return Change(change_id, treatment, topic, before, after)


def _validate(text: str, path: Path, articles_dir: Optional[Path]) -> None:
    """The start-up validation, and every quote in its article."""
    try:
        kb = parse_knowledge_base(yaml.safe_load(text), path)
    except (KnowledgeBaseError, yaml.YAMLError) as error:
        raise EditError(str(error)) from error
    if articles_dir is not None and Path(articles_dir).is_dir():
        problems = unquoted_evidence(kb, Path(articles_dir))
        if problems:
            raise EditError("; ".join(problems))


def history(
    engine: Engine, treatment: Optional[str] = None, topic: Optional[str] = None
) -> List[Any]:
    """The changes, newest first (of one entry when asked)."""
    query = sa.select(KB_CHANGES).order_by(KB_CHANGES.c.id.desc()).limit(200)
    if treatment and topic:
        query = query.where(
            KB_CHANGES.c.treatment == treatment, KB_CHANGES.c.topic == topic
        )
    with engine.connect() as connection:
        return list(connection.execute(query))


def revert(
    path: Path,
    engine: Engine,
    change_id: int,
    username: str,
    articles_dir: Optional[Path] = None,
) -> Change:
    """Put an entry back as it was before a change (itself a recorded change).

    Raises:
        EditConflict: the entry changed again since; revert the later change first.
        EditError: no such change, or the old version no longer validates.
    """
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(KB_CHANGES).where(KB_CHANGES.c.id == change_id)
        ).first()
    if row is None:
        raise EditError(f"no change #{change_id}")
    before, after = EntryForm.from_json(row.before), EntryForm.from_json(row.after)
    return save_entry(
        path,
        row.treatment,
        row.topic,
        before,
        username,
        engine,
        expected=after.fingerprint(),
        articles_dir=articles_dir,
        reverts=change_id,
    )
