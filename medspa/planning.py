"""Decide what kind of reply a visitor's turn gets (pure logic, no Rasa objects).

A :class:`Turn` is what the visitor said (intent, text, names found) and what
the conversation remembers (treatment, compared treatments, a pending topic).
A :class:`Plan` is the reply's kind and its subject, as in the contract.
"""

from __future__ import annotations

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
from medspa.cues import default_cues
from medspa.sentences import focus

ASK_OVERVIEW = topic_intent("overview")


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
    declined: Tuple[str, ...] = ()
    """Such treatments the visitor rules out: "alternatives to fillers"."""
    remembered: Optional[str] = None
    compared: Tuple[str, ...] = ()
    pending_topic: Optional[str] = None
    last_topic: Optional[str] = None
    ranking: Tuple[str, ...] = ()
    """Every intent the NLU considered, most likely first."""
    reported: bool = False
    """The NLU's safety classifier read the message as a report of a problem."""
    report_score: Optional[float] = None
    """The safety classifier's score for a report (None: it did not run)."""
    problem_open: bool = False
    """The conversation's last answer was safety advice about a reported problem."""
    intent_confidence: float = 1.0
    """How sure the NLU is of ``intent``."""
    other_intent: Optional[str] = None
    """The intent of a long post's other question (its body's, beside its title's)."""
    vague: Tuple[str, ...] = ()
    """Treatments a generic word may mean ("laser"): none of them is named."""
    off_topic: float = 0.0
    """The NLU's probability that the message is off-topic (its ``out_of_scope``)."""


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


# After safety advice, a question about looking after the problem ("should I
# put ice on it?", "how long will it last?") is about that problem, not an FAQ.
SAFETY_FOLLOW_UP_INTENTS = frozenset(
    {
        topic_intent("aftercare"),
        topic_intent("downtime"),
        topic_intent("side_effects"),
        topic_intent("pain"),
        Intent.REPORT_PROBLEM,
        Intent.OUT_OF_SCOPE,
        Intent.NLU_FALLBACK,
    }
)


def follows_up_problem(turn: Turn) -> bool:
    """Whether the turn goes on about a problem the visitor just reported."""
    return (
        turn.problem_open
        and turn.intent in SAFETY_FOLLOW_UP_INTENTS
        and not turn.others
    )


# The NLU's ``report_problem`` intent is a report only when the classifier is
# at least this sure of it: below, a story that merely sounds like one ("what
# will my skin look like after?") is answered as the question it asks, unless
# the safety classifier or the cues read a report. Chosen by two-fold
# cross-validation on tests/realworld/dev.yml (benchmarks/cross_validate.py):
# the same reports found, 4 fewer false alarms in 312 questions.
REPORT_INTENT_MIN_CONFIDENCE = 0.4

# ... and only when the safety classifier, built for recall, does not all but
# rule a report out: "I spaced my 3rd E-matrix treatment 11 weeks from the 2nd,
# was it wasted?" gets the intent but a score of 0.02. Chosen by two-fold
# cross-validation on tests/realworld/dev.yml: 3 fewer false alarms in 1,319
# questions; the 2 reports the intent alone found scored 0.32 and 0.34.
REPORT_INTENT_MIN_SCORE = 0.1


def safety_plan(turn: Turn, reported_by_nlu: bool = False) -> Optional[Plan]:
    """A safety plan when the visitor reports a problem, else None.

    A report is read by the cue vocabulary (:func:`medspa.safety.assess`), by
    the NLU (its ``report_problem`` intent, if sure enough, not all but ruled
    out by the safety classifier's score, and the message does more than ask;
    and its safety classifier), or is a follow-up about the problem reported
    just before.
    """
    severity = by_cues = safety.assess(turn.text)
    considers = safety.only_considers(turn.text)
    reported_by_nlu = (
        reported_by_nlu
        and turn.intent_confidence >= REPORT_INTENT_MIN_CONFIDENCE
        and (turn.report_score is None or turn.report_score >= REPORT_INTENT_MIN_SCORE)
        and not safety.only_asks(turn.text)
        and not considers
    )
    reported_by_classifier = turn.reported and not considers
    if severity is None and (
        reported_by_nlu or reported_by_classifier or follows_up_problem(turn)
    ):
        severity = (
            safety.Severity.EMERGENCY
            if safety.tells_of_emergency(turn.text)
            else safety.Severity.PROBLEM
        )
    if severity is None:
        return None
    # no symptom the cues know ("4 days out and peeling, is that normal?"):
    # the advice may quote the article on the usual recovery (topic downtime)
    topic = (
        "downtime"
        if by_cues is None and severity is not safety.Severity.EMERGENCY
        else None
    )
    # a problem after a treatment the clinic does not give ("droop after my
    # Botox"): the advice sends the visitor to whoever treated them first; not
    # when a treatment the clinic may have given is named too, or a word for
    # one ("after the laser")
    if turn.others and not turn.treatments and not turn.vague:
        other = turn.others[0]
        return Plan(
            Kind.SAFETY, topic, other=other, severity=severity, intent=turn.intent
        )
    treatment = turn.treatments[:1] or ((turn.remembered,) if turn.remembered else ())
    return Plan(Kind.SAFETY, topic, treatment, severity=severity, intent=turn.intent)


