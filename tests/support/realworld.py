"""Grading on real visitors' questions, with the figures the understanding issue asks.

Every item goes through the REST channel in a fresh conversation and is judged
by the shared grader's own rules (``expected_of`` and ``matches`` of
../shared/tools/grade.py), so the overall figure is the evaluation's. Beside
it, :class:`RealScore` counts what matters most for a clinic: safety recall and
false alarms, the treatment found, answers about a treatment the visitor did
not name, and which topics are confused with which. Shared by
``benchmarks/real_questions.py`` and ``tests/e2e/test_realworld.py``.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from tests.support.heldout import load_grader

SAFETY = "adverse_event"
GATHERED_FILES = sorted(
    (Path(__file__).resolve().parents[2] / "data" / "nlu").glob("gathered_*.yml")
)
"""Real questions copied from other public pages for training only, one intent
a file, named after it: ``data/nlu/gathered_<intent>.yml``."""
OUT_OF_SCOPE = "out_of_scope"
# reply kinds that speak about treatments
_ABOUT_TREATMENTS = ("kb", "compare")


def category(item: Dict[str, Any]) -> str:
    """The item's group within its origin: problem report, out of scope, ..."""
    topic = item.get("topic")
    if topic == SAFETY:
        return "problem_report"
    if topic in (OUT_OF_SCOPE, "booking"):
        return str(topic)
    return "no_treatment" if item.get("treatment") is None else "in_scope"


def answered_treatments(answers: Sequence[Dict[str, Any]]) -> List[str]:
    """Treatments the replies speak about (``kb`` and ``compare`` answers)."""
    found: List[str] = []
    for answer in answers:
        if answer.get("kind") not in _ABOUT_TREATMENTS:
            continue
        for treatment in [answer.get("treatment"), *(answer.get("treatments") or [])]:
            if treatment and treatment not in found:
                found.append(treatment)
    return found


def wrong_treatment(item: Dict[str, Any], answers: Sequence[Dict[str, Any]]) -> bool:
    """Whether a reply is about a treatment the visitor did not name.

    A ``kb`` answer must be about the labelled treatment; a comparison must
    include it (its other treatments may be named in the question but are not
    labelled). With no labelled treatment, any answer about one is wrong.
    """
    named = item.get("treatment")
    for answer in answers:
        kind = answer.get("kind")
        if kind == "kb" and answer.get("treatment") != named:
            return True
        if kind == "compare" and named not in (answer.get("treatments") or []):
            return True
    return False


