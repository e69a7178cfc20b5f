"""The fixed interface of ../shared/contract.md: ids and the ``answer`` metadata."""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Sequence

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


class Kind(str, enum.Enum):
    """The reply kinds of the contract (``answer["kind"]``)."""

    KB = "kb"
    COMPARE = "compare"
    RECOMMEND = "recommend"
    LIST = "list"
    CLARIFY = "clarify"
    SAFETY = "safety"
    OUT_OF_SCOPE = "out_of_scope"
    HANDOFF = "handoff"
    CHITCHAT = "chitchat"


KINDS = tuple(kind.value for kind in Kind)

# Kinds whose reply must contain the disclaimer to consult a qualified practitioner.
CONTENT_KINDS = (Kind.KB.value, Kind.COMPARE.value, Kind.RECOMMEND.value)


class Intent:
    """The NLU's intents besides the topic questions (``ask_<topic>``).

    ``domain.yml``, ``data/rules.yml`` and the NLU data are checked against
    :data:`INTENTS` by ``tests/unit/test_copies.py``.
    """

    INFORM_TREATMENT = "inform_treatment"
    ASK_RECOMMENDATION = "ask_recommendation"
    LIST_TREATMENTS = "list_treatments"
    REPORT_PROBLEM = "report_problem"
    HANDOFF = "handoff"
    OUT_OF_SCOPE = "out_of_scope"
    GREET = "greet"
    GOODBYE = "goodbye"
    THANK = "thank"
    BOT_CHALLENGE = "bot_challenge"
    NLU_FALLBACK = "nlu_fallback"
    """Set by Rasa's FallbackClassifier, not trained."""


TOPIC_INTENT_PREFIX = "ask_"


def topic_intent(topic: str) -> str:
    """The intent asking about a contract topic: ``ask_<topic>``."""
    return f"{TOPIC_INTENT_PREFIX}{topic}"


def topic_of_intent(intent: str) -> Optional[str]:
    """The contract topic an ``ask_<topic>`` intent asks about."""
    topic = intent[len(TOPIC_INTENT_PREFIX) :]
    if intent.startswith(TOPIC_INTENT_PREFIX) and topic in TOPIC_IDS:
        return topic
    return None


TOPIC_INTENTS = tuple(topic_intent(topic) for topic in TOPIC_IDS)
# intents answered as a question about the treatments besides the topic intents
QUESTION_INTENTS = (Intent.INFORM_TREATMENT, Intent.ASK_RECOMMENDATION)
SMALL_TALK_INTENTS = (Intent.GREET, Intent.GOODBYE, Intent.THANK, Intent.BOT_CHALLENGE)
# every intent the NLU is trained on, in domain.yml's order
INTENTS = (
    *TOPIC_INTENTS,
    *QUESTION_INTENTS,
    Intent.LIST_TREATMENTS,
    Intent.REPORT_PROBLEM,
    Intent.HANDOFF,
    Intent.OUT_OF_SCOPE,
    *SMALL_TALK_INTENTS,
)

Answer = Dict[str, Any]


def kb_answer(
    treatment: str, topic: str, covered: bool, sources: Sequence[str]
) -> Answer:
    """One treatment, one topic, answered from the knowledge base."""
    return {
        "kind": Kind.KB.value,
        "treatment": treatment,
        "topic": topic,
        "covered": covered,
        "sources": list(sources),
    }


def compare_answer(treatments: Sequence[str], topic: str) -> Answer:
    """Treatments compared on a topic."""
    return {"kind": Kind.COMPARE.value, "treatments": list(treatments), "topic": topic}


def recommend_answer(concern: Optional[str], treatments: Sequence[str]) -> Answer:
    """Treatments suggested for a concern or goal."""
    return {
        "kind": Kind.RECOMMEND.value,
        "concern": concern,
        "treatments": list(treatments),
    }


def list_answer(treatments: Sequence[str]) -> Answer:
    """The treatments offered."""
    return {"kind": Kind.LIST.value, "treatments": list(treatments)}


def clarify_answer(topic: str) -> Answer:
    """The treatment is needed and unknown: the bot asks which one."""
    return {"kind": Kind.CLARIFY.value, "topic": topic}


def plain_answer(kind: Kind) -> Answer:
    """A reply kind without further fields (safety, out_of_scope, handoff, chitchat)."""
    return {"kind": Kind(kind).value}
