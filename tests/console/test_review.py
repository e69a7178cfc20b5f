"""The review inbox: unsure messages, readings, the export, and a retrained model."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message as NluMessage
from rasa.shared.nlu.training_data.training_data import TrainingData

from console import export, privacy, queries, review
from console.store import Stores
from tests.console.seed import Message, Seeded, seed
from tests.support.servers import BIN, PROJECT_DIR
from tests.unit.test_intent_classifier import EXAMPLES, train_small_model

UNSURE = "will my skin look weird at the office on monday after microneedling"
BASE = {
    **EXAMPLES,
    "ask_downtime": [
        "how long is the recovery",
        "is there any downtime",
        "how long will my face be red",
        "when can I go back to work",
    ],
}


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """A copy of the project's hand-written NLU data."""
    copy = tmp_path / "data"
    (copy / "nlu").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "data" / "nlu.yml", copy / "nlu.yml")
    for path in (PROJECT_DIR / "data" / "nlu").glob("*.yml"):
        if path.name != "reviewed.yml":
            shutil.copy(path, copy / "nlu" / path.name)
    return copy


@pytest.fixture()
def unsure(stores: Stores) -> queries.Turn:
    """A visitor message the NLU read as a pain question with little confidence."""
    db = Path(str(stores.tracker.url.database))
    message = Message(UNSURE, "ask_pain", [{"kind": "kb", "treatment": "microneedling",
                      "topic": "pain", "covered": True, "sources": []}], 0.35,
                      treatment="microneedling")  # fmt: skip
    seed(db, [Seeded("dave", "socketio", 0, [message])])
    (turn,) = queries.turns(stores.tracker, senders=["dave"])
    return turn


def inbox_texts(stores: Stores) -> Dict[str, List[str]]:
    items = review.inbox(stores, queries.last_days(30), threshold=0.5)
    return {item.turn.text: item.reasons for item in items}


def test_the_inbox_lists_what_the_assistant_was_unsure_about(
    stores: Stores, unsure: queries.Turn
) -> None:
    assert inbox_texts(stores) == {
        UNSURE: ["unsure (0.35)"],
        "is there any downtime?": ["unsure (0.40)", "asked which treatment"],
        "what's the weather?": ["answered out of scope"],
        "<img src=x onerror=alert(1)>": ["not understood", "answered out of scope"],
    }
    alice = queries.turns(stores.tracker, senders=["alice"])[0]
    review.flag(stores.console, alice, "staff")
    assert inbox_texts(stores)["does microneedling hurt?"] == ["flagged by staff"]

    review.save(stores.console, alice, alice.text, "ask_pain", "microneedling", "staff")
    assert "does microneedling hurt?" not in inbox_texts(stores)


def test_a_reading_must_be_one_of_the_contracts(
    stores: Stores, unsure: queries.Turn
) -> None:
    with pytest.raises(review.ReviewError, match="unknown reading"):
        review.save(stores.console, unsure, UNSURE, "ask_price", "", "staff")
    with pytest.raises(review.ReviewError, match="unknown treatment"):
        review.save(stores.console, unsure, UNSURE, "ask_pain", "botox", "staff")
    assert review.reviewed(stores.console) == []


