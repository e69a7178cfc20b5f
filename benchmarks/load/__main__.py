"""Run the load benchmark and print the side-by-side table.

usage: python -m benchmarks.load [--questions FILE] [--visitors 1,8,32]
       [--seconds 20] [--max-messages 2000] [--profiles embedded,production]
       [--rounds 1]

With ``--rounds N`` every level is measured N times on every bot, the bots
taking turns each time; the table shows the last round, and a section lists each
round's msg/s with its ratio to the stock bot measured in the same round, and
the median ratio: the machine's speed drifts by a quarter from run to run, so
one round's ratio is one draw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Dict, List, Sequence, Tuple

import numpy as np

from benchmarks.load import processes
from benchmarks.load.stock import running_stock_bot
from benchmarks.load.target import Target
from benchmarks.load.visitors import (
    LevelResult,
    drive,
    load_questions,
    parse_latencies,
)
from tests.support.servers import PROJECT_DIR, running_assistant

REALWORLD = PROJECT_DIR / "tests" / "realworld" / "test.yml"
HELDOUT = PROJECT_DIR / "tests" / "heldout" / "test_visitors.yml"
WARM_UP = 24


@dataclass
class TargetResult:
    """Every figure measured on one bot."""

    target: Target
    rounds: Dict[int, List[LevelResult]] = field(default_factory=dict)
    """Visitors -> that level in every round, in order."""
    parse: List[float] = field(default_factory=list)
    memory: Dict[int, Tuple[str, int]] = field(default_factory=dict)
    """pid -> (command, peak RSS KiB)."""

    @property
    def levels(self) -> Dict[int, LevelResult]:
        """Visitors -> the latest round's level."""
        return {visitors: levels[-1] for visitors, levels in self.rounds.items()}

    def sample_memory(self) -> None:
        """Remember each process's largest resident memory so far."""
        for pid, command, rss in processes.tree(self.target.pids):
            peak = max(rss, self.memory.get(pid, ("", 0))[1])
            self.memory[pid] = (command, peak)

    @property
    def total_rss_mb(self) -> float:
        """The sum of the peak RSS of every process, in MiB."""
        return sum(rss for _, rss in self.memory.values()) / 1024


Launcher = Callable[[Path], ContextManager[Target]]


def _embedded(workdir: Path) -> ContextManager[Target]:
    @contextlib.contextmanager
    def run():
        with running_assistant(workdir) as assistant:
            yield Target(
                "assistant, embedded default (SQLite, 1 process each)",
                assistant.rasa_url,
                assistant.token,
                [p.pid for p in assistant.processes],
            )

    return run()


async def measure_level(
    result: TargetResult,
    questions: Sequence[str],
    visitors: int,
    args: argparse.Namespace,
) -> None:
    """One load level on one bot, with the CPU time its processes spent."""
    target = result.target
    cpu_before = processes.cpu_by_program(target.pids)
    level = await drive(
        target.url,
        questions,
        visitors,
        args.seconds,
        args.max_messages,
        headers=target.headers,
    )
    cpu_after = processes.cpu_by_program(target.pids)
    level.cpu_by_program = {
        name: seconds - cpu_before.get(name, 0.0) for name, seconds in cpu_after.items()
    }
    level.cpu_seconds = sum(level.cpu_by_program.values())
    result.rounds.setdefault(visitors, []).append(level)
    result.sample_memory()
    print(f"  {target.name}: {_level_cells(level)}", flush=True)


async def measure_all(
    targets: List[Target], questions: Sequence[str], args: argparse.Namespace
) -> List[TargetResult]:
    """Warm every bot up, then each load level on every bot in turn, then parses.

    The bots take turns level by level, so that a change in the machine's
    other load falls on all of them alike; with ``args.rounds`` above 1 the
    whole sequence of levels is run that many times.
    """
    results = [TargetResult(target) for target in targets]
    for target in targets:
        await drive(target.url, questions, 1, 60, WARM_UP, headers=target.headers)
    for round_number in range(args.rounds):
        if args.rounds > 1:
            print(f"round {round_number + 1} of {args.rounds}", flush=True)
        for visitors in args.visitors:
            for result in results:
                await measure_level(result, questions, visitors, args)
    for result in results:
        result.parse = await parse_latencies(
            result.target.url, result.target.token, questions, args.parse_count
        )
    return results


def _level_cells(level: LevelResult) -> str:
    return (
        f"{level.visitors:>3} visitors {level.throughput:6.1f} msg/s  "
        f"p50 {level.percentile(50):6.0f}  p95 {level.percentile(95):6.0f}  "
        f"p99 {level.percentile(99):6.0f} ms  errors {level.errors}"
        + (f" {level.error_kinds}" if level.errors else "")
        + f"  no bot message {level.silent}  CPU {level.cpu_ms_per_message:.0f} ms/msg"
    )


def _ms(values: List[float], q: float) -> str:
    return f"{np.percentile(values, q) * 1000:.1f}" if values else "n/a"


def scaling(results: Sequence[TargetResult]) -> List[str]:
    """Lines: msg/s of each production layout against 1 server x 1 worker."""
    layouts = {r.target.layout: r for r in results if r.target.layout}
    single = layouts.get((1, 1))
    if single is None:
        return []
    lines = []
    for (servers, workers), result in sorted(layouts.items()):
        if (servers, workers) == (1, 1):
            continue
        for visitors, level in result.levels.items():
            base = single.levels.get(visitors)
            if base and base.throughput:
                lines.append(
                    f"  {servers} server(s) x {workers} worker(s) against 1 x 1, "
                    f"{visitors} visitors: {level.throughput:.1f} / "
                    f"{base.throughput:.1f} msg/s = "
                    f"{level.throughput / base.throughput:.2f}x"
                )
    return lines


