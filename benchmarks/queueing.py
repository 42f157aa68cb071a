"""Queueing under Forecast's quota of 3 export jobs in progress per kind, in simulated time.

    python -m benchmarks.queueing                 # the five scenarios, a few minutes
    python -m benchmarks.queueing --study         # and the study of queueing policies (benchmarks/queue_model.py)

Many Create requests arrive at once. Each runs the real lifecycle
(``forecast_export_provider.lifecycle.Lifecycle`` over ``forecast.ForecastExports`` and ``Backoff``,
with a boto3 Forecast client talking to the Forecast stand-in) in its own thread, on one shared
virtual clock (:class:`tests.standins.virtual_time.Conductor`): a thread's ``sleep`` blocks it until
virtual time reaches its wake-up, and time jumps to the earliest wake-up only when every request
is asleep or finished. The stand-in reads the same clock, so its jobs' states, the quota and the
timestamps of every call are virtual too. An hour of queueing runs in seconds.

Lambda is modelled, crhelper skipped: each request runs ``Lifecycle.begin`` and ``Lifecycle.run``,
then ``run`` again with the state carried as JSON, each invocation handing off at its start +
:data:`HANDOFF_SECONDS` (a 900 s function less a 60 s reserve), with :data:`INVOKE_DELAY_SECONDS`
between two invocations. Figures come from the stand-in's call log and jobs, and from the instants
at which the lifecycle answered.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.queue_model import queued_intervals, take_gaps
from tests.properties import valid_properties
from tests.standins.forecast import KINDS as STANDIN_KINDS
from tests.standins.forecast import ForecastStandIn
from tests.standins.simulation import markdown_table, percentile
from tests.standins.virtual_time import Conductor

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/forecast-exports-queue/5b3e7c80-1d2a-11ef-9a4c-0a1b2c3d4e5f"
)
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
QUOTA_PER_KIND = 3
FUNCTION_TIMEOUT_SECONDS = 900.0
HANDOFF_SECONDS = 840.0
"""An invocation hands off this long after it starts: a 900 s function less a 60 s reserve."""
INVOKE_DELAY_SECONDS = 1.0
"""From one invocation's hand-off to the next invocation's start (asynchronous invoke, cold start)."""
PENDING_SECONDS = 10.0
"""Time a job spends in CREATE_PENDING, inside its duration."""
WALL_LIMIT_SECONDS = 600.0

RESOURCE_TYPES = {
    "forecast_export": "Custom::ForecastExportJob",
    "predictor_backtest_export": "Custom::PredictorBacktestExportJob",
    "explainability_export": "Custom::ExplainabilityExport",
    "what_if_forecast_export": "Custom::WhatIfForecastExport",
}
KIND_ORDER = tuple(RESOURCE_TYPES)


@dataclass(frozen=True)
class Scenario:
    """Requests that arrive at once or one after another, and how long each job takes."""

    title: str
    per_kind: Mapping[str, int]
    job_seconds: float
    jitter: float = 0.0
    """Relative spread of job durations (uniform in ±jitter, seeded per job)."""
    spacing: float = 0.0
    """Seconds between two arrivals of a kind's requests (0: all at once)."""
    finished_before: int = 0
    """Finished exports of each kind that List shows first, oldest first: more than 100 put the
    jobs in progress on a later page."""

    @property
    def ideal_seconds(self) -> float:
        """Every slot busy all the time: ceil(largest kind's count / quota) rounds of one job."""
        return math.ceil(max(self.per_kind.values()) / QUOTA_PER_KIND) * self.job_seconds


SCENARIOS = (
    Scenario("100 exports (25 per kind), 5-min jobs", dict.fromkeys(KIND_ORDER, 25), 300.0),
    Scenario("100 exports (25 per kind), 1-min jobs", dict.fromkeys(KIND_ORDER, 25), 60.0),
    Scenario("30 exports of one kind, 5 s jobs (reference)", {"forecast_export": 30}, 5.0),
    Scenario(
        "25 exports of one kind after 150 finished ones (full List page), 5-min jobs",
        {"forecast_export": 25},
        300.0,
        finished_before=150,
    ),
    Scenario("30 exports of one kind, one every 20 s, 5-min jobs", {"forecast_export": 30}, 300.0, spacing=20.0),
)


