"""The lifecycle's Creates in process: starting a job, waiting for it, queueing for a slot of the
concurrent-jobs quota and adopting an export whose name is taken.

Like tests/unit/test_lifecycle.py, these run an in-process Lifecycle on the in-memory Forecast and
a manual clock, and assert what a user of the provider sees: the answer, the calls made to
Forecast, what is left in Forecast and when things happen.
"""

from __future__ import annotations

from typing import Any

import pytest

from forecast_export_provider.lifecycle import Lifecycle
from forecast_export_provider.resource import Status
from forecast_export_provider.validation import parse
from tests.properties import ACCOUNT, REGION, valid_properties
from tests.standins.memory_forecast import ManualClock, MemoryForecast, lifecycle_on
from tests.unit.lifecycle.test_lifecycle import FAR, named, request, run

OTHER_FORECAST = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/returns"
CREATE, LIST, DESCRIBE = "CreateForecastExportJob", "ListForecastExportJobs", "DescribeForecastExportJob"


def export_elsewhere(lifecycle: Lifecycle, name: str, **extra: Any) -> str:
    """An export created outside this request (another stack, another delivery): its ARN."""
    spec = parse(named(name, **extra))
    return lifecycle.exports.create(spec.kind, spec.create_request(name))


# Starting a job and waiting for it


def test_a_new_job_is_first_described_one_poll_interval_after_its_create(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    req = request("Create", valid_properties())
    state = lifecycle.begin(req)
    first = lifecycle.run(req, state, clock.now() + 1.0)
    assert first.status is Status.CONTINUE
    assert forecast.calls == [CREATE], "a job just created is not described at once"
    assert clock.elapsed == pytest.approx(1.0)
    second = lifecycle.run(req, state, clock.now() + 1.0)
    assert second.status is Status.CONTINUE
    assert forecast.calls == [CREATE, DESCRIBE], "the next invocation describes at once"


def test_a_service_timeout_of_exactly_the_margin_fails_at_once_without_a_create(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """Fault table: a ServiceTimeout of 40 s or less leaves a Create no time to wait."""
    outcome, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="40")))
    assert outcome.status is Status.FAILED
    assert "ServiceTimeout 40 leaves no time to wait" in outcome.reason
    assert forecast.calls == []
    assert clock.elapsed == 0.0


