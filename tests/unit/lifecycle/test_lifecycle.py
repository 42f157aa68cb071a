"""The lifecycle in process: every step and outcome against an in-memory Forecast on a manual clock.

These run in milliseconds. The functional tests prove the same behaviour through crhelper, the
Lambda runtime and Forecast's wire protocol; these pin the domain logic one case at a time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from forecast_export_provider.lifecycle import Lifecycle, failure_physical_id
from forecast_export_provider.resource import Outcome, Request, Status
from forecast_export_provider.wait_state import Step, WaitState
from tests.properties import RESOURCE_TYPES, valid_properties
from tests.standins.memory_forecast import ManualClock, MemoryForecast, lifecycle_on

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/forecast-exports/5b3e7c80-1d2a-11ef-9a4c-0a1b2c3d4e5f"
FAR = float("inf")


def request(request_type: str, properties: dict[str, Any], **fields: Any) -> Request:
    return Request(
        request_type=request_type,
        stack_id=STACK_ID,
        logical_id=fields.pop("logical_id", "DailyExport"),
        request_id=fields.pop("request_id", "request-1"),
        properties=properties,
        **fields,
    )


def run(lifecycle: Lifecycle, req: Request, handoff_after: float = FAR) -> tuple[Outcome, WaitState]:
    state = lifecycle.begin(req)
    outcome = lifecycle.run(req, state, lifecycle.clock.now() + handoff_after)
    return outcome, state


def run_to_the_end(lifecycle: Lifecycle, req: Request, invocation_seconds: float) -> tuple[Outcome, int]:
    """Run invocation after invocation, the state travelling as JSON, until the request settles."""
    state = lifecycle.begin(req)
    invocations = 0
    while True:
        invocations += 1
        assert invocations < 1000, "the request never settles"
        outcome = lifecycle.run(req, state, lifecycle.clock.now() + invocation_seconds)
        if outcome.status is not Status.CONTINUE:
            return outcome, invocations
        state = WaitState.from_json(json.loads(json.dumps(state.to_json())))
        lifecycle.clock.sleep(1.0)


def named(name: str, **extra: Any) -> dict[str, Any]:
    return valid_properties(ForecastExportJobName=name, **extra)


def replacement_of(created: Outcome, **extra: Any) -> Request:
    """The Update that replaces ``created``'s export (its Format changes)."""
    return request(
        "Update",
        valid_properties(Format="PARQUET", **extra),
        old_properties=valid_properties(**extra),
        physical_id=created.physical_id,
        request_id="request-2",
    )


def clean_up_to_the_end(lifecycle: Lifecycle, req: Request, state: WaitState) -> Outcome:
    """Run an answered request's clean-up, invocation after invocation of 900 s, until it ends."""
    assert state.answered
    for _ in range(100):
        state = WaitState.from_json(json.loads(json.dumps(state.to_json())))
        outcome = lifecycle.run(req, state, lifecycle.clock.now() + 850.0)
        if outcome.status is not Status.CONTINUE:
            return outcome
        lifecycle.clock.sleep(1.0)
    raise AssertionError("the clean-up never ends")


# Create


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_create_succeeds_once_active_with_the_attributes(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock, resource_type: str
) -> None:
    outcome, _ = run(lifecycle, request("Create", valid_properties(resource_type)))
    [job] = forecast.jobs.values()
    assert outcome.status is Status.SUCCESS
    assert outcome.physical_id == job.arn == outcome.data["Arn"]
    assert outcome.data["Status"] == "ACTIVE"
    assert 60.0 <= clock.elapsed <= 60.0 + 4.5