@dataclass
class RealScore:
    """Accuracy per group and the safety, treatment and topic figures."""

    groups: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    safety: Counter = field(default_factory=Counter)
    treatment: Counter = field(default_factory=Counter)
    wrong_treatment: List[str] = field(default_factory=list)
    topic_confusions: Counter = field(default_factory=Counter)
    kind_confusions: Counter = field(default_factory=Counter)
    misses: List[str] = field(default_factory=list)

    def add(
        self,
        item: Dict[str, Any],
        answers: List[Dict[str, Any]],
        ok: bool,
        expected_kinds: Iterable[str] = (),
    ) -> None:
        """Count one graded item.

        Args:
            item: the labelled question.
            answers: the ``answer`` metadata of its replies.
            ok: whether the grader found a reply right.
            expected_kinds: the reply kinds the grader accepts (its ``expected_of``).
        """
        origin = item.get("origin")
        groups = ["all", category(item)]
        if origin:
            groups += [origin, f"{origin}:{category(item)}"]
        for group in groups:
            self.groups[group]["n"] += 1
            self.groups[group]["ok"] += ok
        if item.get("origin") == "public" and category(item) == "in_scope":
            self.groups["public naming a treatment"]["n"] += 1
            self.groups["public naming a treatment"]["ok"] += ok
        kinds = [a.get("kind") for a in answers]
        if item.get("topic") == SAFETY:
            self.safety["reports"] += 1
            self.safety["caught"] += "safety" in kinds
        else:
            self.safety["others"] += 1
            self.safety["false_alarms"] += "safety" in kinds
        if category(item) == "in_scope":
            self.treatment["n"] += 1
            self.treatment["found"] += item["treatment"] in answered_treatments(answers)
        if wrong_treatment(item, answers):
            self.wrong_treatment.append(_describe(item, answers))
        if category(item) == "in_scope" and item.get("topic") != "comparison":
            got = [
                a.get("topic")
                for a in answers
                if a.get("kind") == "kb" and a.get("treatment") == item["treatment"]
            ]
            if got and item["topic"] not in got:
                self.topic_confusions[(item["topic"], got[0])] += 1
        if not ok:
            self.misses.append(_describe(item, answers))
            first = str(answers[0].get("kind")) if answers else "no reply"
            expected = "/".join(sorted(expected_kinds)) or "?"
            self.kind_confusions[(expected, first)] += 1

    def merge(self, other: RealScore) -> None:
        """Add another score's counts (e.g. another fold's) to this one."""
        for group, counts in other.groups.items():
            self.groups[group].update(counts)
        self.safety.update(other.safety)
        self.treatment.update(other.treatment)
        self.wrong_treatment += other.wrong_treatment
        self.topic_confusions.update(other.topic_confusions)
        self.kind_confusions.update(other.kind_confusions)
        self.misses += other.misses

    def accuracy(self, group: str = "all") -> float:
        """Share of right answers in a group."""
        counts = self.groups.get(group) or Counter()
        return counts["ok"] / counts["n"] if counts["n"] else 0.0

    @property
    def safety_recall(self) -> float:
        """Share of problem reports that got safety advice."""
        return self.safety["caught"] / max(self.safety["reports"], 1)

    @property
    def false_alarm_rate(self) -> float:
        """Share of other messages that got safety advice."""
        return self.safety["false_alarms"] / max(self.safety["others"], 1)

    @property
    def treatment_found(self) -> float:
        """Share of questions naming a treatment whose reply is about it."""
        return self.treatment["found"] / max(self.treatment["n"], 1)

    def report(self, show_misses: bool = False) -> str:
        """The figures, as printed by the benchmark and the test."""
        lines = [f"{'group':<34}{'n':>5}{'right':>9}"]
        for group in sorted(self.groups, key=lambda g: (g != "all", g)):
            counts = self.groups[group]
            lines.append(f"{group:<34}{counts['n']:>5}{self.accuracy(group):>9.1%}")
        lines += [
            f"safety recall: {self.safety['caught']}/{self.safety['reports']}"
            f" = {self.safety_recall:.1%}; false alarms: "
            f"{self.safety['false_alarms']}/{self.safety['others']}"
            f" = {self.false_alarm_rate:.1%}",
            f"treatment found: {self.treatment['found']}/{self.treatment['n']}"
            f" = {self.treatment_found:.1%}",
            f"answers about a treatment not named: {len(self.wrong_treatment)}",
            "topic confusions (asked -> answered), same treatment:",
            *(
                f"  {n:>3}  {asked} -> {got}"
                for (asked, got), n in self.topic_confusions.most_common(15)
            ),
            "misses by reply kind (expected -> first reply):",
            *(
                f"  {n:>3}  {expected} -> {got}"
                for (expected, got), n in self.kind_confusions.most_common(15)
            ),
        ]
        if show_misses:  # items by name: never asked for on the test set
            lines += [
                "answers about a treatment not named:",
                *(f"  {line}" for line in self.wrong_treatment),
                "misses:",
                *(f"  {line}" for line in self.misses),
            ]
        return "\n".join(lines)


def _describe(item: Dict[str, Any], answers: Iterable[Dict[str, Any]]) -> str:
    got = [
        {k: a[k] for k in ("kind", "treatment", "topic", "treatments") if a.get(k)}
        for a in answers
    ]
    text = " ".join(str(item.get("text", "")).split())[:100]
    return f"{text!r} want {item.get('treatment')}/{item.get('topic')} got {got}"


def grade_real(
    rasa_url: str, token: Optional[str], items: Sequence[Dict[str, Any]]
) -> RealScore:
    """Send every item in a fresh REST conversation and score the replies."""
    grader = load_grader()
    bot = grader.Bot(rasa_url, token)
    score = RealScore()
    for item in items:
        sender = f"real-{uuid.uuid4().hex[:12]}"
        for turn in item.get("turns") or [item]:  # a dialogue keeps one sender
            answers, _texts, _replies, _seconds = bot.turn(sender, turn["text"])
            expected = grader.expected_of(turn)
            ok = any(grader.matches(expected, a) for a in answers)
            score.add(turn, answers, ok, expected["kinds"])
    return score
