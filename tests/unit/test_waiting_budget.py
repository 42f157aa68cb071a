"""The waiting design's budget (docs/design.md, docs/benchmarks.md), checked in simulated time.

The real handler runs in-process with crhelper, through the simulation that the benchmarks use too
(:mod:`tests.standins.simulation`): one virtual clock drives the Forecast stand-in, the handler's
waiting and the Lambda context, so an hour of waiting takes about a second. Every assertion is on
virtual-time figures and counts, never on the wall clock.

Each test runs twice: with the settings the CDK construct deploys (its function timeout and
environment), and with the handler's own defaults (no environment). A shorter poll interval or a
shorter in-invocation wait, in either place, breaks the budget below.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from tests.standins.simulation import (
    DELETE_GOAL,
    DESCRIBE_GOAL,
    LATENCY_GOAL,
    PROVIDER,
    Bench,
    FunctionSettings,
    RequestResult,
    invocation_bound,
    simulate_create,
    simulate_delete,
)

CLOUDFORMATION_WAIT = 3600.0


@pytest.fixture(scope="module", params=["construct", "handler-defaults"])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    settings = FunctionSettings.deployed() if request.param == "construct" else FunctionSettings()
    with Bench(settings) as shared:
        yield shared


def answered_once(result: RequestResult, status: str = "SUCCESS") -> None:
    assert result.overran == [], "an invocation ran past the function's timeout"
    assert result.responses == 1, f"{result.responses} responses"
    assert result.status == status, (result.response or {}).get("Reason")


@pytest.mark.parametrize("minutes", [45, 0.5], ids=["45-minute-job", "30-second-job"])
def test_a_job_is_reported_soon_after_active_with_few_invocations_and_describes(bench: Bench, minutes: float) -> None:
    seconds = minutes * 60
    result = simulate_create(bench, PROVIDER, seconds)

    answered_once(result)
    assert result.latency <= LATENCY_GOAL, f"answered {result.latency:.1f} s after ACTIVE"
    assert result.invocations <= invocation_bound(seconds), f"{result.invocations} invocations"
    # Every Describe counts, the one that sees ACTIVE included: no allowance for the boundary.
    assert result.describes <= seconds / DESCRIBE_GOAL, f"{result.describes} Describe calls in {seconds:.0f} s"


def test_the_answer_follows_active_within_the_goal_wherever_active_falls_between_two_describes(bench: Bench) -> None:
    # One job per second of offset over more than a poll interval: the worst case is among them.
    results = [simulate_create(bench, PROVIDER, 30.0 + offset) for offset in range(16)]

    for result in results:
        answered_once(result)
    assert max(result.latency for result in results) <= LATENCY_GOAL


@pytest.mark.parametrize("in_progress", [False, True], ids=["active-export", "export-still-creating"])
def test_a_delete_is_answered_soon_after_the_export_is_gone(bench: Bench, in_progress: bool) -> None:
    # Deletions ending at every whole second over 12 s: a settle interval over 10 s misses the goal.
    results = [
        simulate_delete(bench, PROVIDER, delete_seconds=20.0 + offset, stop_seconds=20.0, in_progress=in_progress)
        for offset in range(12)
    ]

    for result in results:
        answered_once(result)
        assert result.job_gone_at is not None, "the export was not deleted"
        assert result.responded_at is not None and result.responded_at >= result.job_gone_at
    assert max(result.latency for result in results) <= DELETE_GOAL


def test_a_stuck_job_is_reported_failed_within_the_total_wait(bench: Bench) -> None:
    from forecast_export_provider.wait_state import WaitSettings

    total_wait = WaitSettings.from_env(bench.settings.environment).total_wait
    result = simulate_create(bench, PROVIDER, math.inf)

    answered_once(result, "FAILED")
    assert result.waited_seconds <= total_wait < CLOUDFORMATION_WAIT
    reason = (result.response or {}).get("Reason", "")
    assert "daily_demand_export" in reason and "CREATE_IN_PROGRESS" in reason, reason
    assert result.invocations <= invocation_bound(total_wait)
    assert result.describes <= total_wait / DESCRIBE_GOAL
