"""Decide what kind of reply a visitor's turn gets (pure logic, no Rasa objects).

A :class:`Turn` is what the visitor said (intent, text, names found) and what
the conversation remembers (treatment, compared treatments, a pending topic).
A :class:`Plan` is the reply's kind and its subject, as in the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Tuple

from medspa import safety
from medspa.contract import TOPIC_IDS, TREATMENT_IDS
from medspa.cues import default_cues

# answered by plan_question besides the ask_<topic> intents
QUESTION_INTENTS = ("inform_treatment", "ask_recommendation")
TOPIC_INTENT_PREFIX = "ask_"


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

    kind: str
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


def topic_of_intent(intent: str) -> Optional[str]:
    """The contract topic an ``ask_<topic>`` intent asks about."""
    if (
        intent.startswith(TOPIC_INTENT_PREFIX)
        and intent[len(TOPIC_INTENT_PREFIX) :] in TOPIC_IDS
    ):
        return intent[len(TOPIC_INTENT_PREFIX) :]
    return None


def safety_plan(turn: Turn, reported_by_nlu: bool = False) -> Optional[Plan]:
    """A safety plan when the visitor reports a problem, else None."""
    severity = safety.assess(turn.text)
    if severity is None and reported_by_nlu:
        severity = safety.Severity.PROBLEM
    return Plan("safety", severity=severity, intent=turn.intent) if severity else None


def not_offered_plan(turn: Turn) -> Optional[Plan]:
    """Out of scope when the message names only treatments the articles don't cover.

    "Do you do Botox?" or "laser hair removal prices" must not be answered
    from the knowledge base of a treatment that merely sounds alike, nor of
    the treatment the conversation was about.
    """
    if turn.others and not turn.treatments:
        return Plan("out_of_scope", other=turn.others[0], intent=turn.intent)
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
        and turn.intent in ("inform_treatment", "ask_overview")
    ):
        topic = turn.pending_topic
    elif turn.intent == "inform_treatment" or (
        turn.intent == "ask_overview"
        and turn.last_topic
        and default_cues().has("follow_up", turn.text)
    ):
        # "what about morpheus8?" asks the last question again for a new treatment
        topic = turn.last_topic or "overview"
    elif turn.intent == "ask_recommendation":
        topic = "concerns"
    if topic is None:
        return Plan("out_of_scope", intent=turn.intent)

    if topic == "comparison":
        if len(mentioned) == 1 and turn.remembered and turn.remembered != mentioned[0]:
            mentioned = (turn.remembered, *mentioned)
        treatments = mentioned or turn.compared or TREATMENT_IDS
        return Plan("compare", topic, treatments, concern, area, intent=turn.intent)
    if len(mentioned) >= 2:
        # without a comparison word ("vs", "or", "which"...) the first named is
        # the subject: "can RF microneedling be done on dark skin? a laser left marks"
        if (
            default_cues().has("comparison", turn.text)
            or turn.intent == "inform_treatment"
        ):
            return Plan("compare", topic, mentioned, concern, area, intent=turn.intent)
        mentioned = mentioned[:1]
    if not mentioned and turn.compared:
        return Plan("compare", topic, turn.compared, concern, area, intent=turn.intent)
    if turn.intent == "ask_recommendation" and not mentioned:
        return Plan(
            "recommend", "concerns", concern=concern, area=area, intent=turn.intent
        )

    treatment = mentioned[0] if mentioned else turn.remembered
    if treatment is None:
        if topic == "concerns":
            return Plan(
                "recommend", topic, concern=concern, area=area, intent=turn.intent
            )
        return Plan("clarify", topic, intent=turn.intent)
    return Plan("kb", topic, (treatment,), concern, area, intent=turn.intent)


def _question_intent(turn: Turn) -> str:
    """The likeliest question intent of the NLU's ranking (overview if none)."""
    for intent in turn.ranking:
        if intent == "list_treatments":  # "u offer thermage?" asks what it is
            return "ask_overview"
        if topic_of_intent(intent) or intent in QUESTION_INTENTS:
            return intent
    return "ask_overview"


def _as_question(turn: Turn) -> Turn:
    """The same turn, read as the question the NLU ranked highest."""
    return replace(turn, intent=_question_intent(turn))


def plan_list(turn: Turn) -> Plan:
    """The treatments offered; for a named concern, those that address it.

    "Anything you offer for thinning hair?" asks for a recommendation, and
    "is Titan something you do here?" for that treatment's overview.
    """
    if turn.concerns and not turn.treatments:
        return plan_question(replace(turn, intent="ask_recommendation"))
    if len(turn.treatments) == 1:
        return plan_question(replace(turn, intent="ask_overview"))
    return Plan("list", treatments=TREATMENT_IDS, intent=turn.intent)


def plan_chitchat(turn: Turn) -> Plan:
    """Small talk; a greeting that goes on to name a treatment is a question."""
    if turn.intent == "greet" and turn.treatments:
        return plan_question(_as_question(turn))
    return Plan("chitchat", intent=turn.intent)


def plan_out_of_scope(turn: Turn) -> Plan:
    """Out of scope, unless the message names one of the clinic's treatments.

    A message naming a treatment is about it even when the NLU could not
    place the question ("What's Titan? My friend had it done"): it gets the
    question the NLU ranked highest, or the overview.
    """
    if turn.treatments:
        return plan_question(_as_question(turn))
    return Plan("out_of_scope", intent=turn.intent)