def test_an_export_that_disappears_while_awaited_fails_with_its_arn(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.duration = FAR
    req = request("Create", named("vanishing"))
    state = lifecycle.begin(req)
    assert lifecycle.run(req, state, lifecycle.clock.now() + 10.0).status is Status.CONTINUE
    [arn] = forecast.jobs
    del forecast.jobs[arn]  # removed behind the provider's back
    outcome = lifecycle.run(req, state, FAR)
    assert outcome.status is Status.FAILED and outcome.physical_id == arn
    assert "vanishing NOT_FOUND: the export disappeared while waiting" in outcome.reason


def test_an_export_stopped_by_someone_else_while_awaited_fails_with_its_arn(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.duration = FAR
    req = request("Create", named("stopped"))
    state = lifecycle.begin(req)
    assert lifecycle.run(req, state, lifecycle.clock.now() + 10.0).status is Status.CONTINUE
    [arn] = forecast.jobs
    forecast.stop_resource(ResourceArn=arn)
    outcome = lifecycle.run(req, state, FAR)
    assert outcome.status is Status.FAILED and outcome.physical_id == arn
    assert "stopped CREATE_STOPPED: no message from Forecast" in outcome.reason


# Queueing for a slot of the concurrent-jobs quota


def test_a_limit_with_no_job_in_progress_is_looked_at_once_more_before_failing(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """One more look after the recheck pause (List lags Create), not more, then FAILED."""
    forecast.resource_limit_reached = True
    outcome, _ = run(lifecycle, request("Create", valid_properties()))
    assert outcome.status is Status.FAILED
    assert outcome.reason.endswith("(no forecast export job is in progress, so waiting will not lift this limit)")
    assert forecast.calls == [CREATE, LIST, CREATE, LIST]
    assert clock.elapsed == pytest.approx(10.0)


def test_a_freed_slot_taken_by_a_create_list_does_not_show_yet_is_waited_for(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """The request queues behind a job in progress; when that job ends, another stack's Create
    takes the slot just before the request's try, and List shows that job only 5 s later. The
    request looks again after the recheck pause, sees the job, and queues behind it."""
    forecast.quota_per_kind = 1
    forecast.list_lag = 5.0
    blocker = forecast.jobs[export_elsewhere(lifecycle, "blocker")]
    clock.sleep(6.0)
    taken: list[str] = []

    def another_stack_takes_the_freed_slot() -> None:
        if not taken and clock.now() >= blocker.created + blocker.duration:
            taken.append("other_stack")  # before its own Create comes through this hook
            taken[0] = export_elsewhere(lifecycle, "other_stack")

    forecast.faults[CREATE] = another_stack_takes_the_freed_slot
    outcome, state = run(lifecycle, request("Create", valid_properties()))
    assert outcome.status is Status.SUCCESS, outcome.reason
    other = forecast.jobs[taken[0]]
    mine = forecast.jobs[str(outcome.physical_id)]
    assert mine.created >= other.created + other.duration, "it waited for the job that took the slot"
    assert len(forecast.jobs) == 3
    assert state.idle_refusals == 0 and state.queued_since is None


def test_a_request_that_has_queued_for_minutes_tries_early_in_each_step_and_gets_the_slot_within_a_second(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """Three jobs of 600 s hold the quota and a finished one shows the duration: the slot is
    predicted at 540 s, then tried on a 6-s grid. Having queued for nine minutes, the request
    tries within the first second of each step (the longer it has queued, the earlier), so it
    creates its job within a second of the slot freeing at 600 s (queueing.turn_offset)."""
    forecast.duration = 600.0
    forecast.quota_per_kind = 3
    finished, _ = run(lifecycle, request("Create", named("finished")))
    assert finished.status is Status.SUCCESS
    holders = [forecast.jobs[export_elsewhere(lifecycle, f"holder_{index}")] for index in range(3)]
    slot_frees = holders[0].created + 600.0
    clock.sleep(2.0)
    outcome, _ = run(lifecycle, request("Create", named("waiter")))
    assert outcome.status is Status.SUCCESS, outcome.reason
    created = forecast.jobs[str(outcome.physical_id)].created
    assert slot_frees <= created < slot_frees + 1.0
    assert forecast.count(CREATE) - 4 == 1 + 1 + 10, "one try before the prediction, then one per step"


# Adopting an export whose name is taken


def test_a_repeated_create_finds_its_export_with_one_list_filtered_by_its_source(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """A hundred exports of another forecast fill the first unfiltered List page; filtered by the
    export's forecast, one List call finds it, and adopting an ACTIVE export takes no pause."""
    for index in range(100):
        export_elsewhere(lifecycle, f"other_{index}", ForecastArn=OTHER_FORECAST)
    first, _ = run(lifecycle, request("Create", valid_properties()))
    calls, started = len(forecast.calls), clock.now()
    again, _ = run(lifecycle, request("Create", valid_properties()))
    assert again.status is Status.SUCCESS and again.physical_id == first.physical_id
    assert forecast.calls[calls:] == [CREATE, LIST, DESCRIBE, DESCRIBE]
    assert clock.now() == started


def test_a_search_for_a_taken_name_pauses_one_two_four_and_eight_look_again_units(
    forecast: MemoryForecast, clock: ManualClock
) -> None:
    lifecycle = lifecycle_on(forecast, clock, look_again=2.0)
    run(lifecycle, request("Create", named("hidden")))
    forecast.list_lag = FAR
    calls, started = len(forecast.calls), clock.now()
    outcome, _ = run(lifecycle, request("Create", named("hidden")))
    assert outcome.status is Status.FAILED and "List does not show it" in outcome.reason
    assert clock.now() - started == pytest.approx(2.0 * (1 + 2 + 4 + 8))
    assert forecast.calls[calls:] == [CREATE] + [LIST] * 5


@pytest.mark.parametrize(("service_timeout", "searched"), [("43", 1.0), ("45", 3.0)])
def test_a_search_for_a_taken_name_takes_no_look_that_would_end_at_or_after_the_deadline(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock, service_timeout: str, searched: float
) -> None:
    """The deadline is 3 s (or 5 s) away: after the 1-s pause, the 2-s one would reach it (or the
    4-s one pass it), so the search ends there with the name's own reason, not a time-out."""
    run(lifecycle, request("Create", named("hidden")))
    forecast.list_lag = FAR
    started = clock.now()
    outcome, _ = run(lifecycle, request("Create", named("hidden", ServiceTimeout=service_timeout)))
    assert outcome.status is Status.FAILED
    assert "A forecast export job named hidden exists but List does not show it" in outcome.reason
    assert clock.now() - started == pytest.approx(searched)


def test_a_search_for_a_taken_name_that_reaches_the_hand_over_point_goes_on_in_the_next_invocation(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """The hand-over is 3 s away: after the 1-s pause the 2-s one would reach it, so the
    invocation hands over at once; the next one finds the export once List shows it."""
    first, _ = run(lifecycle, request("Create", named("lagging")))
    [job] = forecast.jobs.values()
    forecast.list_lag = clock.now() - job.created + 2.5  # List shows it 2.5 s from now
    req = request("Create", named("lagging"), request_id="request-2")
    state = lifecycle.begin(req)
    started = clock.now()
    handed_over = lifecycle.run(req, state, started + 3.0)
    assert handed_over.status is Status.CONTINUE
    assert clock.now() - started == pytest.approx(1.0)
    outcome = lifecycle.run(req, state, clock.now() + 900.0)
    assert outcome.status is Status.SUCCESS and outcome.physical_id == first.physical_id
    assert len(forecast.jobs) == 1


def test_a_taken_name_whose_export_is_being_deleted_fails_naming_that_status_among_the_differences(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    first, _ = run(lifecycle, request("Create", named("leaving")))
    deleting, _ = run(lifecycle, request("Delete", named("leaving"), physical_id=first.physical_id), 1.0)
    assert deleting.status is Status.CONTINUE
    outcome, _ = run(lifecycle, request("Create", named("leaving"), logical_id="Other"))
    assert outcome.status is Status.FAILED and outcome.physical_id is None
    assert "already exists with different settings (Status DELETE_IN_PROGRESS)" in outcome.reason
    other, _ = run(lifecycle, request("Create", named("leaving", Format="PARQUET"), logical_id="Other"))
    assert "different settings (Format, Status DELETE_IN_PROGRESS)" in other.reason
    assert forecast.status_of(str(first.physical_id)) == "DELETE_IN_PROGRESS"


def test_a_taken_name_whose_export_is_gone_before_it_is_described_fails_naming_the_name(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    run(lifecycle, request("Create", named("fleeting")))
    forecast.faults[DESCRIBE] = forecast.jobs.clear  # deleted between the List and the Describe
    outcome, _ = run(lifecycle, request("Create", named("fleeting")))
    assert outcome.status is Status.FAILED and outcome.physical_id is None
    assert "named fleeting exists but could not be described; choose another name" in outcome.reason


def test_an_export_created_by_a_later_delivery_keeps_the_deadline_of_the_first_arrival(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """The request queues (the account's limit is reached) and hands over; a duplicate delivery
    of it creates the job 100 s later; the request then adopts that job, still bound by the
    deadline counted from its own first arrival."""
    req = request("Create", named("duplicated"))
    state = lifecycle.begin(req)
    forecast.resource_limit_reached = True
    assert lifecycle.run(req, state, clock.now() + 0.5).status is Status.CONTINUE
    forecast.resource_limit_reached = False
    forecast.duration = FAR
    clock.sleep(100.0)
    duplicate, _ = run(lifecycle, req, handoff_after=0.5)
    assert duplicate.status is Status.CONTINUE
    clock.sleep(10.0)
    outcome = lifecycle.run(req, state, FAR)
    assert outcome.status is Status.FAILED and "CREATE_IN_PROGRESS" in outcome.reason
    assert outcome.physical_id == next(iter(forecast.jobs))
    assert 3480.0 - 4.5 <= clock.elapsed <= 3480.0
