"""Latency, invocations and Describe calls of the waiting design, against crhelper's polling and the
CDK Provider framework; delete speed; the asset's footprint. All in simulated time.

Run from the repository's root::

    python -m benchmarks.latency            # 20 runs per job duration (a few minutes)
    python -m benchmarks.latency --quick    # 5 runs, fewer import samples (well under a minute)

It prints Markdown tables (the ones in docs/benchmarks.md) and exits non-zero if a simulated
request was not answered exactly once, was answered FAILED, or an invocation overran its timeout.
See :mod:`tests.standins.simulation` for what is simulated and how.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import REPOSITORY
from tests.standins.simulation import (
    CDK_PROVIDER,
    CDK_QUERY_INTERVAL,
    CRHELPER_POLL_SECONDS,
    CRHELPER_SLEEP_ON_DELETE,
    DELETE_GOAL,
    DESCRIBE_GOAL,
    LATENCY_GOAL,
    PENDING_SECONDS,
    PROVIDER,
    SFN_TRANSITIONS_PER_POLL,
    STRATEGIES,
    STRATEGY_TITLES,
    Bench,
    FunctionSettings,
    RequestResult,
    invocation_bound,
    jittered,
    markdown_table,
    percentile,
    simulate_create,
    simulate_delete,
)

DURATIONS: tuple[tuple[str, float], ...] = (("30 s", 30.0), ("2 min", 120.0), ("10 min", 600.0), ("45 min", 2700.0))
JITTER = 0.15
DELETE_SECONDS = 20.0
STOP_SECONDS = 20.0


def problems(result: RequestResult) -> list[str]:
    """What makes a simulated request unusable as a measurement."""
    found = [f"ran past the timeout: {item}" for item in result.overran]
    if result.responses != 1:
        found.append(f"{result.responses} responses")
    if result.status != "SUCCESS":
        reason = (result.response or {}).get("Reason", "")
        found.append(f"answered {result.status}: {reason}")
    return found


# --------------------------------------------------------------------------- runs


@dataclass
class Cell:
    """All runs of one strategy for one scenario."""

    strategy: str
    scenario: str
    results: list[RequestResult]

    def _values(self, get: Callable[[RequestResult], float]) -> list[float]:
        return [get(result) for result in self.results]

    @property
    def latencies(self) -> list[float]:
        return self._values(lambda r: r.latency)

    def mean(self, get: Callable[[RequestResult], float]) -> float:
        return statistics.fmean(self._values(get))

    def maximum(self, get: Callable[[RequestResult], float]) -> float:
        return max(self._values(get))

    @property
    def seconds_per_describe_life(self) -> float:
        return self.mean(lambda r: r.job_seconds / r.describes)

    @property
    def seconds_per_describe_wait(self) -> float:
        return self.mean(lambda r: r.waited_seconds / r.describes)

    @property
    def within_invocation_bound(self) -> int:
        return sum(1 for r in self.results if r.invocations <= invocation_bound(r.job_seconds))


def run_creates(
    bench: Bench, runs: int, seed: int, jitter: float, progress: Callable[[str], None]
) -> dict[tuple[str, str], Cell]:
    cells: dict[tuple[str, str], Cell] = {}
    for label, seconds in DURATIONS:
        started = time.perf_counter()
        for run in range(runs):
            duration = jittered(seconds, jitter, f"{seed}/create/{label}/{run}")
            for strategy in STRATEGIES:
                cell = cells.setdefault((label, strategy), Cell(strategy, label, []))
                cell.results.append(simulate_create(bench, strategy, duration, seed=seed * 1000 + run))
        elapsed = time.perf_counter() - started
        progress(f"create, {label} jobs: {runs} runs x {len(STRATEGIES)} strategies in {elapsed:.1f} s")
    return cells


DELETE_CASES: tuple[tuple[str, bool], ...] = (
    (f"ACTIVE (delete ~{DELETE_SECONDS:.0f} s)", False),
    (f"CREATE_IN_PROGRESS (stop ~{STOP_SECONDS:.0f} s, delete ~{DELETE_SECONDS:.0f} s)", True),
)


def run_deletes(
    bench: Bench, runs: int, seed: int, jitter: float, progress: Callable[[str], None]
) -> dict[tuple[str, str], Cell]:
    cells: dict[tuple[str, str], Cell] = {}
    for label, in_progress in DELETE_CASES:
        started = time.perf_counter()
        for run in range(runs):
            delete_seconds = jittered(DELETE_SECONDS, jitter, f"{seed}/delete/{label}/{run}")
            stop_seconds = jittered(STOP_SECONDS, jitter, f"{seed}/stop/{label}/{run}")
            for strategy in STRATEGIES:
                cell = cells.setdefault((label, strategy), Cell(strategy, label, []))
                cell.results.append(
                    simulate_delete(
                        bench,
                        strategy,
                        delete_seconds=delete_seconds,
                        stop_seconds=stop_seconds,
                        in_progress=in_progress,
                        seed=seed * 1000 + run,
                    )
                )
        elapsed = time.perf_counter() - started
        progress(f"delete, {label}: {runs} runs x {len(STRATEGIES)} strategies in {elapsed:.1f} s")
    return cells


# --------------------------------------------------------------------------- tables


def _tick(ok: bool) -> str:
    return "yes" if ok else "**no**"


def create_tables(cells: dict[tuple[str, str], Cell], runs: int) -> str:
    header = [
        "job",
        "strategy",
        "latency p50 (s)",
        "p95 (s)",
        "max (s)",
        "invocations mean",
        "max",
        "bound 1+⌈min/13⌉",
        "Describe calls mean",
        "s per Describe, job life",
        "s per Describe, whole wait",
        "SFN transitions mean",
    ]
    rows = []
    for label, _ in DURATIONS:
        for strategy in STRATEGIES:
            cell = cells[(label, strategy)]
            latencies = cell.latencies
            bounds = sorted({invocation_bound(r.job_seconds) for r in cell.results})
            rows.append(
                [
                    label,
                    STRATEGY_TITLES[strategy],
                    f"{percentile(latencies, 50):.1f}",
                    f"{percentile(latencies, 95):.1f}",
                    f"{max(latencies):.1f}",
                    f"{cell.mean(lambda r: r.invocations):.1f}",
                    f"{cell.maximum(lambda r: r.invocations):.0f}",
                    "-".join(str(b) for b in (bounds[0], bounds[-1])) if len(bounds) > 1 else str(bounds[0]),
                    f"{cell.mean(lambda r: r.describes):.1f}",
                    f"{cell.seconds_per_describe_life:.1f}",
                    f"{cell.seconds_per_describe_wait:.1f}",
                    f"{cell.mean(lambda r: r.sfn_transitions):.0f}" if strategy == CDK_PROVIDER else "-",
                ]
            )
    goals_header = [
        "job",
        "strategy",
        f"latency p95 ≤ {LATENCY_GOAL:.0f} s",
        "invocations within bound (runs)",
        f"≤ 1 Describe per {DESCRIBE_GOAL:.0f} s (whole wait)",
        "fewer invocations than both anchors (mean)",
    ]
    goal_rows = []
    for label, _ in DURATIONS:
        invocations = {s: cells[(label, s)].mean(lambda r: r.invocations) for s in STRATEGIES}
        for strategy in STRATEGIES:
            cell = cells[(label, strategy)]
            others = [invocations[s] for s in STRATEGIES if s != strategy]
            goal_rows.append(
                [
                    label,
                    STRATEGY_TITLES[strategy],
                    _tick(percentile(cell.latencies, 95) <= LATENCY_GOAL),
                    f"{_tick(cell.within_invocation_bound == runs)} ({cell.within_invocation_bound}/{runs})",
                    _tick(cell.seconds_per_describe_wait >= DESCRIBE_GOAL),
                    _tick(invocations[strategy] < min(others)) if strategy == PROVIDER else "-",
                ]
            )
    return (
        "### Create: from ACTIVE to the response\n\n"
        + markdown_table(header, rows)
        + "\n\n### Create: goals\n\n"
        + markdown_table(goals_header, goal_rows)
    )


def delete_tables(cells: dict[tuple[str, str], Cell]) -> str:
    header = [
        "export when Delete arrives",
        "strategy",
        "answer after job gone p50 (s)",
        "p95 (s)",
        "max (s)",
        f"≤ {DELETE_GOAL:.0f} s",
        "request to answer p50 (s)",
        "max (s)",
        "invocations mean",
        "Describe calls mean",
    ]
    rows = []
    for label, _ in DELETE_CASES:
        for strategy in STRATEGIES:
            cell = cells[(label, strategy)]
            latencies = cell.latencies
            waits = [r.waited_seconds for r in cell.results]
            rows.append(
                [
                    label,
                    STRATEGY_TITLES[strategy],
                    f"{percentile(latencies, 50):.1f}",
                    f"{percentile(latencies, 95):.1f}",
                    f"{max(latencies):.1f}",
                    _tick(max(latencies) <= DELETE_GOAL),
                    f"{percentile(waits, 50):.1f}",
                    f"{max(waits):.1f}",
                    f"{cell.mean(lambda r: r.invocations):.1f}",
                    f"{cell.mean(lambda r: r.describes):.1f}",
                ]
            )
    return "### Delete: from the job gone to the response\n\n" + markdown_table(header, rows)


def machine() -> str:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = _git("rev-parse", "--short", "HEAD") or "unknown (not a git checkout)"
    if _git("status", "--porcelain", "--untracked-files=no", "--", "lambda", "constructs", "benchmarks"):
        commit += " with uncommitted changes under lambda/, constructs/ or benchmarks/"
    return (
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit {commit}\n"
        f"- load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
        f"- CPUs (nproc): {os.cpu_count()}; CPU: {model}\n"
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}"
    )


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPOSITORY), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def assumptions(settings: FunctionSettings, runs: int, seed: int, jitter: float) -> str:
    env = ", ".join(f"{k}={v}" for k, v in sorted(settings.environment.items())) or "handler defaults"
    return (
        f"- {runs} runs per job duration and strategy; durations jittered ±{jitter:.0%} (seed {seed}); the same "
        "jittered durations for every strategy\n"
        f"- Forecast stand-in: CREATE_PENDING {PENDING_SECONDS:.0f} s (inside the duration); Delete "
        f"~{DELETE_SECONDS:.0f} s, StopResource ~{STOP_SECONDS:.0f} s (±{jitter:.0%})\n"
        f"- this provider: the real handler and crhelper, function timeout {settings.timeout:.0f} s, {env}; "
        f"asynchronous self-invocation + cold start = {settings.invoke_delay:g} s\n"
        f"- crhelper default polling: EventBridge rule every {CRHELPER_POLL_SECONDS:.0f} s from the end of the first "
        f"invocation, 1 invocation + 1 Describe per firing; Delete answered {CRHELPER_SLEEP_ON_DELETE:.0f} s after "
        "the firing that sees the job gone (sleep_on_delete)\n"
        f"- CDK Provider framework: isComplete at once after onEvent and every {CDK_QUERY_INTERVAL:.0f} s, "
        f"1 invocation + 1 Describe + {SFN_TRANSITIONS_PER_POLL} Step Functions transitions each; "
        "only the user's functions are counted (the framework's own functions double the invocations)\n"
        "- anchors' invocations start without delay"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="runs per job duration and strategy (default 20)")
    parser.add_argument("--quick", action="store_true", help="5 runs and 5 import samples: a smoke run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the jittered durations (default 1)")
    parser.add_argument("--jitter", type=float, default=JITTER, help="relative jitter of job durations (default 0.15)")
    parser.add_argument(
        "--invoke-delay",
        type=float,
        default=1.0,
        help="seconds from self-invocation to the next invocation (default 1)",
    )
    parser.add_argument("--import-runs", type=int, default=None, help="cold import samples (default 15)")
    parser.add_argument("--skip-footprint", action="store_true", help="skip the asset size and import time")
    parser.add_argument("--verbose", action="store_true", help="show the handler's and crhelper's logs")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 20)
    import_runs = args.import_runs or (5 if args.quick else 15)

    def progress(message: str) -> None:
        print(f"# {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    settings = FunctionSettings.deployed(invoke_delay=args.invoke_delay)
    with Bench(settings, quiet=not args.verbose) as bench:
        creates = run_creates(bench, runs, args.seed, args.jitter, progress)
        deletes = run_deletes(bench, runs, args.seed, args.jitter, progress)
    bad = [
        f"{STRATEGY_TITLES[cell.strategy]}, {cell.scenario}: {problem}"
        for cell in [*creates.values(), *deletes.values()]
        for result in cell.results
        for problem in problems(result)
    ]
    sections = [
        "## Machine\n\n" + machine(),
        "## Set-up\n\n" + assumptions(settings, runs, args.seed, args.jitter),
        create_tables(creates, runs),
        delete_tables(deletes),
    ]
    if not args.skip_footprint:
        from benchmarks.footprint import tables

        sections.append(tables(import_runs))
    print("\n\n".join(sections))
    progress(f"done in {time.perf_counter() - started:.1f} s")
    if bad:
        print("\nUNUSABLE RUNS:\n" + "\n".join(f"- {item}" for item in bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