def round_ratios(results: Sequence[TargetResult], stock: TargetResult) -> List[str]:
    """Lines: each bot's msg/s per round, its ratio to the stock bot's in that round.

    Each ratio compares two figures measured minutes apart at most; the median
    of the rounds' ratios is the figure to quote.
    """
    lines = []
    for result in results:
        for visitors, levels in result.rounds.items():
            bases = stock.rounds.get(visitors, [])
            paired = [
                (level.throughput, level.throughput / base.throughput)
                for level, base in zip(levels, bases, strict=False)
                if base.throughput
            ]
            if not paired:
                continue
            cells = ", ".join(f"{rate:.1f} ({ratio:.2f}x)" for rate, ratio in paired)
            median = float(np.median([ratio for _, ratio in paired]))
            lines.append(
                f"  {result.target.name}, {visitors} visitors: {cells}; "
                f"median {median:.2f}x"
            )
    return lines


def print_scaling(results: Sequence[TargetResult]) -> None:
    """The production profile's scaling, from 1 to 2 workers and servers."""
    lines = scaling(results)
    if lines:
        print("\nscaling of the production profile (msg/s, same run):")
        print("\n".join(lines))


def print_cpu_by_program(results: Sequence[TargetResult]) -> None:
    """Where each bot's CPU time went, by program, at its most visitors."""
    print("\nCPU ms a message by program, at the most visitors:")
    for result in results:
        if not result.levels:
            continue
        level = result.levels[max(result.levels)]
        spent = sorted(level.cpu_by_program.items(), key=lambda item: -item[1])
        cells = "  ".join(
            f"{name} {1000 * seconds / level.messages:.2f}"
            for name, seconds in spent
            if level.messages and seconds > 0
        )
        print(f"  {result.target.name}: {cells}")


def print_table(results: List[TargetResult], stock: TargetResult) -> None:
    """The side-by-side table, memory and parse latency."""
    print(
        "\n| bot | visitors | msg/s | p50 / p95 / p99 ms | errors | no bot message "
        "| CPU ms/msg | x stock |\n|---|---|---|---|---|---|---|---|"
    )
    for result in [*results, stock]:
        for visitors, level in result.levels.items():
            base = stock.levels.get(visitors)
            ratio = (
                f"{level.throughput / base.throughput:.2f}"
                if base and base.throughput
                else "n/a"
            )
            print(
                f"| {result.target.name} | {visitors} | {level.throughput:.1f} | "
                f"{level.percentile(50):.0f} / {level.percentile(95):.0f} / "
                f"{level.percentile(99):.0f} | {level.errors} | {level.silent} "
                f"| {level.cpu_ms_per_message:.0f} | {ratio} |"
            )
    if any(len(levels) > 1 for levels in stock.rounds.values()):
        print("\nevery round (msg/s, x the stock bot in the same round):")
        stock_cells = [
            f"  {stock.target.name}, {visitors} visitors: "
            + ", ".join(f"{level.throughput:.1f}" for level in levels)
            for visitors, levels in stock.rounds.items()
        ]
        print("\n".join([*round_ratios(results, stock), *stock_cells]))
    print_scaling(results)
    print_cpu_by_program([*results, stock])
    print("\n/model/parse alone, one client (ms):")
    for result in [*results, stock]:
        print(
            f"  {result.target.name}: p50 {_ms(result.parse, 50)}  "
            f"p95 {_ms(result.parse, 95)}  p99 {_ms(result.parse, 99)}  "
            f"({len(result.parse)} parses)"
        )
    print("\nresident memory, peak over the levels (MiB):")
    for result in [*results, stock]:
        print(f"  {result.target.name}: total {result.total_rss_mb:.0f}")
        for pid, (command, rss) in sorted(result.memory.items()):
            print(f"    {pid:>7}  {rss / 1024:6.0f}  {command}")


def _launchers(names: Sequence[str]) -> List[Launcher]:
    known: Dict[str, List[Launcher]] = {"embedded": [_embedded]}
    if "production" in names:
        from benchmarks.load.production import production_launchers

        known["production"] = production_launchers()
    return [launcher for name in names for launcher in known[name]]


async def _run_all(args: argparse.Namespace, questions: List[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as running:
        workdir = Path(tmp)
        launchers = [*_launchers(args.profiles), running_stock_bot]
        targets = []
        for index, launcher in enumerate(launchers):
            (workdir / f"bot{index}").mkdir()
            targets.append(running.enter_context(launcher(workdir / f"bot{index}")))
            print(f"started: {targets[-1].name}", flush=True)
        results = await measure_all(targets, questions, args)
    print_table(results[:-1], results[-1])


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--questions",
        type=Path,
        default=REALWORLD if REALWORLD.exists() else HELDOUT,
        help="held-out file whose texts the visitors send",
    )
    parser.add_argument(
        "--visitors",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[1, 8, 32],
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per level")
    parser.add_argument("--max-messages", type=int, default=2000, help="per level")
    parser.add_argument("--parse-count", type=int, default=100)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every level this many times"
    )
    parser.add_argument(
        "--profiles",
        type=lambda s: s.split(","),
        default=["embedded"],
        help="embedded, production (comma-separated)",
    )
    args = parser.parse_args()
    questions = load_questions(args.questions)
    print(f"{len(questions)} questions from {args.questions}")
    asyncio.run(_run_all(args, questions))


if __name__ == "__main__":
    main()
