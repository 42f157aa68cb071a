"""The queueing policy: when a Create refused by the concurrent-jobs quota tries again."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from forecast_export_provider.queueing import QUOTA, JobSeen, QueueSettings, next_attempt_delay, predicted_free_slot

SETTINGS = QueueSettings(poll=8.0, retry=1.0, margin=0.1)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_a_list_page_becomes_jobs_in_progress_and_finished_jobs() -> None:
    running = {"Status": "CREATE_IN_PROGRESS", "CreationTime": at(100), "LastModificationTime": at(150)}
    done = {"Status": "ACTIVE", "CreationTime": at(10), "LastModificationTime": at(310)}
    assert JobSeen.from_summary(running) == JobSeen(100.0, None)
    assert JobSeen.from_summary(done) == JobSeen(10.0, 310.0)
    assert JobSeen.from_summary({"Status": "ACTIVE"}) is None


def test_a_free_slot_in_the_list_means_try_again_within_seconds() -> None:
    jobs = [JobSeen(0.0, None)] * (QUOTA - 1)
    for seed in range(20):
        assert 0.5 <= next_attempt_delay(SETTINGS, jobs, 50.0, random.Random(seed)) <= 1.5


def test_the_next_slot_is_predicted_from_the_oldest_job_and_the_shortest_recent_duration() -> None:
    finished = [JobSeen(0.0, 300.0), JobSeen(10.0, 330.0)]
    in_progress = [JobSeen(1000.0, None), JobSeen(1100.0, None), JobSeen(1200.0, None)]
    assert predicted_free_slot(finished + in_progress, margin=0.1) == pytest.approx(1000.0 + 0.9 * 300.0)


def test_a_waiter_sleeps_until_just_before_the_predicted_slot_then_within_one_poll() -> None:
    jobs = [JobSeen(0.0, 300.0), JobSeen(1000.0, None), JobSeen(1100.0, None), JobSeen(1200.0, None)]
    delays = [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed)) for seed in range(50)]
    assert all(170.0 <= delay <= 170.0 + SETTINGS.poll for delay in delays)


def test_without_a_prediction_a_waiter_polls_at_the_interval() -> None:
    jobs = [JobSeen(1000.0, None)] * QUOTA
    delays = [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed)) for seed in range(50)]
    assert all(4.0 <= delay <= 12.0 for delay in delays)
    assert max(delays) - min(delays) > 2.0, "the waiters' attempts are spread, not in lockstep"
