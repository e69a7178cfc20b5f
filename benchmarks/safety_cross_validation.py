"""Cross-validation of the safety classifier alone: quick, for tuning it.

``benchmarks/cross_validate.py`` grades the whole assistant (minutes per fold);
this one trains only the safety classifier (``components/safety_classifier.py``)
per fold of the dev questions, on the project's NLU data without that fold's
questions, and grades the held-out fold in memory: reports caught (by the
classifier or by the cue rule, ``medspa.safety.assess``) and false alarms on
the other questions. Folds are the source pages' (``cross_validate.fold_of``).
The NLU intent (``report_problem``), the third way a report is caught, is not
run here. Tune on this, never on ``tests/realworld/test.yml``.

usage: python -m benchmarks.safety_cross_validation [--folds 2] [--verbose]
       [--grid] [CONFIG_JSON ...]

Each ``CONFIG_JSON`` (e.g. ``'{"threshold": 0.6, "window_threshold": 0.7}'``)
overrides the component's settings in ``config.yml`` for one run (none: those
settings as they are). ``--verbose`` lists the misses and the false alarms with the
text that scored highest; ``--grid`` prints the figures for other thresholds
(whole text x window) from the same scores.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from benchmarks.cross_validate import DATA, DEV, _normal, fold_of
from components.safety_classifier import SafetyClassifier
from components.sentence_encoder import Encoding, shared_encoder
from medspa import safety
from tests.support.realworld import SAFETY as REPORT_TOPIC

CONFIG = Path(__file__).resolve().parent.parent / "config.yml"
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


@functools.cache
def _cached_embedding(text: str) -> np.ndarray:
    return shared_encoder().encode(text).sentence.astype(np.float64)


@functools.cache
def _cached_encoding(text: str) -> Encoding:
    return shared_encoder().encode_all(text)


class _Classifier(SafetyClassifier):
    """The component, with the sentence encoder's answers kept across folds."""

    @staticmethod
    def _embed(text: str) -> np.ndarray:
        return _cached_embedding(text)

    @staticmethod
    def _encode_all(text: str) -> Encoding:
        return _cached_encoding(text)


@dataclass
class Scored:
    """One held-out question: whether it is a report, and how it was read."""

    text: str
    report: bool
    by_cues: bool
    whole: float
    window: float
    best: str
    verdict: bool


def examples(data: Path = DATA) -> List[Message]:
    """The project's NLU examples (``data/nlu.yml`` and ``data/nlu/*.yml``)."""
    files = [data / "nlu.yml", *sorted((data / "nlu").glob("*.yml"))]
    return [
        Message(data={k: e.get(k) for k in ("text", "intent", "metadata") if e.get(k)})
        for path in files
        for e in load_data(str(path)).intent_examples
        if e.get("text") and e.get("intent")
    ]


def configured(path: Path = CONFIG) -> Dict[str, Any]:
    """The safety classifier's settings in ``config.yml`` (over its defaults)."""
    pipeline = yaml.safe_load(path.read_text())["pipeline"]
    name = f"{SafetyClassifier.__module__}.{SafetyClassifier.__name__}"
    found = [c for c in pipeline if c.get("name") == name]
    settings = {k: v for k, v in found[0].items() if k != "name"} if found else {}
    return {**SafetyClassifier.get_default_config(), **settings}


def _trained(config: Dict[str, Any], training: List[Message], home: Path) -> Any:
    classifier = _Classifier.create(
        {**configured(), **config},
        LocalModelStorage(home),
        Resource("safety"),
        ExecutionContext(GraphSchema({}), node_name="safety"),
    )
    classifier.train(TrainingData(training))
    return classifier


def _read(classifier: Any, item: Dict[str, Any]) -> Scored:
    text = str(item["text"])
    parts = classifier._windows(text)
    found = classifier.scores(
        [text, *(p.text for p in parts)],
        classifier._embeddings_of(text, parts) if parts else [_cached_embedding(text)],
    )
    best = int(np.argmax(found))
    _, verdict = classifier.verdict(Message(data={"text": text}))
    return Scored(
        text=text,
        report=item.get("topic") == REPORT_TOPIC,
        by_cues=safety.assess(text) is not None,
        whole=float(found[0]),
        window=float(np.max(found[1:], initial=0.0)),
        best=text if best == 0 else parts[best - 1].text,
        verdict=verdict,
    )


def cross_validate(
    config: Dict[str, Any], questions: Sequence[Dict[str, Any]], folds: int = 2
) -> List[Scored]:
    """Every dev question, read by a classifier trained without its fold."""
    every = examples()
    scored: List[Scored] = []
    for fold in range(folds):
        held = [q for q in questions if fold_of(q["source"], folds) == fold]
        texts = {_normal(str(q["text"])) for q in held}
        training = [m for m in every if _normal(m.get("text")) not in texts]
        with tempfile.TemporaryDirectory() as home:
            classifier = _trained(config, training, Path(home))
            scored += [_read(classifier, q) for q in held]
    return scored


def figures(scored: Sequence[Scored], fired: Sequence[bool]) -> str:
    """Reports caught and false alarms, by the classifier and with the cues."""
    reports = [s for s in scored if s.report]
    others = [s for s in scored if not s.report]
    with_cues = [f or s.by_cues for s, f in zip(scored, fired, strict=True)]

    def count(flags: Sequence[bool], report: bool) -> int:
        return sum(f for s, f in zip(scored, flags, strict=True) if s.report is report)

    return (
        f"caught {count(with_cues, True)}/{len(reports)} "
        f"false alarms {count(with_cues, False)}/{len(others)} "
        f"(classifier alone {count(fired, True)}, {count(fired, False)})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the cross-validation for each configuration given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="*", type=json.loads)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--questions", type=Path, default=DEV)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args(argv)
    questions = yaml.safe_load(args.questions.read_text())
    for config in args.configs or [{}]:
        scored = cross_validate(config, questions, args.folds)
        print(config, figures(scored, [s.verdict for s in scored]))
        if args.verbose:
            for s in scored:
                if s.report != (s.verdict or s.by_cues):
                    label = "MISS" if s.report else "FALSE ALARM"
                    print(f"  {label} whole {s.whole:.2f} window {s.window:.2f}:")
                    print("    " + " ".join(s.best.split())[:200])
        if args.grid:
            for whole in THRESHOLDS:
                for window in THRESHOLDS:
                    fired = [s.whole >= whole or s.window >= window for s in scored]
                    print(f"  whole {whole} window {window}:", figures(scored, fired))


if __name__ == "__main__":
    main()
