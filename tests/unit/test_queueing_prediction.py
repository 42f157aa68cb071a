"""The queueing policy's prediction in detail: which finished jobs it learns from, how a List page
becomes jobs, the spread of the attempts and the settings read from the environment."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from forecast_export_provider.queueing import (
    QUOTA,
    RECENT_DURATIONS,
    JobSeen,
    QueueSettings,
    next_attempt_delay,
    predicted_free_slot,
    turn_offset,
)

SETTINGS = QueueSettings(poll=8.0, retry=1.0, margin=0.1)
SEEDS = range(200)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_a_duration_is_the_time_from_creation_to_finish() -> None:
    jobs = [JobSeen(500.0, 800.0), JobSeen(2000.0, None)]
    assert predicted_free_slot(jobs, margin=0.0) == pytest.approx(2000.0 + 300.0)


def test_only_the_latest_finished_jobs_count_whatever_the_order_of_the_list() -> None:
    # The shortest job finished first: it is older than the recent window, so it is forgotten.
    oldest_short = JobSeen(0.0, 100.0)
    recent = [JobSeen(1000.0 * n, 1000.0 * n + 300.0 + n) for n in range(1, RECENT_DURATIONS + 1)]
    in_progress = JobSeen(9000.0, None)
    for jobs in ([oldest_short, *recent, in_progress], [*recent, in_progress, oldest_short]):
        assert predicted_free_slot(jobs, margin=0.0) == pytest.approx(9000.0 + 301.0)


def test_the_window_of_recent_durations_includes_the_latest_one() -> None:
    older = [JobSeen(1000.0 * n, 1000.0 * n + 400.0) for n in range(1, RECENT_DURATIONS)]
    latest_short = JobSeen(8000.0, 8050.0)
    jobs = [latest_short, *older, JobSeen(9000.0, None)]
    assert predicted_free_slot(jobs, margin=0.0) == pytest.approx(9000.0 + 50.0)


def test_a_finished_job_without_a_modification_time_is_left_out() -> None:
    assert JobSeen.from_summary({"Status": "ACTIVE", "CreationTime": at(10)}) is None
    assert JobSeen.from_summary({"Status": "ACTIVE", "CreationTime": at(10), "LastModificationTime": "x"}) is None


def test_a_job_without_a_creation_time_is_left_out() -> None:
    assert JobSeen.from_summary({"Status": "CREATE_PENDING", "LastModificationTime": at(10)}) is None


def test_a_pending_job_is_in_progress() -> None:
    assert JobSeen.from_summary({"Status": "CREATE_PENDING", "CreationTime": at(7)}) == JobSeen(7.0, None)


def test_attempts_after_a_free_slot_spread_over_half_to_one_and_a_half_retry_intervals() -> None:
    jobs = [JobSeen(0.0, None)] * (QUOTA - 1)
    delays = [next_attempt_delay(SETTINGS, jobs, 50.0, random.Random(seed)) for seed in SEEDS]
    assert min(delays) < 0.55 and max(delays) > 1.45


def test_polling_spreads_over_half_to_one_and_a_half_poll_intervals() -> None:
    jobs = [JobSeen(1000.0, None)] * QUOTA
    delays = [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed)) for seed in SEEDS]
    assert 4.0 <= min(delays) < 4.4 and 11.6 < max(delays) <= 12.0


def test_attempts_after_a_predicted_slot_come_within_one_poll_of_it_the_longest_queued_first() -> None:
    jobs = [JobSeen(0.0, 300.0), *[JobSeen(1000.0, None)] * QUOTA]
    predicted_in = 1000.0 + 0.9 * 300.0 - 1100.0

    def delays(queued_since: float | None) -> list[float]:
        return [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed), queued_since) for seed in SEEDS]

    just_queued, queued_long_ago = delays(None), delays(1100.0 - 900.0)
    assert all(predicted_in <= delay <= predicted_in + SETTINGS.poll for delay in just_queued + queued_long_ago)
    assert max(queued_long_ago) < min(just_queued)


def test_a_refusal_exactly_at_the_predicted_slot_waits_for_the_next_step() -> None:
    # The refusal at the slot was this waiter's try in the slot's step: its next turn is a step later.
    jobs = [JobSeen(0.0, 300.0), *[JobSeen(1000.0, None)] * QUOTA]
    now = 1000.0 + 0.9 * 300.0
    assert predicted_free_slot(jobs, SETTINGS.margin) == now
    delays = [next_attempt_delay(SETTINGS, jobs, now, random.Random(seed)) for seed in SEEDS]
    assert min(delays) > SETTINGS.poll


@pytest.mark.parametrize("queued_seconds", [0.0, 0.5, -30.0])
def test_a_waiter_that_has_just_queued_tries_at_the_end_of_the_step(queued_seconds: float) -> None:
    # Under a second, or a negative time from a clock that moved back, counts as just arrived.
    offset = turn_offset(SETTINGS, queued_seconds, random.Random(7))
    expected = SETTINGS.poll * random.Random(7).uniform(0.9, 1.0)
    if queued_seconds > 0:
        expected *= math.exp(-queued_seconds / SETTINGS.seniority)
    assert offset == pytest.approx(expected, rel=1e-12)


def test_the_settings_come_from_the_environment() -> None:
    settings = QueueSettings.from_env({"QUEUE_POLL_SECONDS": "2.5", "QUEUE_RETRY_SECONDS": "0.25"})
    assert (settings.poll, settings.retry) == (2.5, 0.25)


def test_without_environment_the_settings_are_the_defaults() -> None:
    assert QueueSettings.from_env({}) == QueueSettings()


def test_intervals_of_zero_or_less_become_a_millisecond() -> None:
    settings = QueueSettings.from_env({"QUEUE_POLL_SECONDS": "0", "QUEUE_RETRY_SECONDS": "-3"})
    assert (settings.poll, settings.retry) == (0.001, 0.001)
