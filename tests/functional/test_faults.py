"""Faults at the edges of time, limits and races, through the real handler and crhelper.

Each test names its row of the fault table in ``docs/design.md`` and the clause of
``docs/contract.md`` it covers. The stand-ins' fault switches (see ``tests/standins``) make each
fault happen on purpose; every test stays within seconds by scaling the handler's waits through the
environment that the ``deploy`` fixture passes to the function.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from forecast_export_provider.kinds import WHAT_IF_FORECAST_EXPORT
from forecast_export_provider.validation import max_key_bytes
from tests.properties import SOURCES, valid_properties
from tests.standins.forecast import ForecastStandIn

if TYPE_CHECKING:
    # For the type checker only: pytest imports the conftest itself, under another module name.
    from tests.functional.conftest import Deployment

CREATES = (
    "CreateForecastExportJob",
    "CreatePredictorBacktestExportJob",
    "CreateExplainabilityExport",
    "CreateWhatIfForecastExport",
)
LISTS = ("ListForecastExportJobs", "ListPredictorBacktestExportJobs", "ListExplainabilityExports")
ATTRIBUTES = {"Arn", "Name", "Status", "DestinationPath", "Format", "CreationTime", "LastModificationTime", "SourceArn"}
NAME_PROPERTIES = {
    "Custom::ForecastExportJob": "ForecastExportJobName",
    "Custom::PredictorBacktestExportJob": "PredictorBacktestExportJobName",
    "Custom::ExplainabilityExport": "ExplainabilityExportName",
    "Custom::WhatIfForecastExport": "WhatIfForecastExportName",
}
STILL_CREATING = {"CREATE_PENDING", "CREATE_IN_PROGRESS"}


def creates(forecast: ForecastStandIn) -> int:
    return sum(forecast.count(operation, errors=True) for operation in CREATES)


def named(name: str, resource_type: str = "Custom::ForecastExportJob", **extra: Any) -> dict[str, Any]:
    return valid_properties(resource_type, **{NAME_PROPERTIES[resource_type]: name}, **extra)


def tags(prefix: str, count: int, value: str = "v") -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i:02d}", "Value": value} for i in range(count)]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.02)


def assert_no_wait_state(answer: dict[str, Any]) -> None:
    """The answer carries no internal state: Data is empty or holds documented attributes only."""
    data = answer.get("Data") or {}
    assert set(data) <= ATTRIBUTES, f"undocumented attributes in Data: {sorted(set(data) - ATTRIBUTES)}"
    assert "ForecastExportWait" not in json.dumps(answer)


# Item 1: the continuation cannot start (contract 3.1.5, 3.2, 4 "exactly one answer")


@pytest.mark.parametrize("invoke_error", ["AccessDeniedException", "TooManyRequestsException"])
def test_a_create_whose_continuation_cannot_start_fails_with_the_jobs_arn(
    deploy: Callable[..., Deployment], invoke_error: str
) -> None:
    """Fault table; contract 3.1.5 and 4 (one answer).

    The job outlives the invocation and Lambda refuses (403) or throttles (429, every attempt) the
    self-invocation: one FAILED answer whose PhysicalResourceId is the job's ARN, without the wait
    state in Data; the rollback Delete with that id then removes the job.
    """
    deployment = deploy(duration=math.inf, timeout_seconds=3.0)
    deployment.lambda_service.invoke_error = invoke_error
    event = deployment.event("Create", named("outlives_invocation"))
    deployment.send(event)
    answer = deployment.answer(event, timeout=40)
    assert answer["Status"] == "FAILED"
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn, "the rollback Delete must be able to remove the job"
    assert_no_wait_state(answer)
    deployment.runtime.wait_idle(timeout=30)
    assert len(deployment.endpoint.responses(event["ResponseURL"])) == 1
    assert any(record.error == invoke_error for record in deployment.lambda_service.invocations)

    deleted = deployment.request("Delete", named("outlives_invocation"), physical_id=answer["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deployment.forecast.live_jobs() == []


def test_a_continuation_throttled_twice_is_retried_and_the_create_succeeds(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (throttling never fails a request on its own).

    The first two self-invocations answer 429 TooManyRequestsException: the handler invokes again and
    the request succeeds, with one job and one answer.
    """
    deployment = deploy(duration=5.0, timeout_seconds=4.0)
    deployment.lambda_service.invoke_error = "TooManyRequestsException"
    deployment.lambda_service.invoke_error_count = 2
    answer = deployment.request("Create", valid_properties(), timeout=40)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert creates(deployment.forecast) == 1
    statuses = [record.status for record in deployment.lambda_service.invocations]
    assert statuses[:2] == [429, 429] and 202 in statuses


