"""The load benchmark's report of the production profile's scaling (no servers)."""

from __future__ import annotations

from benchmarks.load.__main__ import TargetResult, scaling
from benchmarks.load.target import Target
from benchmarks.load.visitors import LevelResult


def _result(name: str, layout: object, per_visitors: dict) -> TargetResult:
    result = TargetResult(Target(name, "http://127.0.0.1:1", "t", layout=layout))  # type: ignore[arg-type]
    for visitors, messages in per_visitors.items():
        result.levels[visitors] = LevelResult(
            visitors, seconds=10.0, latencies=[0.01] * messages
        )
    return result


def test_each_layout_is_set_against_one_server_of_one_worker() -> None:
    results = [
        _result("embedded", None, {1: 300, 32: 400}),
        _result("1x1", (1, 1), {1: 250, 32: 300}),
        _result("1x2", (1, 2), {1: 250, 32: 600}),
        _result("2x1", (2, 1), {32: 450}),
    ]
    assert scaling(results) == [
        "  1 server(s) x 2 worker(s) against 1 x 1, 1 visitors: "
        "25.0 / 25.0 msg/s = 1.00x",
        "  1 server(s) x 2 worker(s) against 1 x 1, 32 visitors: "
        "60.0 / 30.0 msg/s = 2.00x",
        "  2 server(s) x 1 worker(s) against 1 x 1, 32 visitors: "
        "45.0 / 30.0 msg/s = 1.50x",
    ]


def test_without_the_single_layout_there_is_nothing_to_scale_against() -> None:
    assert scaling([_result("embedded", None, {32: 400})]) == []
    assert scaling([_result("2x1", (2, 1), {32: 400})]) == []
