"""The package layout that ARCHITECTURE.md describes, checked.

The core (``medspa``) imports no Rasa; the adapters import the core, never
each other's internals.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import Iterator, Set

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> Iterator[tuple[Path, str]]:
    for path in sorted((PROJECT_DIR / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield path, node.module


def top_levels(package: str) -> Set[str]:
    return {module.split(".")[0] for _, module in imported_modules(package)}


@pytest.mark.parametrize("framework", ["rasa", "rasa_sdk", "sanic", "tensorflow"])
def test_the_core_imports_no_framework(framework: str) -> None:
    offenders = [
        f"{path.relative_to(PROJECT_DIR)} imports {module}"
        for path, module in imported_modules("medspa")
        if module.split(".")[0] == framework
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("adapter", "forbidden"),
    [
        ("components", {"actions", "channels"}),
        ("actions", {"components", "channels"}),
        ("channels", {"actions", "components"}),
    ],
)
def test_adapters_depend_on_the_core_not_on_each_other(
    adapter: str, forbidden: Set[str]
) -> None:
    assert top_levels(adapter) & forbidden == set()


def test_the_repository_tracks_no_symbolic_link() -> None:
    """A clone must build from its own files: a committed link to a folder of
    one machine (``build -> /work/...``) dangles on a fresh one and stops
    ``make install``."""
    listing = subprocess.run(
        ["git", "ls-files", "--stage"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    links = [
        line.split("\t", 1)[1]
        for line in listing.splitlines()
        if line.startswith("120000 ")
    ]
    assert links == []