def test_export_writes_annotated_deduplicated_training_data(
    stores: Stores, unsure: queries.Turn, data_dir: Path
) -> None:
    hand_written = {p: p.read_text() for p in data_dir.rglob("*.yml")}
    carol = queries.turns(stores.tracker, senders=["carol"])[0]
    weather = queries.turns(stores.tracker, senders=["web-visitor2"])[1]
    review.save(stores.console, unsure, UNSURE, "ask_downtime", "microneedling", "s")
    review.save(stores.console, carol, carol.text, "ask_downtime", "", "s")
    # staff edit the text; the same words are hand-written already: both skipped
    review.save(
        stores.console,
        weather,
        "What's the weather like today",
        "out_of_scope",
        "",
        "s",
    )

    done = export.export_reviewed(stores.console, data_dir)

    assert (done.written, done.new, done.already_in_training_data) == (1, 1, 2)
    text = done.path.read_text()
    assert text.startswith(export.HEADER)
    assert f"- {UNSURE.replace('microneedling', '[microneedling](treatment)')}" in text
    assert "is there any downtime" not in text  # hand-written already
    data = RasaYAMLReader().read(done.path)
    (example,) = data.intent_examples
    assert example.get("intent") == "ask_downtime" and example.get("text") == UNSURE
    assert example.get("entities")[0]["value"] == "microneedling"
    assert all(p.read_text() == t for p, t in hand_written.items())
    assert review.reviewed(stores.console, exported=False) == []

    # a second export keeps what the file has; a changed reading moves it
    review.save(stores.console, unsure, UNSURE, "ask_pain", "microneedling", "s")
    export.export_reviewed(stores.console, data_dir)
    (example,) = RasaYAMLReader().read(done.path).intent_examples
    assert example.get("intent") == "ask_pain"


def test_a_hand_written_file_of_that_name_is_never_overwritten(
    stores: Stores, unsure: queries.Turn, data_dir: Path
) -> None:
    mine = data_dir / "nlu" / "reviewed.yml"
    mine.write_text('version: "3.1"\nnlu: []\n')
    review.save(stores.console, unsure, UNSURE, "ask_downtime", "", "s")
    with pytest.raises(export.ExportError, match="not written by the console"):
        export.export_reviewed(stores.console, data_dir)
    assert mine.read_text() == 'version: "3.1"\nnlu: []\n'


def test_an_erased_conversation_leaves_the_exported_data(
    stores: Stores, unsure: queries.Turn, data_dir: Path
) -> None:
    review.save(stores.console, unsure, UNSURE, "ask_downtime", "microneedling", "s")
    done = export.export_reviewed(stores.console, data_dir)
    assert "weird at the office" in done.path.read_text()

    privacy.delete_conversation(stores, "dave", "admin", training_data_dir=data_dir)

    assert "weird at the office" not in done.path.read_text()
    assert review.reviewed(stores.console) == []


def base() -> TrainingData:
    """The small model's own examples (fresh: training adds features to them)."""
    return TrainingData(
        [
            NluMessage(data={"text": t, "intent": i})
            for i, ts in BASE.items()
            for t in ts
        ]
    )


def _train(storage_dir: Path, data: TrainingData) -> tuple:
    storage_dir.mkdir()
    return train_small_model(LocalModelStorage(storage_dir), data)


def _reading(model: tuple, text: str) -> str:
    pipeline, classifier = model
    (message,) = classifier.process(pipeline.messages([text]))
    return str(message.get("intent")["name"])


def test_a_reviewed_message_is_read_the_new_way_after_retraining(
    stores: Stores, unsure: queries.Turn, data_dir: Path, tmp_path: Path
) -> None:
    before = _train(tmp_path / "before", base())
    assert _reading(before, UNSURE) == "ask_pain"  # as the assistant read it

    review.save(stores.console, unsure, UNSURE, "ask_downtime", "microneedling", "s")
    done = export.export_reviewed(stores.console, data_dir)
    reviewed = RasaYAMLReader().read(done.path)
    after = _train(tmp_path / "after", base().merge(reviewed))

    assert _reading(after, UNSURE) == "ask_downtime"


def test_make_export_reviewed_runs_the_same_export(
    stores: Stores, unsure: queries.Turn, data_dir: Path
) -> None:
    review.save(stores.console, unsure, UNSURE, "ask_downtime", "", "s")
    env = {
        "MEDSPA_CONSOLE_DB_URL": str(stores.console.url),
        "MEDSPA_CONVERSATIONS_URL": str(stores.tracker.url),
        "MEDSPA_TRAINING_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(
        [str(BIN / "python"), "-m", "console", "export-reviewed"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "1 examples (1 new" in done.stdout
    assert UNSURE in (data_dir / "nlu" / "reviewed.yml").read_text()
