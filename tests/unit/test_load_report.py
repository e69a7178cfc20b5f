"""The load benchmark's reports: the production profile's scaling, CPU by program."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import processes
from benchmarks.load.__main__ import (
    TargetResult,
    print_cpu_by_program,
    round_ratios,
    scaling,
)
from benchmarks.load.target import Target
from benchmarks.load.visitors import LevelResult


def _result(name: str, layout: object, per_visitors: dict) -> TargetResult:
    """One round: ``per_visitors`` maps visitors to the messages answered in 10 s."""
    rounds = {visitors: [messages] for visitors, messages in per_visitors.items()}
    return _rounds(name, rounds, layout)


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


def _rounds(name: str, per_visitors: dict, layout: object = None) -> TargetResult:
    """Visitors -> the messages answered in 10 s, a count per round."""
    result = TargetResult(Target(name, "http://127.0.0.1:1", "t", layout=layout))  # type: ignore[arg-type]
    for visitors, counts in per_visitors.items():
        result.rounds[visitors] = [
            LevelResult(visitors, seconds=10.0, latencies=[0.01] * messages)
            for messages in counts
        ]
    return result


def test_each_round_is_set_against_the_stock_bot_of_the_same_round() -> None:
    stock = _rounds("stock", {32: [300, 200, 400]})
    bot = _rounds("1x2", {1: [250, 250, 250], 32: [1200, 1000, 1200]})

    assert round_ratios([bot], stock) == [
        "  1x2, 32 visitors: 120.0 (4.00x), 100.0 (5.00x), 120.0 (3.00x); median 4.00x"
    ]


def test_a_round_the_stock_bot_served_nothing_in_has_no_ratio() -> None:
    stock = _rounds("stock", {32: [0, 300]})
    assert round_ratios([_rounds("1x2", {32: [1000, 900]})], stock) == [
        "  1x2, 32 visitors: 90.0 (3.00x); median 3.00x"
    ]
    assert round_ratios([_rounds("1x2", {32: [1000]})], _rounds("s", {32: [0]})) == []


def test_without_the_single_layout_there_is_nothing_to_scale_against() -> None:
    assert scaling([_result("embedded", None, {32: 400})]) == []
    assert scaling([_result("2x1", (2, 1), {32: 400})]) == []


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("python scripts/rasa_production.py", "rasa_production.py"),
        ("python rasa_server.py --model medspa.tar.gz", "rasa_server.py"),
        ("python -m actions --port 5055", "actions"),
        ("python rasa run --model", "rasa"),
        ("postgres: medspa medspa 127.0.0.1(50704) idle", "postgres"),
        ("postgres -D pg -p", "postgres"),
        ("redis-server 127.0.0.1:6380", "redis-server"),
        ("haproxy -W -db -f", "haproxy"),
    ],
)
def test_a_process_is_counted_under_its_program(description: str, name: str) -> None:
    assert processes.program(description) == name


def test_cpu_is_summed_by_program_over_a_process_tree(tmp_path: Path) -> None:
    # a child that spins for a while: its time shows under its own program
    spin = tmp_path / "spin.py"
    spin.write_text("import time\nt = time.time()\nwhile time.time() - t < 1: pass\n")
    child = subprocess.Popen([sys.executable, str(spin)])
    try:
        time.sleep(0.1)
        before = processes.cpu_by_program([os.getpid()])
        time.sleep(0.5)
        after = processes.cpu_by_program([os.getpid()])
    finally:
        child.wait(timeout=30)

    assert after.get("spin.py", 0.0) - before.get("spin.py", 0.0) > 0.2
    assert sum(after.values()) == pytest.approx(
        processes.cpu_seconds([os.getpid()]), abs=1.0
    )


def test_cpu_by_program_is_printed_per_message(capsys: Any) -> None:
    result = _result("2x1", (2, 1), {1: 10, 32: 400})
    result.levels[32].cpu_by_program = {"rasa_production.py": 4.0, "postgres": 0.4}
    print_cpu_by_program([result])
    assert capsys.readouterr().out.splitlines() == [
        "",
        "CPU ms a message by program, at the most visitors:",
        "  2x1: rasa_production.py 10.00  postgres 1.00",
    ]
