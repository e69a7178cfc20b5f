"""Reviewed messages as Rasa NLU training data: ``data/nlu/reviewed.yml``.

The file is the console's own: it starts with :data:`HEADER`, and a file of
that name without it is never overwritten. Each export merges what the file
already holds with the reviews not yet exported, drops every message that the
hand-written training data already has (any intent: Rasa refuses an example
under two intents) and writes the file atomically. The treatment is annotated
where the message named it (``[Morpheus8](treatment)``). Problem reports go
under ``report_problem``, which also trains the safety classifier.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml
from sqlalchemy.engine import Engine

from console import review

HEADER = (
    "# Written by the staff console's review inbox (make export-reviewed):\n"
    "# visitor messages with the reading staff gave them. Regenerated on each\n"
    "# export; edit the readings in the console, not here.\n"
)
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


class ExportError(RuntimeError):
    """The file can't be written without losing hand-written data."""


@dataclass
class Exported:
    """What an export did."""

    path: Path
    written: int
    new: int
    already_in_training_data: int


def plain(example: str) -> str:
    """An example's text without annotations, compared loosely (case, spaces, ?!.)."""
    words = " ".join(_ANNOTATION.sub(r"\1", example).casefold().split())
    return words.strip(" ?!.")


def _examples(path: Path) -> List[Tuple[str, str]]:
    """(intent, example) of an NLU file (annotations kept)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.append((str(block["intent"]), line[2:].strip()))
    return found


def hand_written(data_dir: Path, output: Path) -> set:
    """The plain texts of every example in the training data but ``output``."""
    files = [data_dir / "nlu.yml", *sorted((data_dir / "nlu").glob("*.yml"))]
    return {
        plain(example)
        for path in files
        if path.is_file() and path.resolve() != output.resolve()
        for _, example in _examples(path)
    }


def annotated(text: str, span: Optional[str]) -> str:
    """The example with the words that name the treatment annotated."""
    text = text.replace("[", "(").replace("]", ")")
    if not span or span not in text:
        return text
    start = text.index(span)
    return f"{text[:start]}[{span}](treatment){text[start + len(span) :]}"


def render(examples: Dict[str, Dict[str, str]]) -> str:
    """The NLU file: intents sorted, their examples sorted."""
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:"]
    for intent in sorted(examples):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {e}" for e in sorted(examples[intent].values(), key=plain)]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once (a temporary file, then rename)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_reviewed(engine: Engine, data_dir: Path) -> Exported:
    """Merge the reviewed messages into ``data_dir/nlu/reviewed.yml``.

    Raises:
        ExportError: the file exists but was not written by the console.
    """
    output = data_dir / "nlu" / "reviewed.yml"
    examples: Dict[str, Dict[str, str]] = {}
    if output.exists():
        if not output.read_text(encoding="utf-8").startswith(HEADER):
            raise ExportError(f"{output} was not written by the console: not touched")
        for intent, example in _examples(output):
            examples.setdefault(intent, {})[plain(example)] = example
    taken = hand_written(data_dir, output)
    pending = review.reviewed(engine, exported=False)
    skipped = 0
    for row in reversed(pending):  # oldest first: a later reading wins
        key = plain(row.text)
        if key in taken:
            skipped += 1
            continue
        for others in examples.values():
            others.pop(key, None)
        examples.setdefault(row.intent, {})[key] = annotated(row.text, row.span)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(output, render({k: v for k, v in examples.items() if v}))
    review.mark_exported(engine, [row.event_id for row in pending])
    written = sum(len(v) for v in examples.values())
    return Exported(output, written, len(pending) - skipped, skipped)


def forget(data_dir: Path, texts: Iterable[str]) -> None:
    """Remove these messages from the exported file (a visitor's erasure)."""
    output = data_dir / "nlu" / "reviewed.yml"
    gone = {plain(t) for t in texts}
    if not gone or not output.exists():
        return
    text = output.read_text(encoding="utf-8")
    if not text.startswith(HEADER):
        return
    examples: Dict[str, Dict[str, str]] = {}
    for intent, example in _examples(output):
        if plain(example) not in gone:
            examples.setdefault(intent, {})[plain(example)] = example
    write_atomically(output, render({k: v for k, v in examples.items() if v}))
