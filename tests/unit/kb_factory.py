"""A small valid knowledge base, built in code, for validation tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

import yaml

from medspa.contract import TOPIC_IDS, TREATMENT_IDS

SOURCE = "000_759101bf7af3e74c.txt"


def minimal_kb() -> Dict[str, Any]:
    """A knowledge base where every treatment covers only its overview."""
    topics = {t: ({"covered": False}) for t in TOPIC_IDS}
    treatments = {}
    for i, tid in enumerate(TREATMENT_IDS):
        entries = copy.deepcopy(topics)
        entries["overview"] = {"answer": f"{tid} answer.", "evidence": [f"{tid} quote"]}
        treatments[tid] = {
            "name": tid.replace("_", " ").title(),
            "source": SOURCE,
            "synonyms": [tid.replace("_", " "), f"brand{i}"],
            "concerns": ["wrinkles"] if i % 2 == 0 else [],
            "areas": ["neck"],
            "topics": entries,
        }
    return {
        "topics": {t: t.replace("_", " ") for t in TOPIC_IDS},
        "concerns": {
            "wrinkles": {"name": "wrinkles", "synonyms": ["wrinkles", "lines"]}
        },
        "areas": {"neck": {"name": "neck", "synonyms": ["neck"]}},
        "treatments": treatments,
    }


def write_kb(path: Path, data: Any) -> Path:
    """Write ``data`` as a YAML knowledge base file."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path
