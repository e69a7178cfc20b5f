"""Real visitors' questions in the training data are marked, and weigh more."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from components.example_weights import REAL, example_weights, origin
from tests.support.realworld import GATHERED_FILES

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_QUESTIONS = PROJECT_DIR / "data" / "nlu" / "real_questions.yml"


def test_every_block_of_real_questions_is_marked_real() -> None:
    blocks = yaml.safe_load(REAL_QUESTIONS.read_text())["nlu"]
    assert blocks
    assert [b["intent"] for b in blocks if b.get("metadata") != {"origin": REAL}] == []


def test_rasa_reads_the_mark_on_each_example() -> None:
    examples = load_data(str(REAL_QUESTIONS)).intent_examples
    assert examples and {origin(e) for e in examples} == {REAL}


def test_examples_written_for_the_project_are_not_marked() -> None:
    examples = load_data(str(PROJECT_DIR / "data" / "nlu.yml")).intent_examples
    assert examples and {origin(e) for e in examples} == {""}


@pytest.mark.parametrize("real_weight", [1.0, 3.0])
def test_weights_follow_the_origin(real_weight: float) -> None:
    real = Message.build("is fraxel painful?", "ask_pain", None, {"origin": REAL})
    written = Message.build("does it hurt", "ask_pain")
    odd = Message(data={"text": "x", "metadata": {"intent": "not a mapping"}})
    assert list(example_weights([real, written, odd], real_weight)) == [
        real_weight,
        1.0,
        1.0,
    ]


@pytest.mark.parametrize(
    "path", sorted((PROJECT_DIR / "data").rglob("*.yml")), ids=lambda p: p.name
)
def test_every_line_of_an_example_block_is_an_example(path: Path) -> None:
    """Rasa skips, with only a warning, a line of a block that is not an example.

    A block in the long form (a list of examples, each its ``text`` and
    ``metadata``) must give every example a text.
    """
    blocks = (yaml.safe_load(path.read_text()) or {}).get("nlu", [])
    stray = [
        (block.get("intent") or block.get("synonym") or block.get("lookup"), line)
        for block in blocks
        if not isinstance(block.get("examples"), list)
        for line in str(block.get("examples", "")).splitlines()
        if line.strip() and not line.lstrip().startswith("- ")
    ]
    textless = [
        (block.get("intent"), example)
        for block in blocks
        if isinstance(block.get("examples"), list)
        for example in block["examples"]
        if not (isinstance(example, dict) and str(example.get("text", "")).strip())
    ]
    assert stray == []
    assert textless == []


def test_the_gathered_files_are_found() -> None:
    """The glob finds them (off-topic and handoff so far): no test runs on none."""
    assert len(GATHERED_FILES) >= 2


@pytest.mark.parametrize("path", GATHERED_FILES, ids=lambda p: p.name)
def test_gathered_questions_count_as_written_examples(path: Path) -> None:
    """Questions gathered for training are real words, weighed as written ones.

    Off-topic ones counted three times like the dev questions, dev
    cross-validation fell (README, "Choices worth knowing"); each keeps the
    page it was copied from.
    """
    examples = load_data(str(path)).intent_examples
    assert len(examples) >= 150
    assert {e.get("intent") for e in examples} == {path.stem[len("gathered_") :]}
    assert list(set(example_weights(examples, 3.0))) == [1.0]
    assert all(
        e.get("metadata")["example"]["source"].startswith("http") for e in examples
    )