def not_offered_plan(turn: Turn) -> Optional[Plan]:
    """Out of scope when the message names only treatments the articles don't cover.

    "Do you do Botox?" or "laser hair removal prices" must not be answered
    from the knowledge base of a treatment that merely sounds alike, nor of
    the treatment the conversation was about. A procedure the visitor rules out
    counts too when the message asks about nothing else.
    """
    if turn.others and not turn.treatments:
        return Plan(Kind.OUT_OF_SCOPE, other=turn.others[0], intent=turn.intent)
    if turn.declined and not (
        turn.treatments
        or turn.vague
        or turn.concerns
        or turn.remembered
        or turn.compared
    ):
        # "Who should not have M22?", "alternatives to Laser360?" ("I don't want
        # Botox, what helps wrinkles?" asks about wrinkles instead)
        return Plan(Kind.OUT_OF_SCOPE, other=turn.declined[0], intent=turn.intent)
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
        turn.intent == ASK_OVERVIEW
        and turn.last_topic
        and default_cues().has("follow_up", turn.text)
    ):
        # "what about morpheus8?" asks the last question again for a new treatment
        topic = turn.last_topic or "overview"
    elif turn.intent == Intent.ASK_RECOMMENDATION:
        topic = "concerns"
    if topic is None:
        return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)

    if topic == "comparison":
        # "microneedling or laser?": every treatment the generic word may mean
        mentioned = (*mentioned, *(t for t in turn.vague if t not in mentioned))
        if len(mentioned) == 1 and turn.remembered and turn.remembered != mentioned[0]:
            mentioned = (turn.remembered, *mentioned)
        treatments = mentioned or turn.compared or TREATMENT_IDS
        return Plan(Kind.COMPARE, topic, treatments, concern, area, intent=turn.intent)
    if len(mentioned) >= 2:
        # without a comparison word ("vs", "or", "which"...) the first named is
        # the subject: "can RF microneedling be done on dark skin? a laser left marks"
        # (in a long post, in the question it asks, not in its story)
        if (
            default_cues().has("comparison", focus(turn.text))
            or turn.intent == Intent.INFORM_TREATMENT
        ):
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
    if not mentioned and turn.vague and turn.remembered not in turn.vague:
        # "does the laser hurt?" names no treatment: ask which one it means
        return Plan(Kind.CLARIFY, topic, turn.vague, intent=turn.intent)
    if treatment is None:
        if topic == "concerns":
            return Plan(
                Kind.RECOMMEND, topic, concern=concern, area=area, intent=turn.intent
            )
        return Plan(Kind.CLARIFY, topic, intent=turn.intent)
    return Plan(Kind.KB, topic, (treatment,), concern, area, intent=turn.intent)


def clinic_visit_plan(turn: Turn, plan: Plan) -> Plan:
    """The team's contacts for a question about visiting the clinic itself.

    "How long does a consultation take?" or "do you offer payment plans?"
    names no treatment: asking which treatment it means (``clarify``) or
    calling it out of scope helps less than a handoff to the clinic's team.
    Any other plan is kept, so is the honest reply about a named procedure
    the clinic does not give.
    """
    if (
        plan.kind in (Kind.CLARIFY, Kind.OUT_OF_SCOPE)
        and plan.other is None
        and default_cues().has("clinic_visit", turn.text)
    ):
        return Plan(Kind.HANDOFF, intent=turn.intent)
    return plan


def definition_plan(turn: Turn, plan: Plan) -> Plan:
    """Out of scope for a question about what a word means, not about a treatment.

    "What is cellulite?" or "what is teledermatology?" names no treatment and
    no word that stands for one ("it", "the treatment", "this procedure"):
    asking which treatment it means would not help; the honest reply is that
    the assistant answers about the clinic's treatments. The words are the
    ``definition`` and ``treatment_reference`` cues.
    """
    cues = default_cues()
    if (
        plan.kind == Kind.CLARIFY
        and plan.topic == "overview"
        and not turn.vague
        and cues.has("definition", turn.text)
        and not cues.has("treatment_reference", turn.text)
    ):
        return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
    return plan


