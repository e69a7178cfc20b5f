"""Run the model's graph in a plan made once, instead of through dask per message.

Rasa 3.6 runs its prediction graph for every message with ``dask.get``: it
works out the minimal graph for the targets, builds a dask graph, orders it
(``dask.order``) and schedules each node, only to call the nodes one after the
other on the calling thread. The graph never changes once the model is loaded,
so :class:`PlannedGraphRunner` works out each target list's nodes and their
order once, then calls the same ``GraphNode`` objects with the same inputs as
dask does. Outputs, hooks and errors are Rasa's own.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

# a node's name and the names of the nodes (or inputs) it needs, in order
Step = Tuple[str, Tuple[str, ...]]


def plan(schema: GraphSchema, targets: List[str]) -> List[Step]:
    """The nodes the targets need, each after the nodes it needs.

    Args:
        schema: The model's graph schema.
        targets: The nodes whose outputs are wanted.

    Returns:
        The steps in an order where every node comes after what it needs.
    """
    minimal = schema.minimal_graph_schema(targets)
    steps: List[Step] = []
    done: set = set()

    def visit(name: str) -> None:
        if name in done or name not in minimal.nodes:
            return  # done already, or an input given at run time
        needs = tuple(minimal.nodes[name].needs.values())
        for need in needs:
            visit(need)
        done.add(name)
        steps.append((name, needs))

    # Rasa's graph validation refuses a graph with a cycle before it is trained
    for target in targets:
        visit(target)
    return steps


class PlannedGraphRunner(DaskGraphRunner):
    """A ``DaskGraphRunner`` that calls its nodes in an order planned once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Instantiates the nodes as ``DaskGraphRunner`` does; no plan yet."""
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[str, ...], List[Step]] = {}

    def run(
        self,
        inputs: Optional[Dict[str, Any]] = None,
        targets: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        """Runs the graph (see ``GraphRunner.run``)."""
        run_targets = targets if targets else self._graph_schema.target_names
        key = tuple(run_targets)
        if key not in self._plans:
            self._plans[key] = plan(self._graph_schema, list(run_targets))
        # as dask does: an input is the pair (name, value), a node's output the
        # pair its GraphNode returns, and a name nothing provides stays a name
        results: Dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are "
                    f"the same as node names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in self._plans[key]:
                node = self._instantiated_nodes[name]
                results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)


def install() -> None:
    """Make Rasa's message processor load models with :class:`PlannedGraphRunner`."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = PlannedGraphRunner  # type: ignore
