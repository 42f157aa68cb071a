"""The queueing policy: when a Create refused by the concurrent-jobs quota tries again."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from forecast_export_provider.forecast import Backoff, ForecastExports
from forecast_export_provider.kinds import FORECAST_EXPORT
from forecast_export_provider.lifecycle import Lifecycle
from forecast_export_provider.queueing import QUOTA, JobSeen, QueueSettings, next_attempt_delay, predicted_free_slot
from forecast_export_provider.resource import Outcome, Request, Status
from forecast_export_provider.wait_state import Step, WaitSettings, WaitState
from tests.properties import valid_properties
from tests.standins.memory_forecast import ManualClock, MemoryForecast, MemoryJob
from tests.standins.virtual_time import Conductor

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


@pytest.mark.parametrize("now", [1100.0, 1300.0, 1333.0], ids=["before-the-slot", "after-it", "later"])
def test_each_grid_step_after_the_predicted_slot_lets_the_waiter_queued_longest_try_first(now: float) -> None:
    """Fault table: queued Creates take freed slots first come, first served."""
    jobs = [JobSeen(0.0, 300.0), JobSeen(1000.0, None), JobSeen(1100.0, None), JobSeen(1200.0, None)]
    predicted = 1000.0 + 0.9 * 300.0
    for seed in range(20):
        attempts = [
            now + next_attempt_delay(SETTINGS, jobs, now, random.Random(seed), queued_since=queued)
            for queued in (100.0, 700.0, 1050.0, 1090.0)
        ]
        assert all(attempt > now for attempt in attempts)
        assert all(attempt >= predicted for attempt in attempts), "nobody tries before the predicted slot"
        places = [(attempt - predicted) % SETTINGS.poll for attempt in attempts]
        assert places == sorted(places), "within a step of the shared grid, the earliest queued tries first"


def test_a_job_being_stopped_makes_a_waiter_poll_rather_than_sleep_until_a_prediction() -> None:
    jobs = [JobSeen(0.0, 300.0), JobSeen(1000.0, None, stopping=True), JobSeen(1100.0, None), JobSeen(1200.0, None)]
    assert predicted_free_slot(jobs, margin=0.1) is None
    delays = [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed)) for seed in range(20)]
    assert all(4.0 <= delay <= 12.0 for delay in delays)


def test_a_stopping_job_in_a_list_holds_a_slot() -> None:
    stopping = {"Status": "CREATE_STOPPING", "CreationTime": at(100), "LastModificationTime": at(150)}
    assert JobSeen.from_summary(stopping) == JobSeen(100.0, None, stopping=True)


def test_without_a_prediction_a_waiter_polls_at_the_interval() -> None:
    jobs = [JobSeen(1000.0, None)] * QUOTA
    delays = [next_attempt_delay(SETTINGS, jobs, 1100.0, random.Random(seed)) for seed in range(50)]
    assert all(4.0 <= delay <= 12.0 for delay in delays)
    assert max(delays) - min(delays) > 2.0, "the waiters' attempts are spread, not in lockstep"


# The queue in the lifecycle, against the in-memory Forecast (List pages of 100, oldest job first).

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/queue/5b3e7c80-1d2a-11ef-9a4c-0a1b2c3d4e5f"
JOB_SECONDS = 300.0


def lifecycle_on(forecast: MemoryForecast, clock: Any, seed: int = 1) -> Lifecycle:
    exports = ForecastExports(forecast.client(), clock, Backoff(base=0.5, cap=2.0, rng=random.Random(seed)))
    return Lifecycle(exports, clock, WaitSettings(total_wait=3480.0, poll_interval=4.5), random.Random(seed))


def create_request(index: int) -> Request:
    return Request("Create", STACK_ID, f"Export{index}", f"request-{index}", valid_properties())


def add_job(forecast: MemoryForecast, name: str, created: float, duration: float = JOB_SECONDS) -> MemoryJob:
    """A job of the forecast export kind put straight into Forecast, whatever the quota."""
    kind = FORECAST_EXPORT
    arn = f"arn:aws:forecast:us-east-1:123456789012:{kind.arn_resource_type}/demand/{name}"
    request = {kind.name_property: name, **{k: v for k, v in valid_properties().items() if k != "ServiceToken"}}
    job = MemoryJob(kind, arn, name, request, created, duration)
    forecast.jobs[arn] = job
    return job


def test_a_queued_create_finds_the_jobs_in_progress_beyond_the_first_list_page() -> None:
    """Fault table: the jobs in progress are not on the first List page."""
    clock = ManualClock()
    forecast = MemoryForecast(clock, duration=JOB_SECONDS)
    forecast.quota_per_kind = QUOTA
    start = clock.now()
    for index in range(150):  # finished long ago: the first page, and half of the second
        add_job(forecast, f"old{index}", start - 100_000 + index * 400)
    for index in range(QUOTA):  # in progress, listed after them
        add_job(forecast, f"running{index}", start - 100 + index * 10)
    outcome = lifecycle_on(forecast, clock).run(
        create_request(1), WaitState(Step.CREATE, start, start + 3480), start + 300
    )
    creates, lists = forecast.count("CreateForecastExportJob"), forecast.count("ListForecastExportJobs")
    assert outcome.status is Status.CONTINUE
    assert len(forecast.jobs) == 154, "the Create took the slot the first running job freed"
    assert creates <= 10 and lists <= 40, f"{creates} Creates and {lists} List calls in 300 s"


def test_a_create_refused_while_only_a_stopping_job_holds_the_slot_waits_for_it() -> None:
    """Fault table: a job being stopped holds the only slot."""
    clock = ManualClock()
    forecast = MemoryForecast(clock, duration=60.0, settle=40.0)
    forecast.quota_per_kind = 1
    start = clock.now()
    add_job(forecast, "earlier", start - 100, 60.0)
    stopped = add_job(forecast, "stopping", start - 5)
    stopped.stopped_at = start - 1
    state = WaitState(Step.CREATE, start, start + 3480)
    outcome = lifecycle_on(forecast, clock).run(create_request(1), state, float("inf"))
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert len(forecast.jobs) == 3
    assert clock.now() - start < 40 + 10 + 60 + 10, "the slot was taken soon after the stop completed"


def test_waiters_that_queued_at_different_times_take_the_slots_in_the_order_they_came() -> None:
    """Fault table: queued Creates take freed slots first come, first served."""
    conductor = Conductor(1_767_225_600.0)
    forecast = MemoryForecast(conductor, duration=JOB_SECONDS)  # type: ignore[arg-type]
    forecast.quota_per_kind = QUOTA
    start = conductor.now()
    for index in range(5):
        add_job(forecast, f"old{index}", start - 5_000 + index * 400)
    for index in range(QUOTA):
        add_job(forecast, f"running{index}", start - 250 + index * 50)
    # Some 40 s apart: closer arrivals may be served in either order (docs/design.md).
    arrivals = [0.0, 40.0, 80.0, 120.0, 160.0, 200.0, 240.0]
    answers: dict[int, Outcome] = {}

    def waiter(index: int) -> Callable[[], None]:
        def work() -> None:
            lifecycle = lifecycle_on(forecast, conductor, seed=index)
            request = create_request(index)
            answers[index] = lifecycle.run(request, lifecycle.begin(request), float("inf"))

        return work

    for index in (3, 0, 5, 1, 6, 4, 2):  # spawned out of order
        conductor.spawn(waiter(index), at=start + arrivals[index])
    conductor.run(timeout=60)
    assert conductor.errors == []
    assert all(answer.status is Status.SUCCESS for answer in answers.values())
    taken = sorted(range(len(arrivals)), key=lambda index: forecast.jobs[str(answers[index].physical_id)].created)
    assert taken == sorted(range(len(arrivals)), key=lambda index: arrivals[index])
