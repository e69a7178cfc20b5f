"""Compose the replies of a plan from the knowledge base (no Rasa objects).

Wording lives in ``domain.yml``: a :class:`Reply` names the response to utter
and the variables to fill in. Pieces that must sit inside one message (the
disclaimer, the lines of a comparison) are filled from the domain's responses
through :class:`Wording`, so every sentence a visitor reads is in one file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from medspa import contract
from medspa.contract import Kind
from medspa.knowledge_base import KnowledgeBase
from medspa.planning import Plan
from medspa.safety import Severity
from medspa.settings import Clinic

_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")

CHITCHAT_RESPONSES = {
    contract.Intent.GREET: "utter_greet",
    contract.Intent.GOODBYE: "utter_goodbye",
    contract.Intent.THANK: "utter_thanks",
    contract.Intent.BOT_CHALLENGE: "utter_bot_challenge",
}


class Wording:
    """The texts of the domain's responses, filled like Rasa fills them."""

    def __init__(self, domain: Mapping[str, Any]) -> None:
        self._responses = domain.get("responses", {}) or {}

    def text(self, response: str, **values: Any) -> str:
        """The first variation of ``response`` with its placeholders filled.

        Raises:
            KeyError: the domain has no such response, or a placeholder has no value.

        """
        variations = self._responses.get(response)
        if not variations or not variations[0].get("text"):
            raise KeyError(f"domain.yml has no text response {response!r}")
        template = variations[0]["text"]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


@dataclass
class Reply:
    """One bot message: a domain response, its variables, buttons and metadata."""

    response: str
    answer: contract.Answer
    variables: Dict[str, Any] = field(default_factory=dict)
    buttons: List[Dict[str, str]] = field(default_factory=list)


def clinic_variables(clinic: Clinic) -> Dict[str, str]:
    """The clinic's contacts, as the domain's responses name them."""
    return {
        "clinic_name": clinic.name,
        "phone": clinic.phone,
        "email": clinic.email,
        "booking_url": clinic.booking_url,
        "opening_hours": clinic.opening_hours,
        "emergency_number": clinic.emergency_number,
    }


def safety_response(severity: Severity | None) -> str:
    """The safety response for a reported problem's severity."""
    return (
        "utter_safety_emergency" if severity is Severity.EMERGENCY else "utter_safety"
    )


def button_payload(intent: str, **entities: str) -> str:
    """A payload that Rasa reads as an intent with entities, without NLU."""
    return (
        f"/{intent}{json.dumps(entities, separators=(',', ':'))}"
        if entities
        else f"/{intent}"
    )


def _join(names: Sequence[str], wording: Wording) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return wording.text("utter_list_join", head=", ".join(names[:-1]), last=names[-1])