@dataclass
class Trace:
    """One request: when it arrived, its job's ARN, when and how it was answered."""

    kind: str
    logical_id: str
    arrived: float
    answered_at: float | None = None
    status: str | None = None
    reason: str = ""
    arn: str | None = None
    invocations: int = 0
    overran: int = 0


@dataclass
class Figures:
    """What one scenario measured (virtual seconds)."""

    scenario: Scenario
    traces: list[Trace]
    total_seconds: float
    creates: dict[str, int]
    create_rate_while_queued: dict[str, float]
    refused: int
    gaps: list[float]
    describes: int
    lists: int
    job_seconds_in_progress: float
    peak_in_progress: dict[str, int]
    failures: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    overtaken_pairs: int = 0
    """Pairs of requests of a kind in which the later arrival took its slot first."""
    pairs: int = 0
    longest_wait: float = math.nan
    """The longest time from a request's arrival to its Create."""
    longest_fair_wait: float = math.nan
    """The same had the slots been taken first come, first served (the same moments, in arrival order)."""

    @property
    def ratio(self) -> float:
        return self.total_seconds / self.scenario.ideal_seconds

    @property
    def seconds_per_describe(self) -> float:
        """Job-seconds in progress per Describe: the Describe interval per job in progress."""
        return self.job_seconds_in_progress / self.describes if self.describes else math.inf


# --------------------------------------------------------------------------- the lifecycle


LifecycleFactory = Callable[[Any, Any, random.Random, Mapping[str, str]], Any]


