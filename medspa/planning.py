"""Decide what kind of reply a visitor's turn gets (pure logic, no Rasa objects).

A :class:`Turn` is what the visitor said (intent, text, names found) and what
the conversation remembers (treatment, compared treatments, a pending topic).
A :class:`Plan` is the reply's kind and its subject, as in the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from medspa import safety
from medspa.contract import (
    QUESTION_INTENTS,
    TREATMENT_IDS,
    Intent,
    Kind,
    topic_intent,
    topic_of_intent,
)

ASK_OVERVIEW = topic_intent("overview")

# Words that make a question naming several treatments a comparison; without
# them the first-named treatment is the subject ("can RF microneedling be done
# on dark skin? I had pigmentation from a laser before").
_COMPARISON_CUE = re.compile(
    r"\b(?:vs|versus|or|compared?|comparison|than|better|worse|best|difference|"
    r"differ|different|which|both|either|between|similar|more|less|cheaper)\b|/",
    re.IGNORECASE,
)
# "what about morpheus8?", "and for meso?", "same for thermage": the last
# question again, for another treatment.
_FOLLOW_UP = re.compile(
    r"^\W*(?:and\s+)?(?:what|how)\s+about\b|^\W*and\s+(?:for\s+|with\s+)?\w+\W*$"
    r"|\bsame\s+(?:for|with|question)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One visitor message and the conversation's memory before it."""

    intent: str
    text: str = ""
    treatments: Tuple[str, ...] = ()
    concerns: Tuple[str, ...] = ()
    areas: Tuple[str, ...] = ()
    others: Tuple[str, ...] = ()
    """Treatments named that the articles don't cover (knowledge base's not_offered)."""
    remembered: Optional[str] = None
    compared: Tuple[str, ...] = ()
    pending_topic: Optional[str] = None
    last_topic: Optional[str] = None
    ranking: Tuple[str, ...] = ()
    """Every intent the NLU considered, most likely first."""


@dataclass(frozen=True)
class Plan:
    """The reply to give: its contract kind and what it is about."""

    kind: Kind
    topic: Optional[str] = None
    treatments: Tuple[str, ...] = ()
    concern: Optional[str] = None
    area: Optional[str] = None
    other: Optional[str] = None
    severity: Optional[safety.Severity] = None
    intent: str = ""

    @property
    def treatment(self) -> Optional[str]:
        """The single treatment of a ``kb`` plan."""
        return self.treatments[0] if len(self.treatments) == 1 else None


def safety_plan(turn: Turn, reported_by_nlu: bool = False) -> Optional[Plan]:
    """A safety plan when the visitor reports a problem, else None."""
    severity = safety.assess(turn.text)
    if severity is None and reported_by_nlu:
        severity = safety.Severity.PROBLEM
    return (
        Plan(Kind.SAFETY, severity=severity, intent=turn.intent) if severity else None
    )


def not_offered_plan(turn: Turn) -> Optional[Plan]:
    """Out of scope when the message names only treatments the articles don't cover.

    "Do you do Botox?" or "laser hair removal prices" must not be answered
    from the knowledge base of a treatment that merely sounds alike, nor of
    the treatment the conversation was about.
    """
    if turn.others and not turn.treatments:
        return Plan(Kind.OUT_OF_SCOPE, other=turn.others[0], intent=turn.intent)
    return None


def plan_question(turn: Turn) -> Plan:
    """The plan for a question about treatments (topic, comparison, concern)."""
    mentioned = turn.treatments
    concern = turn.concerns[0] if turn.concerns else None
    area = turn.areas[0] if turn.areas else None
    topic = topic_of_intent(turn.intent)
    if (
        turn.pending_topic
        and mentioned
        and turn.intent in (Intent.INFORM_TREATMENT, ASK_OVERVIEW)
    ):
        topic = turn.pending_topic
    elif turn.intent == Intent.INFORM_TREATMENT or (
        turn.intent == ASK_OVERVIEW and turn.last_topic and _FOLLOW_UP.search(turn.text)
    ):
        # "what about morpheus8?" asks the last question again for a new treatment
        topic = turn.last_topic or "overview"
    elif turn.intent == Intent.ASK_RECOMMENDATION:
        topic = "concerns"
    if topic is None:
        return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)

    if topic == "comparison":
        if len(mentioned) == 1 and turn.remembered and turn.remembered != mentioned[0]:
            mentioned = (turn.remembered, *mentioned)
        treatments = mentioned or turn.compared or TREATMENT_IDS
        return Plan(Kind.COMPARE, topic, treatments, concern, area, intent=turn.intent)
    if len(mentioned) >= 2:
        if _COMPARISON_CUE.search(turn.text) or turn.intent == Intent.INFORM_TREATMENT:
            return Plan(
                Kind.COMPARE, topic, mentioned, concern, area, intent=turn.intent
            )
        mentioned = mentioned[:1]
    if not mentioned and turn.compared:
        return Plan(
            Kind.COMPARE, topic, turn.compared, concern, area, intent=turn.intent
        )
    if turn.intent == Intent.ASK_RECOMMENDATION and not mentioned:
        return Plan(
            Kind.RECOMMEND, "concerns", concern=concern, area=area, intent=turn.intent
        )

    treatment = mentioned[0] if mentioned else turn.remembered
    if treatment is None:
        if topic == "concerns":
            return Plan(
                Kind.RECOMMEND, topic, concern=concern, area=area, intent=turn.intent
            )
        return Plan(Kind.CLARIFY, topic, intent=turn.intent)
    return Plan(Kind.KB, topic, (treatment,), concern, area, intent=turn.intent)


def _question_intent(turn: Turn) -> str:
    """The likeliest question intent of the NLU's ranking (overview if none)."""
    for intent in turn.ranking:
        if intent == Intent.LIST_TREATMENTS:  # "u offer thermage?" asks what it is
            return ASK_OVERVIEW
        if topic_of_intent(intent) or intent in QUESTION_INTENTS:
            return intent
    return ASK_OVERVIEW


def _as_question(turn: Turn) -> Turn:
    """The same turn, read as the question the NLU ranked highest."""
    return replace(turn, intent=_question_intent(turn))


def plan_list(turn: Turn) -> Plan:
    """The treatments offered; for a named concern, those that address it.

    "Anything you offer for thinning hair?" asks for a recommendation, and
    "is Titan something you do here?" for that treatment's overview.
    """
    if turn.concerns and not turn.treatments:
        return plan_question(replace(turn, intent=Intent.ASK_RECOMMENDATION))
    if len(turn.treatments) == 1:
        return plan_question(replace(turn, intent=ASK_OVERVIEW))
    return Plan(Kind.LIST, treatments=TREATMENT_IDS, intent=turn.intent)


def plan_chitchat(turn: Turn) -> Plan:
    """Small talk; a greeting that goes on to name a treatment is a question."""
    if turn.intent == Intent.GREET and turn.treatments:
        return plan_question(_as_question(turn))
    return Plan(Kind.CHITCHAT, intent=turn.intent)


def plan_out_of_scope(turn: Turn) -> Plan:
    """Out of scope, unless the message names one of the clinic's treatments.

    A message naming a treatment is about it even when the NLU could not
    place the question ("What's Titan? My friend had it done"): it gets the
    question the NLU ranked highest, or the overview.
    """
    if turn.treatments:
        return plan_question(_as_question(turn))
    return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
