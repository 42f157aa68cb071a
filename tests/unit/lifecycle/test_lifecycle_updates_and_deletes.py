"""Updates, Deletes and the clean-up of failed replacements, in process, case by case.

Like tests/unit/test_lifecycle.py (whose helpers these share), against an in-memory Forecast on a
manual clock: what each answer says (status, physical id, reason), which calls reach Forecast and
what is left in it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from forecast_export_provider.lifecycle import Lifecycle, export_name, failure_physical_id
from forecast_export_provider.resource import Status
from tests.properties import ROLE_ARN, valid_properties
from tests.standins.memory_forecast import ManualClock, MemoryForecast, lifecycle_on
from tests.unit.lifecycle.test_lifecycle import (
    FAR,
    clean_up_to_the_end,
    named,
    replacement_of,
    request,
    run,
    run_to_the_end,
)


def refused(operation: str, code: str, times: float = FAR, *, after: int = 0) -> Callable[[], None]:
    """A fault hook: after ``after`` calls answered, ``times`` calls of ``operation`` are refused with ``code``."""
    calls = [0]

    def hook() -> None:
        calls[0] += 1
        if after < calls[0] <= after + times:
            response: Any = {"Error": {"Code": code, "Message": f"{code} from Forecast"}}
            raise ClientError(response, operation)

    return hook


class StopShownLate(MemoryForecast):
    """A Forecast whose Describe shows an accepted stop only ``lag`` seconds after StopResource."""

    def __init__(self, clock: ManualClock, lag: float) -> None:
        super().__init__(clock, duration=FAR)
        self.lag = lag
        self.stops: dict[str, float] = {}

    def stop_resource(self, ResourceArn: str) -> dict[str, Any]:
        self._record("StopResource")
        job = self._job(ResourceArn, "StopResource")
        assert job.status(self.clock.now(), self.settle) in ("CREATE_PENDING", "CREATE_IN_PROGRESS")
        self.stops.setdefault(ResourceArn, self.clock.now())
        return {}

    def _record(self, operation: str) -> None:
        for arn, accepted in self.stops.items():
            if self.clock.now() >= accepted + self.lag:
                self.jobs[arn].stopped_at = accepted
        super()._record(operation)


# The physical id of a FAILED answer given outside the lifecycle's run


def test_a_create_answered_before_its_job_exists_has_no_physical_id() -> None:
    assert failure_physical_id(request("Create", valid_properties()), None) is None


def test_an_update_or_delete_answered_outside_its_run_keeps_the_id_it_was_sent() -> None:
    for request_type in ("Update", "Delete"):
        req = request(request_type, valid_properties(), physical_id="arn:aws:forecast:us-east-1:1:x/y/z")
        assert failure_physical_id(req, None) == "arn:aws:forecast:us-east-1:1:x/y/z"


def test_a_create_whose_describe_is_refused_fails_with_the_jobs_arn(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    """So that the rollback Delete removes the job."""
    forecast.faults["DescribeForecastExportJob"] = refused("DescribeForecastExportJob", "AccessDeniedException")
    outcome, _ = run(lifecycle, request("Create", valid_properties()))
    [job] = forecast.jobs.values()
    assert outcome.status is Status.FAILED and outcome.physical_id == job.arn
    assert outcome.reason == "DescribeForecastExportJob failed: AccessDeniedException from Forecast"


# Update: kept, waited for, or replaced


def test_an_update_of_an_id_that_is_no_export_creates_one_without_describing_it(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    outcome, _ = run(lifecycle, request("Update", valid_properties(), physical_id="stack_DailyExport_ABCDEFGH"))
    [job] = forecast.jobs.values()
    assert outcome.status is Status.SUCCESS and outcome.physical_id == job.arn
    assert forecast.calls[0] == "CreateForecastExportJob"


def test_an_update_of_an_export_deleted_outside_the_stack_creates_a_new_one(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.jobs.clear()
    outcome, _ = run(
        lifecycle,
        request("Update", valid_properties(), old_properties=valid_properties(), physical_id=created.physical_id),
    )
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert [job.arn for job in forecast.live()] == [outcome.physical_id]


def test_a_no_change_update_of_a_named_export_keeps_it_and_answers_its_attributes(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", named("fixed")))
    outcome, _ = run(
        lifecycle, request("Update", named("fixed"), old_properties=named("fixed"), physical_id=created.physical_id)
    )
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert outcome.physical_id == created.physical_id
    assert outcome.data == created.data and outcome.data["Name"] == "fixed"
    assert forecast.count("CreateForecastExportJob") == 1


def test_a_no_change_update_of_an_export_in_progress_waits_until_it_is_active(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    created, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    assert created.status is Status.CONTINUE
    outcome, _ = run(
        lifecycle, request("Update", valid_properties(), old_properties=valid_properties(), physical_id=state.arn)
    )
    assert outcome.status is Status.SUCCESS and outcome.physical_id == state.arn
    assert outcome.data["Status"] == "ACTIVE"
    assert 60.0 <= clock.elapsed <= 60.0 + 4.5
    assert forecast.count("CreateForecastExportJob") == 1


def test_a_no_change_update_that_times_out_reports_the_status_it_last_saw(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    """Fault table: a ServiceTimeout shorter than the job. Describe is throttled after the Update's
    own look, until the deadline: the reason gives the status that look saw."""
    forecast.duration = FAR
    properties = valid_properties(ServiceTimeout="600")
    _, state = run(lifecycle, request("Create", properties), handoff_after=5.0)
    throttled = refused("DescribeForecastExportJob", "ThrottlingException", after=1)
    forecast.faults["DescribeForecastExportJob"] = throttled
    req = request("Update", properties, old_properties=properties, physical_id=state.arn)
    outcome, _ = run_to_the_end(lifecycle, req, invocation_seconds=900.0)
    assert outcome.status is Status.FAILED and outcome.physical_id == state.arn
    assert "last status CREATE_IN_PROGRESS" in outcome.reason and "ThrottlingException" in outcome.reason
    assert forecast.status_of(str(state.arn)) == "CREATE_IN_PROGRESS", "a kept export is never deleted"


def test_a_no_change_update_whose_export_fails_answers_failed_and_leaves_the_export(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.fail_with = "Forecast could not write"
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    outcome, _ = run(
        lifecycle, request("Update", valid_properties(), old_properties=valid_properties(), physical_id=state.arn)
    )
    assert outcome.status is Status.FAILED and outcome.physical_id == state.arn
    assert "CREATE_FAILED: Forecast could not write" in outcome.reason
    assert not outcome.clean_up_after
    assert forecast.status_of(str(state.arn)) == "CREATE_FAILED"
    assert forecast.count("DeleteForecastExportJob") == 0 and forecast.count("StopResource") == 0


def test_a_new_explicit_name_replaces_the_export(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", named("old_name")))
    outcome, _ = run(
        lifecycle,
        request("Update", named("new_name"), old_properties=named("old_name"), physical_id=created.physical_id),
    )
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert outcome.physical_id != created.physical_id
    assert forecast.jobs[str(outcome.physical_id)].name == "new_name"


def test_dropping_an_explicit_name_replaces_the_export_under_a_generated_one(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", named("fixed")))
    outcome, _ = run(
        lifecycle, request("Update", valid_properties(), old_properties=named("fixed"), physical_id=created.physical_id)
    )
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert outcome.physical_id != created.physical_id
    assert forecast.jobs[str(outcome.physical_id)].name != "fixed"


def test_a_kept_explicit_name_names_every_change_that_would_replace_the_export(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", named("fixed")))
    other_path = {"S3Config": {"Path": "s3://forecast-exports-bucket/other/", "RoleArn": ROLE_ARN}}
    outcome, _ = run(
        lifecycle,
        request(
            "Update",
            named("fixed", Format="PARQUET", Destination=other_path),
            old_properties=named("fixed"),
            physical_id=created.physical_id,
        ),
    )
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert outcome.reason == (
        "Changing Destination.S3Config.Path, Format replaces the export, but ForecastExportJobName fixed "
        "stays the same: change the name or omit it"
    )
    assert forecast.count("CreateForecastExportJob") == 1


# Update: a replacement that fails


def test_a_replacement_refused_by_forecast_answers_forecasts_message_alone(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.faults["CreateForecastExportJob"] = refused("CreateForecastExportJob", "AccessDeniedException")
    outcome, _ = run(lifecycle, replacement_of(created))
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert outcome.reason == "CreateForecastExportJob failed: AccessDeniedException from Forecast"
    assert [job.arn for job in forecast.live()] == [created.physical_id]


def test_a_replacement_in_progress_that_fails_is_stopped_and_deleted_before_the_answer(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """A Describe refused while the replacement runs: the job is stopped at once, not waited for."""
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.duration = FAR
    forecast.faults["DescribeForecastExportJob"] = refused(
        "DescribeForecastExportJob", "AccessDeniedException", 1, after=1
    )
    started = clock.now()
    outcome, _ = run(lifecycle, replacement_of(created))
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert outcome.reason == "DescribeForecastExportJob failed: AccessDeniedException from Forecast"
    assert not outcome.clean_up_after
    assert forecast.count("StopResource") == 1
    assert clock.now() - started < 60
    assert [job.arn for job in forecast.live()] == [created.physical_id]


def test_a_failed_replacement_whose_delete_is_throttled_is_still_deleted_before_the_answer(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.fail_with = "Forecast could not write"
    forecast.faults["DeleteForecastExportJob"] = refused("DeleteForecastExportJob", "ThrottlingException", 1)
    outcome, _ = run(lifecycle, replacement_of(created))
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert "Forecast could not write" in outcome.reason and not outcome.clean_up_after
    assert forecast.count("DeleteForecastExportJob") == 2
    assert [job.arn for job in forecast.live()] == [created.physical_id]


def test_a_failed_replacement_that_cannot_be_deleted_answers_both_failures(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.fail_with = "Forecast could not write"
    forecast.delete_fails_with = "files are locked"
    outcome, state = run(lifecycle, replacement_of(created))
    name = export_name(str(state.arn))
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert outcome.reason == (
        f"forecast export job {name} CREATE_FAILED: Forecast could not write; "
        f"then Deleting forecast export job {name} failed: files are locked"
    )


def test_a_replacement_still_running_at_the_deadline_is_answered_without_a_call_then_deleted(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    """Fault table: a failed replacement that cannot be deleted before the answer is due. At the
    deadline itself the answer goes out first; stopping the replacement waits for the clean-up."""
    created, _ = run(lifecycle, request("Create", valid_properties(ServiceTimeout="600")))
    forecast.duration = FAR
    started = clock.now()
    req = replacement_of(created, ServiceTimeout="600")
    outcome, state = run(lifecycle, req)
    name = export_name(str(state.arn))
    assert clock.now() - started == 600 - 40
    assert outcome.status is Status.FAILED and outcome.physical_id == created.physical_id
    assert outcome.clean_up_after and outcome.reason.endswith(f"; {name} is deleted after this answer")
    assert forecast.count("StopResource") == 0, "nothing may delay the answer"
    assert clean_up_to_the_end(lifecycle, req, state).status is Status.SUCCESS
    assert forecast.count("StopResource") == 1
    assert [job.arn for job in forecast.live()] == [created.physical_id]


# Delete


def test_a_delete_of_an_id_that_is_no_export_answers_with_that_id(lifecycle: Lifecycle) -> None:
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id="stack_Export_ABCDEFGH"))
    assert outcome.status is Status.SUCCESS and outcome.physical_id == "stack_Export_ABCDEFGH"


def test_a_delete_answers_with_the_deleted_exports_arn(lifecycle: Lifecycle, forecast: MemoryForecast) -> None:
    created, _ = run(lifecycle, request("Create", valid_properties()))
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=created.physical_id))
    assert outcome.status is Status.SUCCESS and outcome.physical_id == created.physical_id
    assert forecast.live() == []


def test_a_delete_of_a_job_in_progress_deletes_once_after_the_stop_has_settled(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.duration = FAR
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.SUCCESS
    assert forecast.count("StopResource") == 1 and forecast.count("DeleteForecastExportJob") == 1
    assert forecast.live() == []


def test_a_stop_that_describe_shows_late_is_requested_once(clock: ManualClock) -> None:
    forecast = StopShownLate(clock, lag=10.0)
    lifecycle = lifecycle_on(forecast, clock)
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.SUCCESS
    assert forecast.count("StopResource") == 1
    assert forecast.live() == []


def test_a_stop_refused_three_times_is_tried_again_until_accepted(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    forecast.duration = FAR
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    forecast.faults["StopResource"] = refused("StopResource", "ResourceInUseException", 3)
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert forecast.count("StopResource") == 4
    assert forecast.live() == []


def test_a_stop_refused_a_fourth_time_fails_the_delete_with_forecasts_message(
    lifecycle: Lifecycle, forecast: MemoryForecast, clock: ManualClock
) -> None:
    forecast.duration = FAR
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    forecast.faults["StopResource"] = refused("StopResource", "ResourceInUseException")
    started = clock.now()
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.FAILED and outcome.physical_id == state.arn
    assert outcome.reason == "StopResource failed: ResourceInUseException from Forecast"
    assert forecast.count("StopResource") == 4
    assert clock.now() - started < 60


def test_a_stop_answered_not_found_while_the_job_still_shows_is_tried_again(
    lifecycle: Lifecycle, forecast: MemoryForecast
) -> None:
    """The job may have gone between the Describe and the stop: not found is no refusal, look again."""
    forecast.duration = FAR
    _, state = run(lifecycle, request("Create", valid_properties()), handoff_after=5.0)
    forecast.faults["StopResource"] = refused("StopResource", "ResourceNotFoundException", 5)
    outcome, _ = run(lifecycle, request("Delete", valid_properties(), physical_id=state.arn))
    assert outcome.status is Status.SUCCESS, outcome.reason
    assert forecast.count("StopResource") == 6
    assert forecast.live() == []


def test_a_failed_replacement_whose_deletion_cannot_continue_is_deleted_after_the_answer(clock: ManualClock) -> None:
    """Fault table: the continuation cannot be started in an Update's replacement, here while the
    failed replacement is being stopped: the answer names the replacement's failure, and the
    replacement is deleted after it."""
    forecast = MemoryForecast(clock, duration=60.0, settle=400.0)
    lifecycle = lifecycle_on(forecast, clock)
    created, _ = run(lifecycle, request("Create", valid_properties()))
    forecast.duration = FAR
    forecast.faults["DescribeForecastExportJob"] = refused(
        "DescribeForecastExportJob", "AccessDeniedException", 1, after=1
    )
    req = replacement_of(created)
    state = lifecycle.begin(req)
    assert lifecycle.run(req, state, clock.now() + 10.0).status is Status.CONTINUE
    calls = len(forecast.calls)

    note = lifecycle.abandon(req, state)

    assert note.startswith(" (DescribeForecastExportJob failed: AccessDeniedException from Forecast; ")
    assert note.endswith(f"the failed replacement {export_name(str(state.arn))} is deleted after this answer)")
    assert len(forecast.calls) == calls, "nothing may delay the answer"
    assert failure_physical_id(req, state) == created.physical_id
    assert clean_up_to_the_end(lifecycle, req, state).status is Status.SUCCESS
    assert [job.arn for job in forecast.live()] == [created.physical_id]
