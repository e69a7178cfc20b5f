"""The rasa-sdk actions: read the turn, plan the reply, utter it, remember.

Every action first checks for a reported problem after a treatment, so a
safety message always wins, whatever the NLU made of it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Set

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from medspa.answers import Composer, Wording
from medspa.contract import TOPIC_IDS, TREATMENT_IDS, Intent, Kind
from medspa.knowledge_base import KnowledgeBase, KnowledgeBaseCache
from medspa.planning import (
    Plan,
    Turn,
    clinic_visit_plan,
    decline_plan,
    definition_plan,
    not_offered_plan,
    off_topic_plan,
    offer_plan,
    other_care_plan,
    plan_chitchat,
    plan_list,
    plan_out_of_scope,
    plan_question,
    plan_unsure_report,
    safety_plan,
)
from medspa.settings import get_settings
from medspa.text_matching import negated

logger = logging.getLogger(__name__)

SLOT_TREATMENT = "treatment"
SLOT_COMPARED = "compared"
SLOT_PENDING_TOPIC = "pending_topic"
SLOT_LAST_TOPIC = "last_topic"
# the NLU's safety classifier (components/safety_classifier.py) sets this key
SAFETY_KEY = "safety"
# ... and its second-question reader (components/second_question.py) this one
OTHER_QUESTION = "other_question"
# replies that leave a reported problem open: small talk, the clinic's contacts
_KEEPS_PROBLEM_OPEN = (Kind.CHITCHAT, Kind.HANDOFF)

_cache: Optional[KnowledgeBaseCache] = None


def knowledge_base() -> KnowledgeBase:
    """The knowledge base of the settings' file, re-read when it changes."""
    global _cache
    path = get_settings().knowledge_base_path
    if _cache is None or _cache.path != path:
        _cache = KnowledgeBaseCache(path)
    return _cache.get()


def _entity_values(
    tracker: Tracker,
    entity: str,
    allowed: Optional[tuple] = None,
    negation: Optional[bool] = None,
) -> tuple:
    """Distinct values of one entity in the latest message, in order.

    With ``negation`` False, a name ruled out by the words before it ("I don't
    want Botox") is left out; with True, only such names are kept.
    """
    text = tracker.latest_message.get("text") or ""
    values: List[str] = []
    for found in tracker.latest_message.get("entities") or []:
        value = found.get("value")
        if found.get("entity") != entity or not isinstance(value, str):
            continue
        start = found.get("start")
        if negation is not None and isinstance(start, int):
            if negated(text, start) is not negation:
                continue
        if (allowed is None or value in allowed) and value not in values:
            values.append(value)
    return tuple(values)


def problem_open(tracker: Tracker) -> bool:
    """Whether the last answer before this message was safety advice.

    Small talk and the clinic's contacts in between leave it open ("thanks"
    ... "should I put ice on it?"); any other answer closes it. An answer is
    all the bot said to one message: safety advice followed by a word on a
    procedure the clinic does not offer is still safety advice.
    """
    kinds: Set[str] = set()
    latest = True  # the visitor's latest message comes last: skip it
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if not latest and _closes_or_opens(kinds) is not None:
                return bool(_closes_or_opens(kinds))
            latest, kinds = False, set()
            continue
        answer = (event.get("metadata") or {}).get("answer") or {}
        if event.get("event") == "bot" and answer:
            kinds.add(str(answer.get("kind")))
    return bool(_closes_or_opens(kinds))


def _closes_or_opens(kinds: Set[str]) -> Optional[bool]:
    """True if an answer's kinds keep a problem open, False if they close it.

    None when they say nothing either way (small talk, contacts, no answer).
    """
    if Kind.SAFETY.value in kinds:
        return True
    return False if kinds - {kind.value for kind in _KEEPS_PROBLEM_OPEN} else None


def _confidence(message: Dict[str, Any]) -> float:
    """The NLU's confidence in the message's intent (1 for a button's payload)."""
    confidence = (message.get("intent") or {}).get("confidence")
    return float(confidence) if isinstance(confidence, (int, float)) else 1.0


def _confidence_of(ranking: List[Dict[str, Any]], intent: str) -> float:
    """The NLU's confidence in one intent of its ranking (0 if not ranked)."""
    for ranked in ranking:
        if ranked.get("name") == intent:
            confidence = ranked.get("confidence")
            return float(confidence) if isinstance(confidence, (int, float)) else 0.0
    return 0.0


def _other_intent(message: Dict[str, Any]) -> Optional[str]:
    """The intent of a long post's other question (``SecondQuestion``), if read."""
    other = message.get(OTHER_QUESTION)
    intent = other.get("intent") if isinstance(other, dict) else None
    return intent if isinstance(intent, str) else None


def read_turn(tracker: Tracker) -> Turn:
    """The visitor's latest message and what the conversation remembers."""
    message = tracker.latest_message or {}
    remembered = tracker.get_slot(SLOT_TREATMENT)
    pending = tracker.get_slot(SLOT_PENDING_TOPIC)
    last_topic = tracker.get_slot(SLOT_LAST_TOPIC)
    compared = tracker.get_slot(SLOT_COMPARED) or []
    safety = message.get(SAFETY_KEY)
    ranked = [r for r in message.get("intent_ranking") or [] if isinstance(r, dict)]
    ranking = tuple(
        str(r.get("name"))
        for r in ranked
        if r.get("name") and r.get("name") != "nlu_fallback"
    )
    return Turn(
        intent=((message.get("intent") or {}).get("name")) or "",
        intent_confidence=_confidence(message),
        other_intent=_other_intent(message),
        text=message.get("text") or "",
        treatments=_entity_values(tracker, "treatment", TREATMENT_IDS),
        concerns=_entity_values(tracker, "concern"),
        areas=_entity_values(tracker, "area"),
        others=_entity_values(tracker, "other_treatment", negation=False),
        declined=_entity_values(tracker, "other_treatment", negation=True),
        vague=_entity_values(tracker, "generic_treatment", TREATMENT_IDS),
        remembered=remembered if remembered in TREATMENT_IDS else None,
        compared=tuple(t for t in compared if t in TREATMENT_IDS),
        pending_topic=pending if pending in TOPIC_IDS else None,
        last_topic=last_topic if last_topic in TOPIC_IDS else None,
        ranking=ranking,
        off_topic=_confidence_of(ranked, Intent.OUT_OF_SCOPE),
        reported=isinstance(safety, dict) and safety.get("report") is True,
        report_score=_report_score(safety),
        problem_open=problem_open(tracker),
    )


