"""CPU time of one sentence encoding, by runtime, or against another tree's graph.

Encodes the real test set's questions of up to 300 characters (what the load
benchmark sends) with each encoder in turn, for several rounds, in one process,
and prints the median CPU milliseconds an encoding. With ``--against TREE``
(a checkout of another commit, e.g. from ``git worktree add``) it times this
tree's int8 graph against the int8 graph that tree's ``components/encoder_onnx.py``
builds from the same weights: a change of the graph, measured in one run.

usage: python -m benchmarks.encoder_speed [--against TREE] [--rounds 8]
       [--runtimes onnxruntime-int8,onnxruntime,numpy]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy as np

from benchmarks.load.__main__ import REALWORLD
from benchmarks.load.visitors import load_questions
from components import encoder_onnx
from components.sentence_encoder import SentenceEncoder

Forward = Callable[[np.ndarray], np.ndarray]


def graph_of(tree: Path, reference: SentenceEncoder) -> Forward:
    """The int8 graph that ``tree``'s encoder module builds from the same weights."""
    path = tree / "components" / "encoder_onnx.py"
    spec = importlib.util.spec_from_file_location("other_encoder_onnx", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not found")
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    graph = other.build_graph(reference.w, reference.layers, reference.heads)
    return encoder_onnx.OnnxForward(other.quantize(graph))


def timed(
    forwards: Dict[str, Forward], ids: Sequence[np.ndarray], rounds: int
) -> Dict[str, float]:
    """Median CPU ms an encoding of each forward pass, the passes taking turns."""
    spent: Dict[str, List[float]] = {name: [] for name in forwards}
    for forward in forwards.values():  # warm-up
        for sequence in ids[:50]:
            forward(sequence)
    for _ in range(rounds):
        for name, forward in forwards.items():
            started = time.process_time()
            for sequence in ids:
                forward(sequence)
            spent[name].append(1000 * (time.process_time() - started) / len(ids))
    return {name: statistics.median(values) for name, values in spent.items()}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=REALWORLD)
    parser.add_argument("--against", type=Path, help="another checkout to time")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runtimes", default="onnxruntime-int8")
    args = parser.parse_args(argv)
    reference = SentenceEncoder.load(runtime="numpy")
    texts = load_questions(args.questions)
    ids = [
        np.array(
            [
                reference.tokenizer.cls_id,
                *(piece.id for piece in reference.tokenizer.tokenize(text)),
                reference.tokenizer.sep_id,
            ]
        )
        for text in texts
    ]
    forwards: Dict[str, Forward] = {}
    for runtime in args.runtimes.split(","):
        forwards[f"{runtime} (this tree)"] = (
            reference._forward
            if runtime == "numpy"
            else SentenceEncoder.load(runtime=runtime)._run
        )
    if args.against:
        forwards[f"onnxruntime-int8 ({args.against})"] = graph_of(
            args.against, reference
        )
    print(
        f"{len(ids)} texts of {args.questions.name}, "
        f"{np.mean([len(i) for i in ids]):.1f} word pieces on average, "
        f"{args.rounds} rounds"
    )
    for name, ms in timed(forwards, ids, args.rounds).items():
        print(f"  {name}: {ms:.3f} ms CPU an encoding (median of rounds)")


if __name__ == "__main__":
    main()
