"""What reading a long message's windows costs: pooled from one reading, or each read.

The safety classifier reads a long message a window of sentences at a time
(``components/safety_classifier.py``). It encodes the message once and pools
each window's embedding from that reading; the alternative, kept here for
comparison, encodes every window on its own. Both are timed in one process on
the same texts (the real test set's by default), for short (up to 300
characters, as the load benchmark sends) and long messages.

usage: python -m benchmarks.window_encoding [--questions FILE] [--rounds 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import yaml

from benchmarks.load.__main__ import REALWORLD
from components.safety_classifier import SafetyClassifier, Window
from components.sentence_encoder import shared_encoder

Reader = Callable[[str, List[Window]], List[np.ndarray]]


def each_encoded(text: str, parts: List[Window]) -> List[np.ndarray]:
    """The whole text and every window, each encoded on its own."""
    encoder = shared_encoder()
    return [encoder.encode(t).sentence for t in (text, *(p.text for p in parts))]


def timings(
    readers: Dict[str, Reader],
    messages: Sequence[Tuple[str, List[Window]]],
    rounds: int,
) -> Dict[str, float]:
    """The best of ``rounds`` mean times per message (ms), reader by reader."""
    best = {name: float("inf") for name in readers}
    for _ in range(rounds):
        for name, read in readers.items():
            start = time.perf_counter()
            for text, parts in messages:
                read(text, parts)
            spent = (time.perf_counter() - start) / max(len(messages), 1) * 1000
            best[name] = min(best[name], spent)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    """Print the time per message with windows, both ways."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=REALWORLD)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    classifier = SafetyClassifier(SafetyClassifier.get_default_config(), None, None)  # type: ignore[arg-type]
    texts = [str(q["text"]) for q in yaml.safe_load(args.questions.read_text())]
    readers: Dict[str, Reader] = {
        "pooled from one encoding": classifier._embeddings_of,
        "each window encoded": each_encoded,
    }
    for label, chosen in (
        ("up to 300 characters", [t for t in texts if len(t) <= 300]),
        ("longer", [t for t in texts if len(t) > 300]),
    ):
        messages = [(t, classifier._windows(t)) for t in chosen]
        messages = [(t, parts) for t, parts in messages if parts]
        timings(readers, messages[:5], 1)  # warm up
        found = timings(readers, messages, args.rounds)
        figures = ", ".join(f"{name} {ms:.1f}" for name, ms in found.items())
        print(
            f"{label}: {len(chosen)} messages, {len(messages)} with windows; "
            f"ms per message with windows: {figures}"
        )


if __name__ == "__main__":
    main()
