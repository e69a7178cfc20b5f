"""Build the offline spaCy pipeline the Rasa model loads (no download needed).

A blank English pipeline with spaCy's lookup lemmatizer (tables from the
``spacy-lookups-data`` package), saved to ``build/spacy_en``.

usage: python scripts/build_spacy_model.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy


def build(output: Path) -> None:
    """Create and save the pipeline."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "medspa_en"
    nlp.meta["description"] = "Blank English pipeline with a lookup lemmatizer"
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    print(f"spaCy pipeline saved to {output}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy_en"))
