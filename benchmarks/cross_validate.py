"""Two-fold cross-validation on the real dev questions: an honest tuning figure.

The dev split's phrasings are copied into the training data
(``data/nlu/real_questions.yml``), so grading the model on dev flatters it.
This benchmark splits dev by source page into folds; for each fold it trains a
model without that fold's questions (a temporary copy of ``data/``), starts the
servers on it and grades the fold through the REST channel, exactly as
``benchmarks/real_questions.py`` grades the test set. The figures of all folds
are summed. Tune on this, never on ``tests/realworld/test.yml``.

usage: python -m benchmarks.cross_validate [--folds 2] [--show-misses]
       [--questions tests/realworld/dev.yml] [--keep | --reuse]

``--keep`` leaves each fold's model in ``var/cross_validation/`` for a closer
look (``python -m benchmarks.explain``). ``--reuse`` grades with those kept
models instead of training again: a quick figure for a change to the actions
alone (planning), never for a change to the training data, the pipeline or
the domain (the model carries its responses).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Set

import yaml

from tests.support.realworld import RealScore, grade_real
from tests.support.servers import BIN, PROJECT_DIR, running_assistant

DEV = PROJECT_DIR / "tests" / "realworld" / "dev.yml"
DATA = PROJECT_DIR / "data"
KEPT = PROJECT_DIR / "var" / "cross_validation"


def fold_of(source: str, folds: int) -> int:
    """The fold of a source page (its questions stay together).

    The second byte of the address's SHA-256: the first decides dev or test.
    """
    return hashlib.sha256(source.encode()).digest()[1] % folds


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def without_examples(nlu_file: Path, texts: Set[str]) -> int:
    """Drop the examples whose text is in ``texts`` from a Rasa NLU file.

    Returns:
        how many examples were dropped.
    """
    content = yaml.safe_load(nlu_file.read_text())
    dropped = 0
    for block in content.get("nlu", []):
        if "examples" not in block:
            continue
        if isinstance(block["examples"], list):  # the long form: text and metadata
            examples = block["examples"]
            block["examples"] = [
                e for e in examples if _normal(str(e.get("text", ""))) not in texts
            ]
            dropped += len(examples) - len(block["examples"])
            continue
        kept: List[str] = []
        for line in block["examples"].splitlines():
            example = line.strip()[2:] if line.strip().startswith("- ") else ""
            if example and _normal(example) in texts:
                dropped += 1
                continue
            kept.append(line)
        block["examples"] = "\n".join(kept) + "\n"
    nlu_file.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
    return dropped


def train_without(held_out: Sequence[Dict[str, Any]], workdir: Path) -> Path:
    """Train a model on the project's data minus the held-out questions."""
    data = workdir / "data"
    shutil.copytree(DATA, data)
    texts = {_normal(str(item["text"])) for item in held_out}
    dropped = sum(without_examples(path, texts) for path in data.rglob("*.yml"))
    print(f"  training without {dropped} examples of the held-out fold")
    started = time.monotonic()
    subprocess.run(
        [
            str(BIN / "rasa"), "train", "--data", str(data),
            "--config", "config.yml", "--domain", "domain.yml",
            "--out", str(workdir / "models"), "--fixed-model-name", "fold",
        ],
        cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL,
        # as `make` does: no telemetry, no error report sent anywhere
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )  # fmt: skip
    print(f"  trained in {time.monotonic() - started:.0f} s")
    return workdir / "models" / "fold.tar.gz"


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=DEV)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep fold models")
    parser.add_argument(
        "--reuse", action="store_true", help="grade with the kept fold models"
    )
    args = parser.parse_args()
    items = yaml.safe_load(args.questions.read_text())
    total = RealScore()
    for fold in range(args.folds):
        held_out = [i for i in items if fold_of(i["source"], args.folds) == fold]
        print(f"fold {fold}: {len(held_out)} questions held out")
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            kept = KEPT / f"fold-{fold}-of-{args.folds}.tar.gz"
            model = kept if args.reuse else train_without(held_out, workdir)
            with running_assistant(
                workdir / "run", rasa_args=["--model", str(model)]
            ) as assistant:
                score = grade_real(assistant.rasa_url, assistant.token, held_out)
            if args.keep and not args.reuse:
                KEPT.mkdir(parents=True, exist_ok=True)
                shutil.copy(model, KEPT / f"fold-{fold}-of-{args.folds}.tar.gz")
        print(f"  fold {fold}: {score.accuracy():.1%} right")
        total.merge(score)
    print(f"\n== {args.questions}, {args.folds}-fold cross-validation")
    print(total.report(args.show_misses))


if __name__ == "__main__":
    main()