def _report_score(safety: Any) -> Optional[float]:
    """The safety classifier's score in the message's ``safety`` entry, if any."""
    score = safety.get("score") if isinstance(safety, dict) else None
    return float(score) if isinstance(score, (int, float)) else None


def memory_events(plan: Plan) -> List[EventType]:
    """What the conversation remembers after a reply (context for the next turn)."""
    if plan.kind is Kind.KB:
        return [
            SlotSet(SLOT_TREATMENT, plan.treatment),
            SlotSet(SLOT_COMPARED, None),
            SlotSet(SLOT_PENDING_TOPIC, None),
            SlotSet(SLOT_LAST_TOPIC, plan.topic),
        ]
    if plan.kind is Kind.COMPARE:
        compared = list(plan.treatments) if 2 <= len(plan.treatments) <= 3 else None
        remembered = plan.treatments[:1] if len(plan.treatments) == 1 else []
        return [
            *(SlotSet(SLOT_TREATMENT, t) for t in remembered),
            SlotSet(SLOT_COMPARED, compared),
            SlotSet(SLOT_PENDING_TOPIC, None),
            SlotSet(SLOT_LAST_TOPIC, plan.topic),
        ]
    if plan.kind is Kind.CLARIFY:
        return [SlotSet(SLOT_PENDING_TOPIC, plan.topic)]
    if plan.kind is Kind.RECOMMEND:
        return [SlotSet(SLOT_PENDING_TOPIC, None)]
    return []


class ReplyAction(Action):
    """Base of every action answering a visitor: safety first, then its own plan."""

    action_name = ""
    reported_by_nlu = False
    # a message naming only treatments the articles don't cover is out of scope
    redirects_not_offered = True

    def name(self) -> str:
        """The action's name in domain.yml."""
        return self.action_name

    def plan(self, turn: Turn) -> Plan:
        """The reply this action gives when the visitor reports no problem."""
        raise NotImplementedError

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[EventType]:
        """Plan the reply to the latest message, utter it and update the memory."""
        turn = read_turn(tracker)
        plan = safety_plan(turn, self.reported_by_nlu)
        if plan is None and self.redirects_not_offered:
            plan = not_offered_plan(turn)
        if plan is None:
            plan = clinic_visit_plan(turn, self.plan(turn))
            plan = other_care_plan(turn, definition_plan(turn, plan))
            plan = off_topic_plan(turn, plan)
        composer = Composer(knowledge_base(), Wording(domain), get_settings().clinic)
        reply = composer.compose(plan)
        logger.info("reply %s to intent %s", reply.answer, turn.intent)
        replies = [reply]
        offered = offer_plan(turn, plan)
        if offered is not None:
            replies.append(composer.offer_reply(offered, reply))
        declined = decline_plan(plan)
        if declined is not None:
            replies.append(composer.decline_reply(declined))
        for message in replies:
            dispatcher.utter_message(
                response=message.response,
                buttons=message.buttons or None,
                answer=message.answer,
                **message.variables,
            )
        return memory_events(plan)


class ActionAnswerQuestion(ReplyAction):
    """A question about the treatments: a topic, a comparison or a concern."""

    action_name = "action_answer_question"

    def plan(self, turn: Turn) -> Plan:
        """Answer, compare, recommend or ask which treatment."""
        return plan_question(turn)


class ActionListTreatments(ReplyAction):
    """What treatments the clinic offers."""

    action_name = "action_list_treatments"

    def plan(self, turn: Turn) -> Plan:
        """The list of treatments (or what a named concern or treatment asks)."""
        return plan_list(turn)


class ActionSafety(ReplyAction):
    """A problem after a treatment: contact the clinic, or urgent care."""

    action_name = "action_safety"
    reported_by_nlu = True

    def plan(self, turn: Turn) -> Plan:
        """The NLU was unsure of the report and nothing else read one: answer it."""
        return plan_unsure_report(turn)


class ActionHandoff(ReplyAction):
    """Booking, contact details or a person."""

    action_name = "action_handoff"
    redirects_not_offered = False  # "can I book Botox?" still gets the contacts

    def plan(self, turn: Turn) -> Plan:
        """Hand over to the clinic's team."""
        return Plan(Kind.HANDOFF, intent=turn.intent)


class ActionChitchat(ReplyAction):
    """Greeting, thanks, goodbye, "are you a bot?"."""

    action_name = "action_chitchat"

    def plan(self, turn: Turn) -> Plan:
        """Small talk (or the question a greeting leads into)."""
        return plan_chitchat(turn)


class ActionOutOfScope(ReplyAction):
    """Not about these treatments, or not understood (NLU fallback)."""

    action_name = "action_out_of_scope"

    def plan(self, turn: Turn) -> Plan:
        """Say what the assistant can help with (or answer about a named treatment)."""
        return plan_out_of_scope(turn)
