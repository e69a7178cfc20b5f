"""The dashboard's figures: each one a chart and a table (its CSV export).

A :class:`Figure` is data plus the one mechanism that turns a
:class:`~console.queries.Dashboard` into rows; the page draws its chart and the
CSV export writes its rows, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from console import charts
from console.labels import Labels
from console.queries import OUTCOMES, Dashboard, Turn
from medspa.contract import KINDS, TOPIC_IDS, TREATMENT_IDS

Row = List[object]
OUTCOMES_NOTE = (
    "Answered: from the articles, a comparison, recommendations or the list. "
    "Not covered: the articles don't say. Not understood: out of scope or no "
    "reply. Other: problem reports, handoffs, small talk, asking which treatment."
)


@dataclass(frozen=True)
class Figure:
    """One figure: its title, its table's header and how to fill both."""

    name: str
    title: str
    header: Sequence[str]
    rows: Callable[[Dashboard, Labels], List[Row]]
    chart: Optional[Callable[[Dashboard, Labels], charts.Chart]] = None
    note: str = ""


def _daily(board: Dashboard, labels: Labels) -> List[Row]:
    return [
        [d.isoformat(), board.conversations_per_day[d], board.messages_per_day[d]]
        for d in board.days
    ]


def _daily_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    days = [d.isoformat() for d in board.days]
    values = {
        (d.isoformat(), "messages"): board.messages_per_day[d] for d in board.days
    }
    values.update(
        {
            (d.isoformat(), "conversations"): board.conversations_per_day[d]
            for d in board.days
        }
    )
    series = ["conversations", "messages"]
    return charts.columns("daily", days, series, values, stacked=False)


def _kinds(board: Dashboard, labels: Labels) -> List[Row]:
    return [
        [d.isoformat(), labels.kind(k), board.kinds_per_day[d][k]]
        for d in board.days
        for k in KINDS
        if board.kinds_per_day[d][k]
    ]


def _kinds_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    values = {
        (d.isoformat(), labels.kind(k)): board.kinds_per_day[d][k]
        for d in board.days
        for k in KINDS
    }
    return charts.columns(
        "kinds",
        [d.isoformat() for d in board.days],
        [labels.kind(k) for k in KINDS],
        values,
    )


def _heatmap(board: Dashboard, labels: Labels) -> List[Row]:
    return [
        [labels.treatment(t), labels.topic(p), board.heatmap[(t, p)]]
        for t in TREATMENT_IDS
        for p in TOPIC_IDS
        if board.heatmap[(t, p)]
    ]


def _heatmap_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    values = {
        (labels.treatment(t), labels.topic(p)): board.heatmap[(t, p)]
        for t in TREATMENT_IDS
        for p in TOPIC_IDS
    }
    return charts.heatmap(
        "heatmap",
        [labels.treatment(t) for t in TREATMENT_IDS],
        [labels.topic(p) for p in TOPIC_IDS],
        values,
    )


def _share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _outcomes(board: Dashboard, labels: Labels) -> List[Row]:
    total = sum(board.outcomes.values())
    return [[o, board.outcomes[o], _share(board.outcomes[o], total)] for o in OUTCOMES]


def _outcomes_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    total = sum(board.outcomes.values())
    shares = [(o, _share(board.outcomes[o], total)) for o in OUTCOMES]
    return charts.bars("outcomes", shares, " %")


def _weekly(board: Dashboard, labels: Labels) -> List[Row]:
    rows: List[Row] = []
    for week, counts in board.outcomes_per_week.items():
        total = sum(counts.values())
        rows.append(
            [week.isoformat(), total, *(_share(counts[o], total) for o in OUTCOMES)]
        )
    return rows


def _weekly_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    values = {
        (week.isoformat(), o): _share(counts[o], sum(counts.values()))
        for week, counts in board.outcomes_per_week.items()
        for o in OUTCOMES
    }
    weeks = [w.isoformat() for w in board.outcomes_per_week]
    return charts.columns("weekly", weeks, list(OUTCOMES), values, scale_to=100)


def _channels(board: Dashboard, labels: Labels) -> List[Row]:
    return [[labels.channel(c), n] for c, n in board.channels.most_common()]


def _channels_chart(board: Dashboard, labels: Labels) -> charts.Chart:
    counts = [(labels.channel(c), float(n)) for c, n in board.channels.most_common()]
    return charts.bars("channels", counts)


def _when(turn: Turn) -> str:
    return f"{turn.day.isoformat()}"


def _reports(board: Dashboard, labels: Labels) -> List[Row]:
    return [[_when(t), t.sender_id, t.channel, t.text] for t in board.problem_reports]


def _not_covered(board: Dashboard, labels: Labels) -> List[Row]:
    return [
        [_when(t), t.sender_id, labels.treatments(t.treatments),
         ", ".join(labels.topic(a.get("topic")) for a in t.answers if a.get("topic")),
         t.text]
        for t in board.not_covered
    ]  # fmt: skip


def _not_understood(board: Dashboard, labels: Labels) -> List[Row]:
    return [[_when(t), t.sender_id, t.channel, t.text] for t in board.not_understood]


FIGURES: Dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("daily", "Conversations and messages per day",
               ["day", "conversations", "messages"], _daily, _daily_chart),
        Figure("kinds", "Replies by kind",
               ["day", "kind", "replies"], _kinds, _kinds_chart),
        Figure("heatmap", "Treatments × topics asked",
               ["treatment", "topic", "replies"], _heatmap, _heatmap_chart),
        Figure("outcomes", "What became of the messages (share %)",
               ["outcome", "messages", "share %"], _outcomes, _outcomes_chart,
               OUTCOMES_NOTE),
        Figure("weekly", "Per week: answered, not covered, not understood (share %)",
               ["week", "messages", *OUTCOMES], _weekly, _weekly_chart),
        Figure("channels", "Conversations by channel",
               ["channel", "conversations"], _channels, _channels_chart),
        Figure("problem_reports", "Problem reports",
               ["day", "conversation", "channel", "message"], _reports),
        Figure("not_covered", "Asked but not covered by the articles",
               ["day", "conversation", "treatment", "topic", "message"], _not_covered),
        Figure("not_understood", "Not understood",
               ["day", "conversation", "channel", "message"], _not_understood),
    )
}  # fmt: skip
CHARTS = [f for f in FIGURES.values() if f.chart is not None]
# Figures whose rows hold what visitors wrote: exporting them is audited.
WITH_VISITOR_TEXT = {"problem_reports", "not_covered", "not_understood"}
