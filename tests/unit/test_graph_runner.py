"""The planned graph runner calls Rasa's nodes in a valid order, with dask's results."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.graph import GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from scripts import graph_runner
from tests.support.servers import MODEL

TEXTS = [
    "hi",
    "does microneedling hurt?",
    "how long is the downtime after Morpheus8 and can I wear makeup after?",
    "I had thermage 3 days ago and my cheek is blistered",
    "",
    "what do you offer",
]


def node(**needs: str) -> SchemaNode:
    return SchemaNode(
        needs=needs, uses=GraphComponent, constructor_name="", fn="", config={}
    )


def test_every_node_comes_after_what_it_needs() -> None:
    schema = GraphSchema(
        {
            "d": node(x="b", y="c"),
            "b": node(x="a"),
            "c": node(x="a", y="given"),  # "given" is an input at run time
            "a": node(),
            "unused": node(x="a"),
        }
    )
    steps = graph_runner.plan(schema, ["d"])
    order = [name for name, _ in steps]
    assert sorted(order) == ["a", "b", "c", "d"]
    for position, (name, needs) in enumerate(steps):
        assert needs == tuple(schema.nodes[name].needs.values())
        for need in needs:
            assert need == "given" or order.index(need) < position


@pytest.fixture(scope="module")
def agents() -> Dict[str, Agent]:
    """The trained model, loaded once with dask's runner and once with the planned."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    loaded = {"dask": Agent.load(str(MODEL))}
    with pytest.MonkeyPatch.context() as patch:
        # recorded so that leaving the context undoes install() below
        patch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)
        graph_runner.install()
        loaded["planned"] = Agent.load(str(MODEL))
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner
    return loaded


def test_the_planned_runner_is_the_one_loaded(agents: Dict[str, Agent]) -> None:
    assert type(agents["planned"].processor.graph_runner) is (
        graph_runner.PlannedGraphRunner
    )
    assert type(agents["dask"].processor.graph_runner) is DaskGraphRunner


@pytest.mark.parametrize("text", TEXTS)
async def test_messages_are_understood_as_dask_runs_them(
    agents: Dict[str, Agent], text: str
) -> None:
    parsed = [await agents[kind].parse_message(text) for kind in ("dask", "planned")]
    assert parsed[0] == parsed[1]
    assert parsed[1]["text"] == text


@pytest.mark.parametrize("text", TEXTS)
async def test_the_next_action_is_predicted_as_dask_predicts_it(
    agents: Dict[str, Agent], text: str
) -> None:
    predictions: List[Any] = []
    for kind in ("dask", "planned"):
        agent = agents[kind]
        parse_data = await agent.parse_message(text)
        tracker = DialogueStateTracker.from_events(
            "test",
            [
                ActionExecuted("action_listen"),
                UserUttered(text, parse_data["intent"], parse_data["entities"]),
            ],
        )
        prediction = agent.processor.predict_next_with_tracker(tracker)
        assert prediction is not None
        del prediction["tracker"]  # the same events, but made at other times
        predictions.append(prediction)
    assert predictions[0] == predictions[1]
    assert predictions[1]["scores"] and predictions[1]["policy"]