class Composer:
    """Turns plans into replies using one knowledge base, domain and clinic."""

    def __init__(self, kb: KnowledgeBase, wording: Wording, clinic: Clinic) -> None:
        self.kb = kb
        self.wording = wording
        self.clinic = clinic
        self._replies: Dict[Kind, Callable[[Plan], Reply]] = {
            Kind.KB: self.kb_reply,
            Kind.COMPARE: self.compare_reply,
            Kind.RECOMMEND: self.recommend_reply,
            Kind.LIST: self.list_reply,
            Kind.CLARIFY: self.clarify_reply,
            Kind.SAFETY: self.safety_reply,
            Kind.OUT_OF_SCOPE: self.out_of_scope_reply,
            Kind.HANDOFF: self.handoff_reply,
            Kind.CHITCHAT: self.chitchat_reply,
        }

    # -- helpers -----------------------------------------------------------

    def _disclaimer(self) -> str:
        return self.wording.text("utter_disclaimer")

    def _names(self, treatments: Sequence[str]) -> str:
        return _join([self.kb.treatments[t].name for t in treatments], self.wording)

    def _treatment_buttons(
        self, intent: str, only: Optional[Sequence[str]] = None
    ) -> List[Dict[str, str]]:
        return [
            {"title": t.name, "payload": button_payload(intent, treatment=t.id)}
            for t in self.kb.treatments.values()
            if only is None or t.id in only
        ]

    def _lead(self, plan: Plan, treatment: str) -> str:
        """A first sentence answering "does it treat X / can you do Y" directly."""
        t = self.kb.treatments[treatment]
        if plan.topic == "concerns" and plan.concern:
            listed = plan.concern in t.concerns
            name = self.kb.concerns[plan.concern].name
        elif plan.topic == "areas" and plan.area:
            listed = plan.area in t.areas
            name = self.kb.areas[plan.area].name
        else:
            return ""
        response = "utter_lead_listed" if listed else "utter_lead_not_listed"
        return self.wording.text(response, term=name, treatment_name=t.name) + " "

    # -- one method per contract kind -----------------------------------------

    def kb_reply(self, plan: Plan) -> Reply:
        """One treatment on one topic, honest where the knowledge base is silent."""
        treatment = self.kb.treatments[plan.treatments[0]]
        topic = plan.topic or "overview"
        entry = treatment.entries[topic]
        variables = {
            "lead": self._lead(plan, treatment.id),
            "treatment_name": treatment.name,
            "topic_label": self.kb.topic_labels[topic],
            "disclaimer": self._disclaimer(),
        }
        if entry.covered:
            variables.update(
                answer_text=entry.answer, source=self.kb.source_title(entry.source)
            )
            return Reply(
                "utter_kb_answer",
                contract.kb_answer(treatment.id, topic, True, [entry.source]),
                variables,
            )
        labels = [self.kb.topic_labels[t] for t in treatment.covered_topics()]
        variables["covered_topics"] = _join(labels, self.wording)
        return Reply(
            "utter_kb_not_covered",
            contract.kb_answer(treatment.id, topic, False, []),
            variables,
        )

    def compare_reply(self, plan: Plan) -> Reply:
        """Several treatments side by side on one topic."""
        topic = plan.topic or "comparison"
        lines = []
        for treatment_id in plan.treatments:
            treatment = self.kb.treatments[treatment_id]
            entry = treatment.entries[topic]
            if not entry.covered and topic == "comparison":
                entry = treatment.entries["overview"]
            if entry.covered:
                lines.append(
                    self.wording.text(
                        "utter_compare_line",
                        treatment_name=treatment.name,
                        answer_text=entry.answer,
                        source=self.kb.source_title(entry.source),
                    )
                )
            else:
                lines.append(
                    self.wording.text(
                        "utter_compare_line_missing", treatment_name=treatment.name
                    )
                )
        return Reply(
            "utter_compare",
            contract.compare_answer(plan.treatments, topic),
            {
                "topic_label": self.kb.topic_labels[topic],
                "treatment_names": self._names(plan.treatments),
                "comparison": "\n\n".join(lines),
                "disclaimer": self._disclaimer(),
            },
        )

    def recommend_reply(self, plan: Plan) -> Reply:
        """Treatments for a concern (or a body area) the visitor describes."""
        variables: Dict[str, Any] = {"disclaimer": self._disclaimer()}
        if plan.concern:
            term = self.kb.concerns[plan.concern]
            treatments = self.kb.treatments_for_concern(term.id)
        elif plan.area:
            term = self.kb.areas[plan.area]
            treatments = self.kb.treatments_for_area(term.id)
        else:
            variables["concern_names"] = _join(
                [c.name for c in self.kb.concerns.values()], self.wording
            )
            return Reply(
                "utter_recommend_unknown",
                contract.recommend_answer(None, []),
                variables,
            )
        variables["concern_name"] = term.name
        answer = contract.recommend_answer(plan.concern, treatments)
        if not treatments:
            return Reply("utter_recommend_none", answer, variables)
        variables["treatment_names"] = self._names(treatments)
        buttons = [
            {
                "title": self.kb.treatments[t].name,
                "payload": button_payload("ask_overview", treatment=t),
            }
            for t in treatments
        ]
        return Reply("utter_recommend", answer, variables, buttons)

    def clarify_reply(self, plan: Plan) -> Reply:
        """Ask which treatment the visitor means, with a button for each.

        The buttons are the treatments a generic word may mean ("laser"), if
        the plan has them, else every treatment.
        """
        topic = plan.topic or "overview"
        return Reply(
            "utter_ask_treatment",
            contract.clarify_answer(topic),
            {"topic_label": self.kb.topic_labels[topic]},
            self._treatment_buttons("inform_treatment", plan.treatments or None),
        )

    def list_reply(self, plan: Plan) -> Reply:
        """The treatments the assistant knows about."""
        ids = list(self.kb.treatments)
        return Reply(
            "utter_list_treatments",
            contract.list_answer(ids),
            {"treatment_names": self._names(ids)},
            self._treatment_buttons("ask_overview"),
        )

    def safety_reply(self, plan: Plan) -> Reply:
        """Advice to contact the clinic, or emergency care; never an FAQ answer.

        For a change after a named treatment that may be part of the usual
        recovery (the plan's topic), the advice quotes what the treatment's
        article says about it, and still says when to call. After a treatment
        the clinic does not give (the plan's ``other``), it sends the visitor
        to the practitioner who treated them, and to the clinic.
        """
        variables = clinic_variables(self.clinic)
        response = safety_response(plan.severity)
        elsewhere = self.kb.not_offered.get(plan.other or "")
        if plan.severity is Severity.EMERGENCY:
            pass  # emergency care first, whatever the treatment
        elif elsewhere is not None:
            response = "utter_safety_elsewhere"
            variables["other_name"] = elsewhere.name
        elif (
            plan.topic
            and plan.treatment
            and self.kb.entry(plan.treatment, plan.topic).covered
        ):
            entry = self.kb.entry(plan.treatment, plan.topic)
            response = "utter_safety_recovery"
            variables.update(
                treatment_name=self.kb.treatments[plan.treatment].name,
                recovery=entry.answer,
                source=self.kb.source_title(entry.source),
                disclaimer=self._disclaimer(),
            )
        return Reply(response, contract.plain_answer(Kind.SAFETY), variables)

    def handoff_reply(self, plan: Plan) -> Reply:
        """How to book or reach a person at the clinic."""
        return Reply(
            "utter_handoff",
            contract.plain_answer(Kind.HANDOFF),
            clinic_variables(self.clinic),
        )

    def chitchat_reply(self, plan: Plan) -> Reply:
        """Greeting, thanks, goodbye or "are you a bot?"."""
        response = CHITCHAT_RESPONSES.get(plan.intent, "utter_greet")
        return Reply(
            response,
            contract.plain_answer(Kind.CHITCHAT),
            {
                "clinic_name": self.clinic.name,
                "treatment_names": self._names(list(self.kb.treatments)),
            },
        )

    def out_of_scope_reply(self, plan: Plan) -> Reply:
        """Not about these treatments (or not understood)."""
        variables = {"treatment_names": self._names(list(self.kb.treatments))}
        other = self.kb.not_offered.get(plan.other or "")
        if other is not None:
            variables.update(
                other_name=other.name,
                clinic_name=self.clinic.name,
                phone=self.clinic.phone,
            )
            response = "utter_not_offered"
            nearest = self.kb.treatments.get(other.nearest or "")
            if nearest is not None:  # "... the closest I can tell you about is ..."
                variables["nearest_name"] = nearest.name
                response = "utter_not_offered_nearest"
            return Reply(response, contract.plain_answer(Kind.OUT_OF_SCOPE), variables)
        response = (
            "utter_default"
            if plan.intent == contract.Intent.NLU_FALLBACK
            else "utter_out_of_scope"
        )
        return Reply(response, contract.plain_answer(Kind.OUT_OF_SCOPE), variables)

    def decline_reply(self, plan: Plan) -> Reply:
        """After safety advice: the clinic does not offer the procedure named."""
        other = self.kb.not_offered[plan.other or ""]
        return Reply(
            "utter_not_offered_after_safety",
            contract.plain_answer(Kind.OUT_OF_SCOPE),
            {
                "other_name": other.name,
                "clinic_name": self.clinic.name,
                "treatment_names": self._names(list(self.kb.treatments)),
            },
        )

    def compose(self, plan: Plan) -> Reply:
        """The reply for any plan."""
        return self._replies[plan.kind](plan)

    def offer_reply(self, offered: Plan, answered: Reply) -> Reply:
        """Offer the answer to a post's other question, with a button for it.

        The message belongs to the reply just given: it carries its ``answer``.
        """
        treatment = offered.treatment
        assert treatment is not None and offered.topic is not None
        label = self.kb.topic_labels[offered.topic]
        return Reply(
            "utter_offer_other",
            answered.answer,
            {
                "topic_label": label,
                "treatment_name": self.kb.treatments[treatment].name,
            },
            [
                {
                    "title": label,
                    "payload": button_payload(offered.intent, treatment=treatment),
                }
            ],
        )