def default_environment() -> dict[str, str]:
    """The environment the CDK construct deploys (what the handler reads), as strings."""
    from forecast_export_provider.constants import POLL_INTERVAL_SECONDS, TOTAL_WAIT_SECONDS

    return {"TOTAL_WAIT_SECONDS": str(TOTAL_WAIT_SECONDS), "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS)}


def build_lifecycle(client: Any, clock: Any, rng: random.Random, environ: Mapping[str, str]) -> Any:
    """The lifecycle exactly as the handler builds it, on the given client, clock and rng."""
    from forecast_export_provider.entrypoint import build_lifecycle as handlers_build_lifecycle

    return handlers_build_lifecycle(environ, client=client, clock=clock, rng=rng)


@contextlib.contextmanager
def _region() -> Iterator[None]:
    """crhelper builds boto3 clients when the entry point is imported: they need a region."""
    saved = {name: os.environ.get(name) for name in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    os.environ.setdefault("AWS_REGION", REGION)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def properties_for(kind: str, index: int) -> dict[str, Any]:
    """Valid properties for export ``index`` of ``kind``, each with its own source."""
    properties = valid_properties(RESOURCE_TYPES[kind])
    source_key = STANDIN_KINDS[kind].source_member
    source = properties[source_key]
    if isinstance(source, list):
        properties[source_key] = [f"{arn}_{index}" for arn in source]
    else:
        properties[source_key] = f"{source}_{index}"
    return properties


# --------------------------------------------------------------------------- the run


def run_scenario(
    scenario: Scenario,
    *,
    seed: int = 1,
    environ: Mapping[str, str] | None = None,
    factory: LifecycleFactory = build_lifecycle,
) -> Figures:
    """Drive every request of ``scenario`` through the lifecycle, concurrently in virtual time."""
    from forecast_export_provider.resource import Request

    environ = dict(default_environment() if environ is None else environ)
    conductor = Conductor(START)
    durations: dict[str, float] = {}

    def duration(kind: str, name: str) -> float:
        spread = random.Random(f"{seed}/{name}").uniform(-scenario.jitter, scenario.jitter)
        durations[name] = scenario.job_seconds * (1 + spread)
        return durations[name]

    shift = [0.0]
    """Seconds added to virtual time: negative while the finished exports are put in the past."""
    wall = time.perf_counter()
    with (
        _region(),
        ForecastStandIn(
            clock=lambda: conductor.now() + shift[0],
            region=REGION,
            account=ACCOUNT,
            pending_seconds=PENDING_SECONDS,
            duration=duration,
            max_concurrent_per_kind=QUOTA_PER_KIND,
            list_order="oldest" if scenario.finished_before else "newest",
        ) as forecast,
    ):
        client = forecast.client(connect_timeout=5, read_timeout=20)
        for kind in scenario.per_kind:
            _finished_exports(client, kind, scenario, shift)
        traces: list[Trace] = []
        for kind in KIND_ORDER:
            for index in range(scenario.per_kind.get(kind, 0)):
                logical_id = f"{kind.title().replace('_', '')}{index}"
                trace = Trace(kind, logical_id, START + index * scenario.spacing)
                traces.append(trace)
                request = Request(
                    request_type="Create",
                    stack_id=STACK_ID,
                    logical_id=logical_id,
                    request_id=f"{seed:04d}{len(traces):08d}-0000-4000-8000-000000000000",
                    properties=properties_for(kind, index),
                )
                lifecycle = factory(client, conductor, random.Random(f"{seed}/{logical_id}"), environ)
                conductor.spawn(_requester(conductor, lifecycle, request, trace), at=trace.arrived, name=logical_id)
        conductor.run(timeout=WALL_LIMIT_SECONDS)
        calls = [call for call in forecast.calls if call.time >= START]
        jobs = [job for job in forecast.jobs() if job.created_at >= START]
        peaks = {kind: forecast.max_concurrency(kind) for kind in scenario.per_kind}
    figures = measure(scenario, traces, calls, jobs, durations, peaks)
    figures.failures += [f"harness: {error}" for error in conductor.errors]
    figures.wall_seconds = time.perf_counter() - wall
    return figures


def _finished_exports(client: Any, kind: str, scenario: Scenario, shift: list[float]) -> None:
    """Create ``scenario.finished_before`` exports of ``kind`` in the past, each a job long and
    started half a job after the previous one, so that all have finished by START."""
    from botocore import xform_name

    standin_kind = STANDIN_KINDS[kind]
    create = getattr(client, xform_name(f"Create{standin_kind.noun}"))
    properties = properties_for(kind, 10_000)
    properties.pop("ServiceToken")
    count = scenario.finished_before
    for index in range(count):
        shift[0] = -(10.0 + scenario.job_seconds + (count - 1 - index) * scenario.job_seconds / 2)
        create(**properties, **{standin_kind.name_member: f"finished{index}"})
    shift[0] = 0.0


def _status(outcome: Any) -> str:
    return str(outcome.status.value)


def _requester(conductor: Conductor, lifecycle: Any, request: Any, trace: Trace) -> Callable[[], None]:
    """One request's life: its first invocation, then new ones (state carried as JSON) until answered."""
    from forecast_export_provider.wait_state import WaitState

    def first(started: float) -> tuple[Any, Any]:
        state = lifecycle.begin(request)
        return lifecycle.run(request, state, started + HANDOFF_SECONDS), state

    def carried(state: Any) -> Any:
        return WaitState.from_json(json.loads(json.dumps(state.to_json())))

    def next_one(state: Any, started: float) -> tuple[Any, Any]:
        return lifecycle.run(request, state, started + HANDOFF_SECONDS), state

    def invocations() -> None:
        started = conductor.now()
        trace.invocations = 1
        outcome, state = first(started)
        while _status(outcome) == "CONTINUE":
            if conductor.now() - started > FUNCTION_TIMEOUT_SECONDS:
                trace.overran += 1
            state = carried(state)
            conductor.sleep(INVOKE_DELAY_SECONDS)
            started = conductor.now()
            trace.invocations += 1
            outcome, state = next_one(state, started)
        if conductor.now() - started > FUNCTION_TIMEOUT_SECONDS:
            trace.overran += 1
        trace.answered_at = conductor.now()
        trace.status = _status(outcome)
        trace.reason = outcome.reason
        trace.arn = outcome.physical_id

    return invocations


# --------------------------------------------------------------------------- the figures


def measure(
    scenario: Scenario,
    traces: Sequence[Trace],
    calls: Sequence[Any],
    jobs: Sequence[Any],
    durations: Mapping[str, float],
    peaks: Mapping[str, int],
) -> Figures:
    created_at = {job.arn: job.created_at for job in jobs}
    failures = [f"{t.logical_id}: {t.status} {t.reason}" for t in traces if t.status != "SUCCESS"]
    failures += [f"{t.logical_id}: {t.overran} invocation(s) past the function's timeout" for t in traces if t.overran]
    if len(jobs) != len(traces):
        failures.append(f"{len(jobs)} jobs for {len(traces)} requests")
    failures += [f"{kind}: {peak} jobs in progress at once" for kind, peak in peaks.items() if peak > QUOTA_PER_KIND]
    answered = [t.answered_at for t in traces if t.answered_at is not None and t.status == "SUCCESS"]
    total = (max(answered) if answered else math.inf) - min(t.arrived for t in traces)

    creates: dict[str, int] = {}
    rates: dict[str, float] = {}
    gaps: list[float] = []
    fairness = Fairness()
    for kind in scenario.per_kind:
        operation = f"Create{STANDIN_KINDS[kind].noun}"
        mine = [t for t in traces if t.kind == kind]
        taken = [created_at.get(t.arn or "", math.inf) for t in mine]
        queued = queued_intervals([t.arrived for t in mine], taken)
        queued = [(start, end) for start, end in queued if math.isfinite(end)]
        moments = [call.time for call in calls if call.operation == operation]
        creates[kind] = len(moments)
        length = sum(end - start for start, end in queued)
        inside = sum(1 for m in moments if any(start <= m <= end for start, end in queued))
        rates[kind] = inside / length if length > 0 else math.nan
        kind_jobs = [job for job in jobs if job.kind == kind]
        frees = [job.created_at + durations[job.name] for job in kind_jobs]
        gaps += take_gaps(frees, [job.created_at for job in kind_jobs], queued)
        fairness.add([t.arrived for t in mine], taken)
    refused = sum(1 for call in calls if call.operation.startswith("Create") and call.error == "LimitExceededException")
    return Figures(
        scenario=scenario,
        traces=list(traces),
        total_seconds=total,
        creates=creates,
        create_rate_while_queued=rates,
        refused=refused,
        gaps=gaps,
        describes=sum(1 for call in calls if call.operation.startswith("Describe")),
        lists=sum(1 for call in calls if call.operation.startswith("List")),
        job_seconds_in_progress=sum(durations[job.name] for job in jobs),
        peak_in_progress=dict(peaks),
        failures=failures,
        overtaken_pairs=fairness.overtaken,
        pairs=fairness.pairs,
        longest_wait=fairness.longest,
        longest_fair_wait=fairness.longest_fair,
    )


@dataclass
class Fairness:
    """How far the order in which requests took slots is from the order in which they arrived."""

    overtaken: int = 0
    pairs: int = 0
    longest: float = math.nan
    longest_fair: float = math.nan

    def add(self, arrivals: Sequence[float], taken: Sequence[float]) -> None:
        """One kind's requests: when each arrived and when its Create succeeded."""
        order = sorted(range(len(arrivals)), key=lambda index: arrivals[index])
        for position, earlier in enumerate(order):
            for later in order[position + 1 :]:
                if arrivals[earlier] < arrivals[later]:
                    self.pairs += 1
                    self.overtaken += taken[later] < taken[earlier]
        waits = [take - arrival for take, arrival in zip(taken, arrivals, strict=True)]
        fair = [take - arrivals[index] for take, index in zip(sorted(taken), order, strict=True)]
        self.longest = max(self.longest, *waits) if not math.isnan(self.longest) else max(waits)
        self.longest_fair = max(self.longest_fair, *fair) if not math.isnan(self.longest_fair) else max(fair)


def pooled(results: Sequence[Figures]) -> Figures:
    """Several runs of one scenario as one row: the worst total, gaps pooled, counts and rates averaged."""
    first = results[0]
    runs = len(results)
    kinds = first.creates
    return Figures(
        scenario=first.scenario,
        traces=[trace for result in results for trace in result.traces],
        total_seconds=max(result.total_seconds for result in results),
        creates={kind: round(sum(r.creates[kind] for r in results) / runs) for kind in kinds},
        create_rate_while_queued={
            kind: sum(r.create_rate_while_queued[kind] for r in results) / runs for kind in kinds
        },
        refused=round(sum(result.refused for result in results) / runs),
        gaps=[gap for result in results for gap in result.gaps],
        describes=sum(result.describes for result in results),
        lists=round(sum(result.lists for result in results) / runs),
        job_seconds_in_progress=sum(result.job_seconds_in_progress for result in results),
        peak_in_progress={kind: max(r.peak_in_progress[kind] for r in results) for kind in first.peak_in_progress},
        failures=[failure for result in results for failure in result.failures],
        wall_seconds=sum(result.wall_seconds for result in results),
        overtaken_pairs=sum(result.overtaken_pairs for result in results),
        pairs=sum(result.pairs for result in results),
        longest_wait=max(result.longest_wait for result in results),
        longest_fair_wait=max(result.longest_fair_wait for result in results),
    )


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def figures_table(results: Sequence[Figures]) -> str:
    """The scenarios side by side, one row each."""
    header = [
        "scenario",
        "total (s, worst run)",
        "ideal (s)",
        "total / ideal",
        "Create calls per kind (per run)",
        "Create rate per kind while queued (/s, mean)",
        "refused Creates (per run)",
        "slot-to-Create gap p50 / p95 / max (s)",
        "s per Describe per job in progress",
        "List calls (per run)",
        "overtaken (% of pairs)",
        "longest wait: actual / first come, first served (s)",
        "failures",
    ]
    rows = []
    for f in results:
        counts = sorted(set(f.creates.values()))
        rate_values = [r for r in f.create_rate_while_queued.values() if not math.isnan(r)]
        rows.append(
            [
                f.scenario.title,
                _seconds(f.total_seconds),
                _seconds(f.scenario.ideal_seconds),
                f"{f.ratio:.2f}",
                "-".join(str(c) for c in (counts[0], counts[-1])) if len(counts) > 1 else str(counts[0]),
                f"{min(rate_values):.2f}-{max(rate_values):.2f}" if len(rate_values) > 1 else f"{rate_values[0]:.2f}",
                str(f.refused),
                " / ".join(_seconds(percentile(f.gaps, q)) for q in (50, 95, 100)),
                _seconds(f.seconds_per_describe),
                str(f.lists),
                f"{100 * f.overtaken_pairs / f.pairs:.0f}" if f.pairs else "-",
                f"{_seconds(f.longest_wait)} / {_seconds(f.longest_fair_wait)}",
                str(len(f.failures)),
            ]
        )
    return markdown_table(header, rows, right_from=1)


# --------------------------------------------------------------------------- the command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queueing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the backoff and job durations (default 1)")
    parser.add_argument("--jitter", type=float, default=0.0, help="relative spread of job durations (default 0)")
    parser.add_argument(
        "--runs", type=int, default=1, help="runs per scenario, seeds SEED, SEED+1, ...: the worst total, gaps pooled"
    )
    parser.add_argument("--only", type=int, action="append", help="run only scenario N (1-5); repeatable")
    parser.add_argument("--study", action="store_true", help="also run the policy study (pure model)")
    parser.add_argument("--study-only", action="store_true", help="run only the policy study")
    parser.add_argument("--verbose", action="store_true", help="list every failure")
    arguments = parser.parse_args(argv)

    code = 0
    if not arguments.study_only:
        chosen = [SCENARIOS[i - 1] for i in arguments.only] if arguments.only else list(SCENARIOS)
        factory = build_lifecycle
        results = []
        for scenario in chosen:
            if arguments.jitter:
                scenario = dataclasses.replace(scenario, jitter=arguments.jitter)
            result = pooled(
                [run_scenario(scenario, seed=arguments.seed + run, factory=factory) for run in range(arguments.runs)]
            )
            results.append(result)
            print(
                f"ran {scenario.title}: {result.wall_seconds:.1f} s of wall time, {len(result.failures)} failures",
                file=sys.stderr,
            )
        runs = f"{arguments.runs} run(s) from seed {arguments.seed}"
        settings = f"{runs}, jitter {arguments.jitter:g}"
        print(f"Queueing under the quota ({settings})")
        print()
        print(figures_table(results))
        for result in results:
            if result.failures:
                code = 1
                shown = result.failures if arguments.verbose else result.failures[:5]
                print(f"\n{result.scenario.title}: {len(result.failures)} failures", file=sys.stderr)
                for failure in shown:
                    print(f"  {failure}", file=sys.stderr)
    if arguments.study or arguments.study_only:
        from benchmarks.queue_model import study

        print()
        print(study(seed=arguments.seed))
    return code


if __name__ == "__main__":
    sys.exit(main())