def replace_while_invoke_is_refused(
    deploy: Callable[..., Deployment],
) -> tuple[Deployment, dict[str, Any], dict[str, Any], str, dict[str, Any]]:
    """Create an export, then ask for a replacement whose wait outlives the invocation while Lambda
    refuses the self-invocation. Returns (deployment, old, new properties, old ARN, the answer)."""
    deployment = deploy(timeout_seconds=3.0)
    old = valid_properties()
    created = deployment.request("Create", old)
    assert created["Status"] == "SUCCESS", created["Reason"]
    deployment.forecast.duration = math.inf
    deployment.lambda_service.invoke_error = "AccessDeniedException"
    new = valid_properties(Format="PARQUET")
    event = deployment.event("Update", new, old_properties=old, physical_id=created["PhysicalResourceId"])
    deployment.send(event)
    answer = deployment.answer(event, timeout=40)
    deployment.runtime.wait_idle(timeout=30)
    return deployment, old, new, created["PhysicalResourceId"], answer


def test_a_replacement_whose_continuation_cannot_start_keeps_the_old_id(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.1.5 and 3.2 (a rollback must never fail).

    The FAILED answer keeps the OLD PhysicalResourceId, so that CloudFormation's rollback Update goes
    to the old export and succeeds without creating anything.
    """
    deployment, old, new, old_arn, answer = replace_while_invoke_is_refused(deploy)
    assert answer["Status"] == "FAILED"
    assert answer["PhysicalResourceId"] == old_arn
    assert_no_wait_state(answer)
    before = creates(deployment.forecast)
    rollback = deployment.request("Update", old, old_properties=new, physical_id=old_arn)
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == old_arn
    assert creates(deployment.forecast) == before, "the rollback Update must not create an export"


def test_a_replacement_whose_continuation_cannot_start_is_not_left_running(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.2 (a failed replacement is deleted by the provider).

    CloudFormation sends no Delete for a failed Update's new resource, so the replacement that could
    not be waited for must at least be stopped (or deleted) before or right after the FAILED answer.
    """
    deployment, _, _, old_arn, answer = replace_while_invoke_is_refused(deploy)
    assert answer["Status"] == "FAILED"
    [replacement] = [job for job in deployment.forecast.jobs() if job.arn != old_arn]
    assert replacement.status not in STILL_CREATING, f"the replacement was left {replacement.status}"
    assert [job.arn for job in deployment.forecast.live_jobs() if job.status == "ACTIVE"] == [old_arn]


def test_an_unexpected_error_after_the_create_call_fails_with_the_jobs_arn(deploy: Callable[..., Deployment]) -> None:
    """Contract 3.1.5 (an unexpected error after the Create call: FAILED with the job's ARN).

    Once the job exists, Describe answers AccessDeniedException (as when the role lost
    forecast:DescribeForecastExportJob): FAILED with Forecast's message and the job's ARN, so that
    the rollback Delete (once Describe works again) removes the job.
    """
    deployment = deploy(duration=math.inf)

    def deny_describe(operation: str, params: dict[str, Any]) -> tuple[str, str, int] | None:
        if operation == "DescribeForecastExportJob":
            return ("AccessDeniedException", "not authorized to perform forecast:DescribeForecastExportJob", 400)
        return None

    deployment.forecast.inject_error = deny_describe
    answer = deployment.request("Create", named("undescribable"))
    assert answer["Status"] == "FAILED"
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert "forecast:DescribeForecastExportJob" in answer["Reason"]
    assert_no_wait_state(answer)
    deployment.forecast.inject_error = None
    deleted = deployment.request("Delete", named("undescribable"), physical_id=answer["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deployment.forecast.live_jobs() == []


# Item 2: tags-only updates at the 50-tag limit (contract 3.2 "only Tags differ", 3.5 TagResource)

FIFTY = tags("k", 50)
TAG_LIMIT_CASES = {
    "one-tag-to-fifty-new": (tags("solo", 1), tags("n", 50)),
    "fifty-tags-to-fifty-other-keys": (FIFTY, tags("n", 50)),
    "case-of-one-key-at-fifty": (FIFTY, [{"Key": "K00", "Value": "v"}, *FIFTY[1:]]),
}


@pytest.mark.parametrize(("old_tags", "new_tags"), TAG_LIMIT_CASES.values(), ids=TAG_LIMIT_CASES.keys())
def test_a_tags_only_update_at_the_fifty_tag_limit_happens_in_place(
    deploy: Callable[..., Deployment], old_tags: list[dict[str, str]], new_tags: list[dict[str, str]]
) -> None:
    """Fault table; contract 3.2 (only Tags differ: in place) and 3.5 (remove before adding).

    Forecast adds a TagResource's tags before anything is removed, so adding first would pass 50 on
    the way. The properties differ only in Tags; the update succeeds within seconds, in place.
    """
    deployment = deploy(environment={"TOTAL_WAIT_SECONDS": "8"})
    old, new = valid_properties(Tags=old_tags), valid_properties(Tags=new_tags)
    assert {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)} == {"Tags"}
    created = deployment.request("Create", old)
    assert created["Status"] == "SUCCESS", created["Reason"]
    arn = created["PhysicalResourceId"]
    started = time.monotonic()
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn, timeout=20)
    elapsed = time.monotonic() - started
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert elapsed < 5, f"answered after {elapsed:.1f} s"
    assert answer["PhysicalResourceId"] == arn
    assert creates(deployment.forecast) == 1
    assert deployment.forecast.job(arn).tags == {tag["Key"]: tag["Value"] for tag in new_tags}


def test_too_many_tags_with_tags_added_out_of_band_fails_at_once_with_forecasts_message(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table; contract 3.5 (LimitExceededException from TagResource is never retried).

    45 tags added out of band plus 10 new ones cannot fit: FAILED within seconds, with Forecast's
    message, the same PhysicalResourceId, and a single refused TagResource.
    """
    deployment = deploy(environment={"TOTAL_WAIT_SECONDS": "8"})
    old = valid_properties(Tags=tags("mine", 1))
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    deployment.forecast.client().tag_resource(ResourceArn=arn, Tags=tags("outside", 45))
    new = valid_properties(Tags=tags("new", 10))
    started = time.monotonic()
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn, timeout=20)
    elapsed = time.monotonic() - started
    assert answer["Status"] == "FAILED"
    assert elapsed < 5, f"answered after {elapsed:.1f} s: the limit was retried"
    assert "at most 50 tags" in answer["Reason"], "Forecast's own message"
    assert answer["PhysicalResourceId"] == arn
    refused = [c for c in deployment.forecast.calls if c.operation == "TagResource" and c.error is not None]
    assert [call.error for call in refused] == ["LimitExceededException"]


# Item 3: a Create limit that waiting cannot lift (contract 3.5 LimitExceededException from a Create)


@pytest.mark.parametrize("quota", [0, 1])
def test_a_create_limit_with_no_job_in_progress_fails_within_seconds(
    deploy: Callable[..., Deployment], quota: int
) -> None:
    """Fault table; contract 3.5 (a resource-count quota: FAILED within a minute, Forecast's message).

    Forecast answers LimitExceededException while no job of the kind is in progress (quota 1: one
    ACTIVE export exists; quota 0: none): waiting cannot lift it, so the request fails at once.
    """
    deployment = deploy(resource_limit=quota, environment={"TOTAL_WAIT_SECONDS": "10"})
    existing = []
    if quota:
        first = deployment.request("Create", valid_properties(), logical_id="First")
        assert first["Status"] == "SUCCESS", first["Reason"]
        existing = [first["PhysicalResourceId"]]
    started = time.monotonic()
    answer = deployment.request("Create", valid_properties(), logical_id="Second", timeout=20)
    elapsed = time.monotonic() - started
    assert answer["Status"] == "FAILED"
    assert elapsed < 5, f"answered after {elapsed:.1f} s: a quota that waiting cannot lift was waited on"
    assert f"exceeded the limit of {quota} resources" in answer["Reason"]
    assert len(answer["Reason"]) < 256
    assert [job.arn for job in deployment.forecast.live_jobs()] == existing
    deleted = deployment.request(
        "Delete", valid_properties(), logical_id="Second", physical_id=answer["PhysicalResourceId"]
    )
    assert deleted["Status"] == "SUCCESS"
    assert [job.arn for job in deployment.forecast.live_jobs()] == existing


def test_a_create_queues_while_three_jobs_of_its_kind_are_in_progress(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (the concurrent-jobs quota: queue, take a freed slot).

    Three jobs of the kind are in progress (the stand-in's cap): a fourth Create is refused with
    LimitExceededException, waits, and succeeds once a slot frees.
    """
    deployment = deploy(
        max_concurrent_per_kind=3, duration=lambda kind, name: 4.0 if name.startswith("Running") else 0.5
    )
    first = [deployment.event("Create", valid_properties(), logical_id=f"Running{i}") for i in range(3)]
    for event in first:
        deployment.send(event)
    wait_until(lambda: len(deployment.forecast.jobs()) == 3, what="three jobs in progress")
    fourth = deployment.request("Create", valid_properties(), logical_id="Queued", timeout=30)
    assert fourth["Status"] == "SUCCESS", fourth["Reason"]
    assert all(deployment.answer(event)["Status"] == "SUCCESS" for event in first)
    assert len(deployment.forecast.jobs()) == 4
    assert deployment.forecast.max_concurrency("forecast_export") == 3
    refused = [c for c in deployment.forecast.calls if c.operation == "CreateForecastExportJob" and c.error]
    assert refused and {call.error for call in refused} == {"LimitExceededException"}


# Item 4: ServiceTimeout and the deadline across retries (contract 1 ServiceTimeout, 3.5 waiting)


def test_the_provider_answers_before_the_service_timeout_runs_out(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (FAILED at least 30 s before the request's ServiceTimeout).

    With "ServiceTimeout": "45" and a job that never finishes, the FAILED answer reaches
    CloudFormation at most 45 - 30 = 15 s after the request, and not before 45 - 40 = 5 s (the
    design's margin, which covers the delay before the first invocation): CloudFormation's outcome is
    FAILED with the job's ARN and last status, not TIMED_OUT with no id. The handler's own total
    wait (20 s) is longer, so only the ServiceTimeout can explain an answer by then.
    """
    service_timeout = 45
    deployment = deploy(duration=math.inf, environment={"TOTAL_WAIT_SECONDS": "20"})
    properties = named("stuck_export", ServiceTimeout=str(service_timeout))
    event = deployment.event("Create", properties)
    deployment.send(event)
    url = event["ResponseURL"]
    answer = deployment.answer(event, timeout=30)
    arrival = deployment.cloudformation.arrival(url)
    assert arrival is not None and arrival <= service_timeout - 30, f"answered {arrival:.1f} s after the request"
    # The design's margin is 40 s: waiting much less than 45 - 40 s is giving up early.
    assert arrival >= service_timeout - 40 - 0.5, f"gave up {arrival:.1f} s after the request"
    assert deployment.cloudformation.outcome(url) == "FAILED"
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert "stuck_export" in answer["Reason"] and "CREATE_IN_PROGRESS" in answer["Reason"]
    deleted = deployment.request("Delete", properties, physical_id=job.arn)
    assert deleted["Status"] == "SUCCESS"
    assert deployment.forecast.live_jobs() == []


def test_a_retry_after_a_crash_does_not_restart_the_deadline(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (the total wait counts from the request's first arrival).

    TOTAL_WAIT_SECONDS is 5 and the first invocation is killed about 3 s after it started; Lambda
    retries the original Create event. The FAILED answer must come about 5 s after the first arrival
    (asserted: at most 6.5 s after the first invocation's process started, which leaves 1.5 s for its
    init and the answer's trip), not 5 s after the retry's (about 8.5 s).
    """
    deployment = deploy(duration=math.inf, environment={"TOTAL_WAIT_SECONDS": "5"})
    event = deployment.event("Create", named("stuck_export"))
    sent_at = time.time()
    deployment.send(event)
    [job] = wait_until(deployment.forecast.jobs, what="the Create")
    first = deployment.runtime.invocations[0]
    time.sleep(max(0.0, first.start + 3.0 - time.time()))
    assert deployment.runtime.kill_running() == 1
    answer = deployment.answer(event, timeout=20)
    arrival = deployment.cloudformation.arrival(event["ResponseURL"])
    assert arrival is not None
    after_first_start = sent_at + arrival - first.start
    assert answer["Status"] == "FAILED"
    assert after_first_start <= 6.5, f"answered {after_first_start:.1f} s after the first invocation started"
    assert answer["PhysicalResourceId"] == job.arn
    assert "stuck_export" in answer["Reason"]
    assert deployment.runtime.invocations[0].killed
    assert len(deployment.forecast.jobs()) == 1


def test_a_change_of_service_timeout_alone_changes_nothing(deploy: Callable[..., Deployment]) -> None:
    """Contract 1 (ServiceTimeout): a change of it alone is not a change of the export."""
    deployment = deploy()
    old = valid_properties(ServiceTimeout="3540")
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    new = valid_properties(ServiceTimeout="1200")
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert creates(deployment.forecast) == 1
    assert deployment.forecast.count("TagResource", errors=True) == 0


# Item 5: StopResource loses the race (contract 3.3)


def test_delete_succeeds_when_the_job_finishes_before_the_stop_arrives(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.3 (a refused StopResource after the job finished is not a failure).

    Describe shows the job in progress; it turns ACTIVE just before StopResource, which is refused
    with InvalidInputException ("not in a stoppable state"). The Delete describes again, deletes the
    ACTIVE job and succeeds.
    """
    deployment = deploy(duration=math.inf, stop_loses_race=True)
    source = SOURCES["Custom::ForecastExportJob"][1]
    arn = deployment.forecast.client().create_forecast_export_job(
        ForecastExportJobName="finishing", ForecastArn=source, Destination=valid_properties()["Destination"]
    )["ForecastExportJobArn"]
    answer = deployment.request("Delete", named("finishing"), physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert deployment.forecast.live_jobs() == []
    assert deployment.forecast.count("StopResource", errors=True) == 1
    assert deployment.forecast.count("DeleteForecastExportJob") == 1


# Item 6: adoption does not trust one List call (contract 3.1.4)

LOOKS_OVER_SECONDS = {"LOOK_AGAIN_SECONDS": "0.5"}
"""The handler's look-again pauses, scaled back up from the fixture's 0.05 s so that together they
span seconds, as a List that lags Create by 2 s needs (the default, 1 s, spans 15 s)."""


def test_a_repeated_create_adopts_the_job_although_list_lags_create(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.1.4 (List can lag Create: look again with backoff).

    The same Create is delivered twice; the second copy's Create finds the name taken while List does
    not show the job yet (List lags Create by 2 s). It must look again, adopt and succeed.
    """
    deployment = deploy(duration=1.5, list_lag_seconds=2.0, environment=LOOKS_OVER_SECONDS)
    event = deployment.event("Create", valid_properties())
    deployment.repeated.add(event["ResponseURL"])
    deployment.send(event)
    wait_until(deployment.forecast.jobs, what="the first copy's Create")
    deployment.send(event)
    deployment.runtime.wait_idle(timeout=30)
    answers = deployment.endpoint.responses(event["ResponseURL"])
    assert [answer["Status"] for answer in answers] == ["SUCCESS", "SUCCESS"], [a["Reason"] for a in answers]
    [job] = deployment.forecast.jobs()
    assert {answer["PhysicalResourceId"] for answer in answers} == {job.arn}


def test_a_crash_right_after_create_adopts_the_job_although_list_lags_create(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.1.4 (a re-invocation after a crash adopts, List lagging or not)."""
    deployment = deploy(list_lag_seconds=2.0, environment=LOOKS_OVER_SECONDS)

    def crash_the_first_time(kind: str, arn: str) -> None:
        if deployment.runtime.invocation_count == 1:
            deployment.runtime.kill_running()

    deployment.forecast.after_create = crash_the_first_time
    answer = deployment.request("Create", valid_properties())
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert deployment.runtime.invocations[0].killed


def test_a_repeated_explainability_create_adopts_under_the_other_reading_of_the_list_filter(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table; contract 3.1.4 (the meaning of a List filter can be in doubt: look again without it).

    Here ListExplainabilityExports' ResourceArn filter matches the export's own ARN, not the
    explainability's: the filtered List never shows the export, and adoption must still succeed.
    """
    resource_type = "Custom::ExplainabilityExport"
    deployment = deploy(duration=1.0, explainability_filter="export")
    event = deployment.event("Create", valid_properties(resource_type), resource_type=resource_type)
    deployment.repeated.add(event["ResponseURL"])
    deployment.send(event)
    wait_until(deployment.forecast.jobs, what="the first copy's Create")
    deployment.send(event)
    deployment.runtime.wait_idle(timeout=30)
    answers = deployment.endpoint.responses(event["ResponseURL"])
    assert [answer["Status"] for answer in answers] == ["SUCCESS", "SUCCESS"], [a["Reason"] for a in answers]
    [job] = deployment.forecast.jobs()
    assert {answer["PhysicalResourceId"] for answer in answers} == {job.arn}


def test_a_name_taken_by_an_export_that_list_never_shows_fails_after_looking_again(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table; contract 3.1.4 (look again with backoff and without the filter before FAILED).

    The name is taken by an export (with other settings) that List never shows. The answer is FAILED
    within bounded time, says the name exists, and its PhysicalResourceId is not that export's ARN;
    before answering, the handler listed again, at least once without the filter. The export is
    left untouched, also by the rollback Delete.
    """
    deployment = deploy(list_lag_seconds=lambda kind, name: math.inf if name == "taken_name" else 0.0)
    source = SOURCES["Custom::ForecastExportJob"][1]
    taken = deployment.forecast.client().create_forecast_export_job(
        ForecastExportJobName="taken_name",
        ForecastArn=source,
        Destination=valid_properties()["Destination"],
        Format="PARQUET",
    )["ForecastExportJobArn"]
    started = time.monotonic()
    answer = deployment.request("Create", named("taken_name"), timeout=60)
    elapsed = time.monotonic() - started
    assert answer["Status"] == "FAILED"
    assert elapsed < 30, f"answered after {elapsed:.1f} s"
    assert "taken_name" in answer["Reason"] and "exist" in answer["Reason"]
    assert answer["PhysicalResourceId"] != taken
    lists = [call for call in deployment.forecast.calls if call.operation == "ListForecastExportJobs"]
    assert len(lists) >= 2, "one List call was trusted"
    assert any(not call.params.get("Filters") for call in lists), "no List without the filter"
    deleted = deployment.request("Delete", named("taken_name"), physical_id=answer["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS"
    touched = [
        c
        for c in deployment.forecast.calls
        if taken in json.dumps(c.params) and c.operation != "DescribeForecastExportJob"
    ]
    assert touched == [], f"the other export was touched: {[c.operation for c in touched]}"
    assert [job.arn for job in deployment.forecast.live_jobs()] == [taken]


# Item 7: the hand-over comes in time although Forecast answers slowly (contract 3.5 last clause, 4)


def test_slow_forecast_answers_never_push_the_hand_over_past_the_invocation(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (room for the slowest call plus the hand-over) and 4 (one answer).

    Every Forecast call takes 0.5 s and the function has 4 s. A Create and then a Delete of a job
    still in progress (a Delete step makes two calls) each span several invocations: both succeed,
    no invocation runs into crhelper's timeout guard ("Execution timed out") or Lambda's timeout,
    and each request gets exactly one answer.
    """
    deployment = deploy(duration=6.0, stop_seconds=3.0, delete_seconds=2.0, timeout_seconds=4.0, answer_delay=0.5)
    created = deployment.request("Create", valid_properties(), timeout=60)
    assert created["Status"] == "SUCCESS", created["Reason"]
    arn = created["PhysicalResourceId"]
    deployment.forecast.duration = math.inf
    source = SOURCES["Custom::ForecastExportJob"][1]
    running = deployment.forecast.client().create_forecast_export_job(
        ForecastExportJobName="still_running", ForecastArn=source, Destination=valid_properties()["Destination"]
    )["ForecastExportJobArn"]
    deleted = deployment.request("Delete", named("still_running"), physical_id=running, timeout=60)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    deployment.runtime.wait_idle(timeout=30)
    assert [job.arn for job in deployment.forecast.live_jobs()] == [arn]
    invocations = deployment.runtime.invocations
    assert len(invocations) >= 4, "both requests needed a continuation"
    assert all(inv.succeeded and not inv.timed_out for inv in invocations)
    assert "Execution timed out" not in deployment.runtime.logs
    for url in deployment.urls:
        assert len(deployment.endpoint.responses(url)) == 1


# Item 8: the kind of a Delete comes from the ARN (contract 3.3)


def test_delete_takes_the_kind_from_the_export_arn_not_the_properties(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.3.

    The physical id is a forecast export job's ARN while the properties are a what-if export's: the
    forecast export job is deleted.
    """
    deployment = deploy()
    arn = deployment.request("Create", valid_properties())["PhysicalResourceId"]
    what_if = "Custom::WhatIfForecastExport"
    answer = deployment.request("Delete", valid_properties(what_if), resource_type=what_if, physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert deployment.forecast.count("DeleteForecastExportJob") == 1
    assert deployment.forecast.live_jobs() == []


# Item 9: every answer fits (contract 4); the bad values themselves are in tests/properties.py BAD_INPUTS


def test_the_largest_valid_answer_fits_cloudformations_limit(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 4 (the whole response under 4,096 bytes: drop from Data, never fail).

    A Path whose key part is as long as it may be (925 bytes, of two-byte characters, each 6 bytes
    once JSON-escaped), 50 what-if sources, a 63-character name and a 255-character logical id
    (CloudFormation's longest):
    the request succeeds, and the response endpoint (which checks the 4,096-byte limit) records no
    violation. Leaving out only SourceArn is not enough here.
    """
    what_if = "Custom::WhatIfForecastExport"
    deployment = deploy()
    sources = [
        f"arn:aws:forecast:us-east-1:123456789012:what-if-forecast/analysis/s{i:02d}_" + "x" * 60 for i in range(50)
    ]
    path = "s3://forecast-exports-bucket/" + "é" * 461 + "xy/"
    assert len(path.split("/", 3)[3].encode()) == max_key_bytes(WHAT_IF_FORECAST_EXPORT, "n" * 63)
    properties = named("n" * 63, what_if, WhatIfForecastArns=sources)
    properties["Destination"]["S3Config"]["Path"] = path
    event = deployment.event("Create", properties, resource_type=what_if, logical_id="L" * 255)
    deployment.send(event)
    answer = deployment.answer(event)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert deployment.endpoint.violations == []
    assert all(len(body) <= 4096 for body in deployment.endpoint.raw_bodies(event["ResponseURL"]))
    assert answer["Data"]["Arn"] == answer["PhysicalResourceId"]


def test_a_950_character_path_with_fifty_what_if_sources_fits(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 4: a Path of 950 characters with 50 what-if ARNs still succeeds."""
    what_if = "Custom::WhatIfForecastExport"
    deployment = deploy()
    sources = [
        f"arn:aws:forecast:us-east-1:123456789012:what-if-forecast/analysis/s{i:02d}_" + "x" * 60 for i in range(50)
    ]
    properties = valid_properties(what_if, WhatIfForecastArns=sources)
    path = "s3://forecast-exports-bucket/" + "p" * 920 + "/"
    assert len(path) == 950
    properties["Destination"]["S3Config"]["Path"] = path
    answer = deployment.request("Create", properties, resource_type=what_if)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert deployment.endpoint.violations == []
    assert answer["Data"]["Arn"] == answer["PhysicalResourceId"]


# Item 10: a hand-over uses the invocation's time (contract 3.5 invocations per request)


def test_each_invocation_waits_until_its_hand_over_point(deploy: Callable[..., Deployment]) -> None:
    """Fault table; contract 3.5 (at most 1 + ceil(job time / usable time) invocations).

    Function timeout T = 4.5 s; the hand-over reserve of such a short invocation is 2 s (the
    handler's minimum), so each invocation has u = 2.5 s of usable waiting time. The poll interval is
    1.26 s, so two polls do not fit in u: code that stops one poll short hands over after about
    1.3 s and wastes about half of every invocation.

    Bounds asserted:
    - every invocation but the last hands over at most 0.7 s before its hand-over point: measured
      from its first Forecast call (made as the handler starts, after building its client) to its
      end, it lasts >= u - 0.7 s = 1.8 s;
    - a 7.5 s job takes at most ceil(7.5 / u) + 1 = 4 invocations (the + 1 is the one that sees
      ACTIVE). Stopping one poll short takes 5 or more.
    """
    timeout, usable, job_seconds = 4.5, 2.5, 7.5
    deployment = deploy(duration=job_seconds, timeout_seconds=timeout, environment={"POLL_INTERVAL_SECONDS": "1.26"})
    answer = deployment.request("Create", valid_properties(), timeout=40)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    deployment.runtime.wait_idle(timeout=10)
    invocations = deployment.runtime.invocations
    assert all(inv.succeeded for inv in invocations)
    calls = deployment.forecast.calls
    for inv in invocations[:-1]:
        assert inv.end is not None
        first_call = min(call.time for call in calls if inv.start <= call.time <= inv.end)
        waited = inv.end - first_call
        assert waited >= usable - 0.7, f"handed over after {waited:.2f} s of {usable} s"
    assert len(invocations) <= math.ceil(job_seconds / usable) + 1


# Every invocation answers, nothing is left behind (contract 3.5 last two bullets, 4 first two)


def test_a_failed_replacement_that_outlasts_the_deadline_is_answered_on_time_and_deleted_after(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: a failed replacement that cannot be deleted before the answer is due.

    ServiceTimeout 44 puts the deadline 4 s after the Update; the replacement never finishes and
    takes 6 s to stop. The FAILED answer keeps the old id and reaches CloudFormation before 44 - 30
    s; the invocations after it (of 3 s each) stop and delete the new export and answer nothing.
    """
    deployment = deploy(timeout_seconds=3.0, stop_seconds=6.0)
    old = valid_properties(ServiceTimeout="44")
    created = deployment.request("Create", old)
    assert created["Status"] == "SUCCESS", created["Reason"]
    old_arn = created["PhysicalResourceId"]
    deployment.forecast.duration = math.inf
    new = valid_properties(Format="PARQUET", ServiceTimeout="44")
    event = deployment.event("Update", new, old_properties=old, physical_id=old_arn)
    deployment.send(event)
    answer = deployment.answer(event, timeout=30)
    arrival = deployment.cloudformation.arrival(event["ResponseURL"])
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == old_arn
    assert arrival is not None and 3.0 <= arrival <= 44 - 30, f"answered {arrival:.1f} s after the request"
    [replacement] = [job for job in deployment.forecast.jobs() if job.arn != old_arn]
    assert replacement.arn.rsplit("/", 1)[-1] in answer["Reason"]
    wait_until(
        lambda: [job.arn for job in deployment.forecast.live_jobs()] == [old_arn],
        timeout=30,
        what="the failed replacement's deletion",
    )
    deployment.runtime.wait_idle(timeout=30)
    assert len(deployment.endpoint.responses(event["ResponseURL"])) == 1


def test_a_replacement_gets_as_long_to_wait_as_a_create(deploy: Callable[..., Deployment]) -> None:
    """Fault table: a replacement with a ServiceTimeout that leaves a Create time enough.

    ServiceTimeout 50 leaves 10 s of waiting (the total wait is 40 s here); a job of 2 s succeeds
    as a Create and as a replacement alike.
    """
    deployment = deploy(duration=2.0)
    old = valid_properties(ServiceTimeout="50")
    created = deployment.request("Create", old)
    assert created["Status"] == "SUCCESS", created["Reason"]
    new = valid_properties(Format="PARQUET", ServiceTimeout="50")
    replaced = deployment.request("Update", new, old_properties=old, physical_id=created["PhysicalResourceId"])
    assert replaced["Status"] == "SUCCESS", replaced["Reason"]
    assert replaced["PhysicalResourceId"] != created["PhysicalResourceId"]


def test_requests_that_need_no_wait_are_answered_whatever_their_service_timeout(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: a ServiceTimeout of 40 s or less on a request that needs no wait.

    A Create with ServiceTimeout 40 cannot wait and fails before any call; its rollback Delete and
    a no-change Update of an existing export need no wait and succeed: no ROLLBACK_FAILED.
    """
    deployment = deploy()
    short = valid_properties(ServiceTimeout="40")
    failed = deployment.request("Create", short, logical_id="Short")
    assert failed["Status"] == "FAILED" and "ServiceTimeout" in failed["Reason"]
    rollback = deployment.request("Delete", short, logical_id="Short", physical_id=failed["PhysicalResourceId"])
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    old = valid_properties()
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    unchanged = deployment.request("Update", short, old_properties=old, physical_id=arn)
    assert unchanged["Status"] == "SUCCESS", unchanged["Reason"]
    assert unchanged["PhysicalResourceId"] == arn
    assert creates(deployment.forecast) == 1


def test_an_invoke_that_outlasts_the_invocation_is_answered_before_the_invocation_ends(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: the hand-over's Invoke answers too late (and then refuses).

    Lambda takes 3 s to answer each Invoke while the function has 4 s and hands over with 2 s
    left. The attempts end in time and the FAILED answer, with the job's ARN, leaves before the
    first invocation ends: nothing waits for Lambda's retry of a timed-out invocation.
    """
    deployment = deploy(duration=math.inf, timeout_seconds=4.0)
    deployment.lambda_service.answer_delay = 3.0
    deployment.lambda_service.invoke_error = "AccessDeniedException"
    event = deployment.event("Create", named("slow_invoke"))
    sent_at = time.time()
    deployment.send(event)
    answer = deployment.answer(event, timeout=30)
    arrival = deployment.cloudformation.arrival(event["ResponseURL"])
    assert answer["Status"] == "FAILED"
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    deployment.runtime.wait_idle(timeout=30)
    first = deployment.runtime.invocations[0]
    assert not first.timed_out and first.end is not None, "the first invocation ran into its timeout"
    assert arrival is not None and sent_at + arrival <= first.end, "answered after the first invocation ended"
    deployment.lambda_service.answer_delay = 0.0
    deleted = deployment.request("Delete", named("slow_invoke"), physical_id=job.arn)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]


def test_a_continuation_whose_invoke_answer_was_lost_runs_twice_harmlessly(deploy: Callable[..., Deployment]) -> None:
    """Contract 4: a second continuation of the same request is harmless.

    Lambda answers the first Invoke after the attempt's read timeout but starts the invocation
    anyway; the handler invokes again. Both continuations run: one job, the same answer.
    """
    deployment = deploy(duration=3.0, timeout_seconds=4.0)
    deployment.lambda_service.answer_delay = 1.6
    deployment.lambda_service.answer_delay_count = 1
    event = deployment.event("Create", valid_properties())
    deployment.repeated.add(event["ResponseURL"])
    deployment.send(event)
    deployment.answer(event, timeout=30)
    deployment.runtime.wait_idle(timeout=30)
    answers = deployment.endpoint.responses(event["ResponseURL"])
    [job] = deployment.forecast.jobs()
    assert {(answer["Status"], answer["PhysicalResourceId"]) for answer in answers} == {("SUCCESS", job.arn)}
    assert creates(deployment.forecast) == 1