def test_create_failed_answers_with_the_jobs_arn_and_forecasts_message(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.fail_with = "AccessDenied: cannot write"
    outcome, _ = run(lifecycle, request("Create", valid_properties()))
    [job] = forecast.jobs.values()
    assert outcome.status is Status.FAILED
    assert outcome.physical_id == job.arn
    assert "AccessDenied: cannot write" in outcome.reason and "CREATE_FAILED" in outcome.reason


def test_bad_properties_fail_before_any_call(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    outcome, _ = run(lifecycle, request("Create", valid_properties(Format="JSON")))
    assert outcome.status is Status.FAILED and "Format" in outcome.reason
    assert outcome.physical_id is None
    assert forecast.calls == []


def test_a_repeated_create_adopts_the_job_of_the_first(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    first, _ = run(lifecycle, request("Create", valid_properties()))
    again, _ = run(lifecycle, request("Create", valid_properties()))
    assert again.status is Status.SUCCESS and again.physical_id == first.physical_id
    assert len(forecast.jobs) == 1


def test_a_taken_name_with_other_settings_fails_and_leaves_that_export_alone(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    first, _ = run(lifecycle, request("Create", named("shared")))
    other, _ = run(lifecycle, request("Create", named("shared", Format="PARQUET"), logical_id="Other"))
    assert other.status is Status.FAILED and "different settings (Format)" in other.reason
    assert other.physical_id != first.physical_id
    assert forecast.status_of(str(first.physical_id)) == "ACTIVE"


def test_a_taken_name_that_list_shows_late_is_adopted_after_looking_again(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    run(lifecycle, request("Create", named("lagging")))
    forecast.list_lag = 6.0
    clock.moment = next(iter(forecast.jobs.values())).created + 1.0
    outcome, _ = run(lifecycle, request("Create", named("lagging")))
    assert outcome.status is Status.SUCCESS
    assert len(forecast.jobs) == 1


def test_a_taken_name_that_list_never_shows_fails_after_a_bounded_search(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    run(lifecycle, request("Create", named("hidden")))
    forecast.list_lag = FAR
    started = clock.now()
    outcome, _ = run(lifecycle, request("Create", named("hidden")))
    assert outcome.status is Status.FAILED and "List does not show it" in outcome.reason
    assert outcome.physical_id is None
    assert clock.now() - started < 30


def test_a_limit_with_no_job_in_progress_fails_within_a_minute(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.resource_limit_reached = True
    outcome, _ = run(lifecycle, request("Create", valid_properties()))
    assert outcome.status is Status.FAILED
    assert "exceeded the limit" in outcome.reason and "waiting will not lift" in outcome.reason
    assert clock.elapsed < 60
    assert forecast.jobs == {}


def test_a_create_refused_for_the_quota_queues_and_takes_a_freed_slot(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.quota_per_kind = 1
    first, _ = run(lifecycle, request("Create", valid_properties()), handoff_after=0.5)
    assert first.status is Status.CONTINUE
    outcome, state = run(lifecycle, request("Create", valid_properties(), request_id="request-2"))
    assert outcome.status is Status.SUCCESS
    assert len(forecast.jobs) == 2
    assert forecast.count("CreateForecastExportJob") > 2, "the second Create was refused first"
    assert state.queued_since is None


def test_a_job_that_never_ends_fails_at_the_deadline_with_its_arn(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.duration = FAR
    outcome, _ = run(lifecycle, request("Create", named("stuck")))
    assert outcome.status is Status.FAILED
    assert "stuck" in outcome.reason and "CREATE_IN_PROGRESS" in outcome.reason
    assert outcome.physical_id == next(iter(forecast.jobs))
    assert clock.elapsed <= 3480.0


def test_the_deadline_ends_forty_seconds_before_the_service_timeout(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """Fault table: a ServiceTimeout shorter than the job. Bounded on both sides: 30 s before the
    end is the contract's latest, 40 s the design's margin; waiting less is giving up early."""
    forecast.duration = FAR
    outcome, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="600")))
    assert outcome.status is Status.FAILED
    assert 600 - 40 - 4.5 <= clock.elapsed <= 600 - 40


def test_requests_that_need_no_wait_are_answered_whatever_their_service_timeout(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    """Fault table: a ServiceTimeout of 40 s or less on a request that needs no wait."""
    created, _ = run(lifecycle, request("Create", valid_properties()))
    short = valid_properties(ServiceTimeout="30")
    unchanged, _ = run(
        lifecycle, request("Update", short, old_properties=valid_properties(), physical_id=created.physical_id)
    )
    assert unchanged.status is Status.SUCCESS, unchanged.reason
    assert unchanged.physical_id == created.physical_id
    failed_create = "stack_DailyExport_ABCDEFGH"
    rollback_delete, _ = run(lifecycle, request("Delete", short, physical_id=failed_create))
    assert rollback_delete.status is Status.SUCCESS, rollback_delete.reason
    assert forecast.count("CreateForecastExportJob") == 1


def test_a_replacement_gets_as_long_to_wait_as_a_create(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    """Fault table: a replacement with a ServiceTimeout that leaves a Create time enough."""
    forecast.duration = 200.0
    created, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="330")))
    assert created.status is Status.SUCCESS, created.reason
    replaced, _ = run(lifecycle, replacement_of(created, ServiceTimeout="330"))
    assert replaced.status is Status.SUCCESS, replaced.reason
    assert replaced.physical_id != created.physical_id


def test_a_failed_replacement_whose_stop_outlasts_the_deadline_is_answered_on_time_then_deleted(
    clock: ManualClock,
) -> None:
    """Fault table: a failed replacement that cannot be deleted before the answer is due.

    Stopping and deleting take 400 s each; the replacement never finishes, and its deadline is
    560 s away (ServiceTimeout 600). The FAILED answer (old id) comes at the deadline, and the
    clean-up after it removes the new export.
    """
    forecast = MemoryForecast(clock, duration=60.0, settle=400.0)
    lifecycle = lifecycle_on(forecast, clock)
    created, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="600")))
    forecast.duration = FAR
    started = clock.now()
    req = replacement_of(created, ServiceTimeout="600")
    outcome, state = run(lifecycle, req)
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert 600 - 40 - 4.5 <= clock.now() - started <= 600 - 40, "answered before or after its deadline"
    assert outcome.clean_up_after and "deleted after this answer" in outcome.reason
    assert clean_up_to_the_end(lifecycle, req, state).status is Status.SUCCESS
    assert [job.arn for job in forecast.live()] == [created.physical_id]


def test_a_service_timeout_too_short_to_wait_fails_at_once(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    outcome, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="30")))
    assert outcome.status is Status.FAILED and "ServiceTimeout" in outcome.reason
    assert forecast.calls == []


def test_a_retried_create_counts_its_deadline_from_the_jobs_creation(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.duration = FAR
    first = request("Create", named("slow"))
    run(lifecycle, first, handoff_after=10.0)
    clock.sleep(3000.0)  # a crash, then Lambda's retry of the original event much later
    outcome, _ = run(lifecycle, first)
    assert outcome.status is Status.FAILED
    created = next(iter(forecast.jobs.values())).created
    assert clock.now() - created <= 3480.0 + 1


def test_a_long_job_hands_over_with_state_that_survives_json(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    forecast.duration = 1800.0
    outcome, invocations = run_to_the_end(lifecycle, request("Create", valid_properties()), invocation_seconds=850.0)
    assert outcome.status is Status.SUCCESS
    assert invocations == 3
    assert forecast.count("CreateForecastExportJob") == 1


def test_an_invocation_waits_until_its_hand_over_point(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.duration = FAR
    req = request("Create", valid_properties())
    state = lifecycle.begin(req)
    outcome = lifecycle.run(req, state, clock.now() + 100.0)
    assert outcome.status is Status.CONTINUE
    assert clock.elapsed == pytest.approx(100.0)


# Update


def test_a_no_change_update_makes_no_call_but_describe_and_tags(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    outcome, _ = run(
        lifecycle,
        request("Update", valid_properties(), old_properties=valid_properties(), physical_id=created.physical_id),
    )
    assert outcome.status is Status.SUCCESS and outcome.physical_id == created.physical_id
    assert forecast.count("CreateForecastExportJob") == 1


def test_a_tags_only_update_removes_before_it_adds_and_stays_within_fifty(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    old = valid_properties(Tags=[{"Key": f"old{i}", "Value": "v"} for i in range(50)])
    new = valid_properties(Tags=[{"Key": f"new{i}", "Value": "v"} for i in range(50)])
    created, _ = run(lifecycle, request("Create", old))
    outcome, _ = run(lifecycle, request("Update", new, old_properties=old, physical_id=created.physical_id))
    assert outcome.status is Status.SUCCESS and outcome.physical_id == created.physical_id
    assert forecast.jobs[str(created.physical_id)].tags == {f"new{i}": "v" for i in range(50)}
    assert forecast.calls[-2:] == ["UntagResource", "TagResource"]


def test_a_tag_limit_from_forecast_fails_at_once(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.jobs[str(created.physical_id)].tags = {f"outside{i}": "v" for i in range(45)}
    new = valid_properties(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(10)])
    started = clock.now()
    outcome, _ = run(
        lifecycle, request("Update", new, old_properties=valid_properties(), physical_id=created.physical_id)
    )
    assert outcome.status is Status.FAILED and "TagResource" in outcome.reason and "50 tags" in outcome.reason
    assert outcome.physical_id == created.physical_id
    assert clock.now() - started < 1


def test_a_changed_setting_replaces_the_export(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    outcome, _ = run(
        lifecycle,
        request(
            "Update",
            valid_properties(Format="PARQUET"),
            old_properties=valid_properties(),
            physical_id=created.physical_id,
            request_id="request-2",
        ),
    )
    assert outcome.status is Status.SUCCESS and outcome.physical_id != created.physical_id
    assert forecast.jobs[str(outcome.physical_id)].request["Format"] == "PARQUET"


def test_a_failed_replacement_is_deleted_and_the_old_id_kept(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.fail_with = "Forecast could not write"
    outcome, _ = run(
        lifecycle,
        request(
            "Update",
            valid_properties(Format="PARQUET"),
            old_properties=valid_properties(),
            physical_id=created.physical_id,
            request_id="request-2",
        ),
    )
    assert outcome.status is Status.FAILED and "Forecast could not write" in outcome.reason
    assert outcome.physical_id == created.physical_id
    assert [job.arn for job in forecast.live()] == [created.physical_id]


def test_a_kept_explicit_name_cannot_be_replaced(lifecycle: Lifecycle) -> None:
    created, _ = run(lifecycle, request("Create", named("fixed")))
    outcome, _ = run(
        lifecycle,
        request(
            "Update", named("fixed", Format="PARQUET"), old_properties=named("fixed"), physical_id=created.physical_id
        ),
    )
    assert outcome.status is Status.FAILED and "change the name or omit it" in outcome.reason
    assert outcome.physical_id == created.physical_id


def test_a_replacement_that_cannot_continue_is_deleted_after_the_answer(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    """Fault table: the continuation cannot be started in an Update's replacement."""
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.duration = FAR
    req = replacement_of(created)
    state = lifecycle.begin(req)
    assert lifecycle.run(req, state, lifecycle.clock.now() + 10.0).status is Status.CONTINUE
    calls = len(forecast.calls)
    note = lifecycle.abandon(req, state)
    assert "deleted after this answer" in note
    assert len(forecast.calls) == calls, "nothing may delay the answer"
    assert failure_physical_id(req, state) == created.physical_id
    assert clean_up_to_the_end(lifecycle, req, state).status is Status.SUCCESS
    assert [job.arn for job in forecast.live()] == [created.physical_id]


# Delete


def test_a_delete_of_an_id_that_is_no_export_makes_no_call(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id="stack_Export_ABCDEFGH"))
    assert outcome.status is Status.SUCCESS
    assert forecast.calls == []


def test_a_delete_removes_an_active_export(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=created.physical_id))
    assert outcome.status is Status.SUCCESS
    assert forecast.live() == []


def test_a_delete_stops_a_job_in_progress_first(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    forecast.duration = FAR
    created, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    assert created.status is Status.CONTINUE
    assert failure_physical_id(request("Create", valid_properties()), state) == state.arn is not None
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.SUCCESS
    assert forecast.count("StopResource") == 1
    assert forecast.live() == []


def test_a_stop_that_loses_the_race_to_active_is_no_failure(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    forecast.duration = FAR
    run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    forecast.stop_loses_race = True
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=next(iter(forecast.jobs))))
    assert outcome.status is Status.SUCCESS
    assert forecast.live() == []


def test_a_what_if_export_in_progress_is_waited_for_then_deleted(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    properties = valid_properties("Custom::WhatIfForecastExport")
    run(lifecycle, request("Create", properties), handoff_after=5.0)
    outcome, _ = run(lifecycle, request("Delete", properties, physical_id=next(iter(forecast.jobs))))
    assert outcome.status is Status.SUCCESS
    assert forecast.count("StopResource") == 0
    assert forecast.live() == []


def test_delete_takes_the_kind_from_the_arn(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    outcome, _ = run(
        lifecycle, request("Delete", valid_properties("Custom::WhatIfForecastExport"), physical_id=created.physical_id)
    )
    assert outcome.status is Status.SUCCESS
    assert forecast.count("DeleteForecastExportJob") >= 1


def test_delete_failed_answers_with_forecasts_message(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.delete_fails_with = "files are locked"
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=created.physical_id))
    assert outcome.status is Status.FAILED
    assert "files are locked" in outcome.reason and outcome.physical_id == created.physical_id


# State


def test_the_wait_state_survives_a_round_trip_through_json() -> None:
    state = WaitState(Step.QUEUE, 1.0, 2.0, kind="forecast_export", arn="arn", queued_since=1.5, replacing=True)
    again = WaitState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    assert again.step is Step.QUEUE


def test_a_poll_interval_longer_than_an_invocation_still_makes_progress(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.duration = 6.0
    outcome, invocations = run_to_the_end(lifecycle, request("Create", valid_properties()), invocation_seconds=2.0)
    assert outcome.status is Status.SUCCESS
    assert invocations <= 5