def other_care_plan(turn: Turn, plan: Plan) -> Plan:
    """Out of scope for a question about care the clinic does not give.

    "Is Accutane safe?" or "will the surgery leave a scar?" names no treatment:
    it asks about a medicine or an operation, so asking which treatment it
    means would not help. Only a ``clarify`` plan turns, and only where no word
    of the message stands for a treatment ("should I stop Accutane before the
    treatment?") or ties the care to one left unnamed ("should I stop Accutane
    before?"). A long post is read for what it asks (its title question): "Can
    I use Retin-A while I'm pregnant? I worry about everything I use..." The
    words are the ``other_care``, ``treatment_reference`` and
    ``treatment_timing`` cues.

    A condition the articles name no treatment for (the ``other_condition``
    cues: stretch marks, rosacea...) turns such a ``clarify`` plan too, and a
    recommendation that found no concern it could name ("How can I get rid of
    stretch marks?") or the list of treatments ("do you treat rosacea?").
    """
    if turn.vague or turn.treatments:
        return plan
    cues, text = default_cues(), focus(turn.text)
    if (plan.kind == Kind.RECOMMEND and not (plan.concern or plan.area)) or (
        plan.kind == Kind.LIST
    ):
        if cues.has("other_condition", text):
            return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
        return plan
    if plan.kind != Kind.CLARIFY:
        return plan
    found = cues.found(
        text,
        {"other_care", "other_condition", "treatment_reference", "treatment_timing"},
    )
    if found and found <= {"other_care", "other_condition"}:
        return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
    return plan


OFF_TOPIC_DOUBT = 0.35
"""The NLU's off-topic probability from which a question naming nothing is off-topic.

Chosen by two-fold cross-validation on the real dev questions
(``python -m benchmarks.cross_validate``; README, "Choices worth knowing").
"""


def off_topic_plan(turn: Turn, plan: Plan) -> Plan:
    """Out of scope for a question that names nothing and may well be off-topic.

    "Does moderate acne cause scarring?" or "will sunlight improve acne?" reads
    as a question about a topic (side effects, what a treatment treats), and
    names no treatment and no concern: asking which treatment it means, or
    which concern, fits a visitor who left the name out ("is there downtime?"),
    not one asking about something else. When the NLU gives the message at
    least :data:`OFF_TOPIC_DOUBT` of being off-topic, the honest reply is what
    the assistant answers about (the out-of-scope reply names the treatments,
    so the visitor can still ask about one). Not when a word of the question
    stands for a treatment left unnamed ("what are its benefits?", "does the
    procedure hurt?": the ``treatment_reference`` cues), nor in a conversation
    about one.
    """
    unnamed = not (turn.treatments or turn.vague or turn.remembered)
    unsure = plan.kind == Kind.CLARIFY or (
        plan.kind == Kind.RECOMMEND and not (plan.concern or plan.area)
    )
    if (
        unnamed
        and unsure
        and turn.off_topic >= OFF_TOPIC_DOUBT
        and not default_cues().has("treatment_reference", focus(turn.text))
    ):
        return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
    return plan


def offer_plan(turn: Turn, plan: Plan) -> Optional[Plan]:
    """The other question of a long post, to offer after answering the main one.

    "Is Fraxel painful? ... How long is the downtime?" is answered for pain,
    and the downtime answer about the same treatment is offered. Only after a
    ``kb`` answer, and only for a different topic.
    """
    topic = topic_of_intent(turn.other_intent or "")
    if plan.kind != Kind.KB or topic in (None, "comparison", plan.topic):
        return None
    return Plan(Kind.KB, topic, plan.treatments, intent=turn.other_intent or "")


def decline_plan(plan: Plan) -> Optional[Plan]:
    """After safety advice about a procedure the clinic does not give, its decline.

    "Risk of being unable to swallow after Botox in the neck?" may report a
    problem or only ask about one: the advice to contact whoever gave the
    Botox comes first, then the honest word that the clinic does not offer it,
    so the assistant answers nothing about it. Not after emergency advice:
    emergency care is all that message says.
    """
    if (
        plan.kind != Kind.SAFETY
        or plan.other is None
        or plan.severity is safety.Severity.EMERGENCY
    ):
        return None
    return Plan(Kind.OUT_OF_SCOPE, other=plan.other, intent=plan.intent)


def plan_unsure_report(turn: Turn) -> Plan:
    """A message the NLU thought, unsure, a report, and nothing else did.

    It is answered as the question the NLU ranked highest.
    """
    return plan_question(_as_question(turn))


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
    if turn.treatments or turn.vague:
        return plan_question(_as_question(turn))
    return Plan(Kind.OUT_OF_SCOPE, intent=turn.intent)
