"""The queueing benchmark's machinery: virtual time for many threads, its figures, the policy model."""

from __future__ import annotations

import json
import math
import random

from benchmarks.queue_model import (
    QUOTA,
    RECOMMENDED,
    Backoff,
    JobSeen,
    Policy,
    estimated_waiters,
    next_attempt_delay,
    queued_intervals,
    simulate,
    summarize,
    take_gaps,
)
from benchmarks.queueing import Scenario, run_scenario
from benchmarks.virtual_time import Conductor


def test_virtual_time_jumps_to_the_earliest_wake_up_and_runs_one_thread_at_a_time() -> None:
    conductor = Conductor(start=100.0)
    seen: list[tuple[str, float]] = []

    def sleeper(name: str, naps: list[float]) -> None:
        for nap in naps:
            conductor.sleep(nap)
            seen.append((name, conductor.now()))

    conductor.spawn(lambda: sleeper("a", [5.0, 5.0]))
    conductor.spawn(lambda: sleeper("b", [3.0, 0.0, 10.0]))
    conductor.run(timeout=10)

    assert seen == [("b", 103.0), ("b", 103.0), ("a", 105.0), ("a", 110.0), ("b", 113.0)]
    assert conductor.errors == []


def test_virtual_time_reports_a_thread_that_raised_and_finishes_the_others() -> None:
    conductor = Conductor()
    finished: list[float] = []

    def broken() -> None:
        raise RuntimeError("boom")

    def fine() -> None:
        conductor.sleep(1.0)
        finished.append(conductor.now())

    conductor.spawn(broken)
    conductor.spawn(fine)
    conductor.run(timeout=10)

    assert finished == [1.0]
    assert len(conductor.errors) == 1 and "boom" in conductor.errors[0]


def test_a_freed_slot_pairs_with_the_next_create_and_slots_nobody_waited_for_have_no_gap() -> None:
    queued = queued_intervals([0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 12.0, 31.0])
    # Three jobs start at 0; two slots free at 10 and 30 while requests queue; one at 50 with nobody left.
    gaps = take_gaps([10.0, 30.0, 50.0], [0.0, 0.0, 0.0, 12.0, 31.0], queued)

    assert queued == [(0.0, 31.0)]
    assert gaps == [2.0, 1.0]


def test_the_waiters_estimate_follows_the_gaps_that_polling_at_interval_t_would_leave() -> None:
    interval, waiters = 20.0, 9
    jobs = []
    for index in range(6):
        freed = 100.0 * (index + 1)
        left = waiters - index  # waiters before this take
        jobs.append(JobSeen(created=-1000.0 - index, finished=freed))
        jobs.append(JobSeen(created=freed + interval / (left + 1), finished=None))

    estimate = estimated_waiters(jobs, [[0.0, interval]], now=700.0)

    assert estimate is not None
    assert abs(estimate - (waiters - 6)) < 1.0


def test_the_recommended_policy_tries_again_at_once_when_the_list_shows_a_free_slot() -> None:
    observed = [JobSeen(created=0.0, finished=None) for _ in range(QUOTA - 1)]

    delay, memory = next_attempt_delay({}, observed, 50.0, random.Random(1))

    assert 0.0 <= delay <= 1.0
    assert json.loads(json.dumps(memory)) == memory


def test_the_recommended_policy_sleeps_until_the_predicted_free_slot_and_its_memory_is_json() -> None:
    # Five finished jobs took 300 s each; the oldest job in progress started 100 s ago.
    finished = [JobSeen(created=float(10 * i), finished=float(10 * i) + 300.0) for i in range(5)]
    in_progress = [JobSeen(created=1000.0 + i, finished=None) for i in range(QUOTA)]

    delay, memory = next_attempt_delay({}, finished + in_progress, 1100.0, random.Random(1))

    # 300 s less a margin of 10 % plus 20 % / 5 durations: due at 1000 + 258 = 1258.
    assert 158.0 <= delay <= 158.0 + memory["intervals"][-1][1]
    assert json.loads(json.dumps(memory)) == memory


def test_in_the_model_the_recommended_policy_beats_todays_backoff_on_the_gap_at_no_more_creates() -> None:
    def figures(policy: Policy) -> tuple[float, float, float]:
        runs = [simulate(policy, waiters=25, job_seconds=300.0, seed=seed) for seed in range(3)]
        summary = summarize(runs)
        return summary.worst_ratio, summary.create_rate, summary.gap_p95

    today = figures(Backoff(cap=30.0))
    recommended = figures(RECOMMENDED)

    assert recommended[0] <= 1.1
    assert recommended[1] <= min(1.0, today[1])
    assert recommended[2] <= 5.0 < today[2]


def test_the_harness_drives_the_real_lifecycle_through_the_quota_without_failures() -> None:
    scenario = Scenario("7 exports of one kind, 1-min jobs", {"forecast_export": 7}, 60.0)

    figures = run_scenario(scenario, seed=3, environ={})

    assert figures.failures == []
    assert figures.peak_in_progress == {"forecast_export": QUOTA}
    assert figures.total_seconds >= scenario.ideal_seconds == 180.0
    assert len(figures.gaps) == 4  # 7 requests, 3 slots at once: 4 takes of a freed slot
    assert all(0 <= gap < 60 for gap in figures.gaps)
    assert figures.creates["forecast_export"] >= 7
    assert not math.isnan(figures.create_rate_while_queued["forecast_export"])
