"""The fixed interface of ../shared/contract.md: ids and the ``answer`` metadata."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

TREATMENT_IDS = (
    "thermage",
    "laser_skin_tightening",
    "microneedling",
    "rf_microneedling",
    "infrared_laser",
    "mesotherapy",
)

TOPIC_IDS = (
    "overview",
    "mechanism",
    "pain",
    "procedure_time",
    "downtime",
    "side_effects",
    "results_timeline",
    "results_duration",
    "sessions",
    "aftercare",
    "preparation",
    "candidates",
    "areas",
    "concerns",
    "cost",
    "comparison",
)

KINDS = (
    "kb",
    "compare",
    "recommend",
    "list",
    "clarify",
    "safety",
    "out_of_scope",
    "handoff",
    "chitchat",
)

# Kinds whose reply must contain the disclaimer to consult a qualified practitioner.
CONTENT_KINDS = ("kb", "compare", "recommend")

Answer = Dict[str, Any]


def kb_answer(
    treatment: str, topic: str, covered: bool, sources: Sequence[str]
) -> Answer:
    """One treatment, one topic, answered from the knowledge base."""
    return {
        "kind": "kb",
        "treatment": treatment,
        "topic": topic,
        "covered": covered,
        "sources": list(sources),
    }


def compare_answer(treatments: Sequence[str], topic: str) -> Answer:
    """Treatments compared on a topic."""
    return {"kind": "compare", "treatments": list(treatments), "topic": topic}


def recommend_answer(concern: Optional[str], treatments: Sequence[str]) -> Answer:
    """Treatments suggested for a concern or goal."""
    return {"kind": "recommend", "concern": concern, "treatments": list(treatments)}


def list_answer(treatments: Sequence[str]) -> Answer:
    """The treatments offered."""
    return {"kind": "list", "treatments": list(treatments)}


def clarify_answer(topic: str) -> Answer:
    """The treatment is needed and unknown: the bot asks which one."""
    return {"kind": "clarify", "topic": topic}


def plain_answer(kind: str) -> Answer:
    """A reply kind without further fields (safety, out_of_scope, handoff, chitchat)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}")
    return {"kind": kind}


def answers_of(events: List[Dict[str, Any]]) -> List[Answer]:
    """The ``answer`` objects of the bot events in a list of tracker events."""
    return [
        e["metadata"]["answer"]
        for e in events
        if e.get("event") == "bot" and (e.get("metadata") or {}).get("answer")
    ]
