"""The contract's lifecycle, end to end through the real handler and crhelper."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from tests.properties import (
    BAD_INPUTS,
    KMS_KEY_ARN,
    RESOURCE_TYPES,
    SOURCES,
    BadInput,
    bad_properties,
    valid_properties,
)
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
ATTRIBUTES = {"Arn", "Name", "Status", "DestinationPath", "Format", "CreationTime", "LastModificationTime", "SourceArn"}


def creates(forecast: ForecastStandIn) -> int:
    return sum(forecast.count(operation, errors=True) for operation in CREATES)


def named(name: str, resource_type: str = "Custom::ForecastExportJob", **extra: Any) -> dict[str, Any]:
    name_property = {
        "Custom::ForecastExportJob": "ForecastExportJobName",
        "Custom::PredictorBacktestExportJob": "PredictorBacktestExportJobName",
        "Custom::ExplainabilityExport": "ExplainabilityExportName",
        "Custom::WhatIfForecastExport": "WhatIfForecastExportName",
    }[resource_type]
    return valid_properties(resource_type, **{name_property: name}, **extra)


# Create


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_create_answers_once_the_export_is_active(deploy: Callable[..., Deployment], resource_type: str) -> None:
    deployment = deploy()
    answer = deployment.request("Create", valid_properties(resource_type), resource_type=resource_type)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert job.status == "ACTIVE"
    data = answer["Data"]
    assert set(data) == ATTRIBUTES
    assert data["Arn"] == job.arn and data["Name"] == job.name and data["Status"] == "ACTIVE"
    assert data["DestinationPath"] == "s3://forecast-exports-bucket/exports/"
    assert data["Format"] == "CSV"
    source = SOURCES[resource_type][1]
    assert data["SourceArn"] == (",".join(source) if isinstance(source, list) else source)
    assert data["CreationTime"].endswith("Z") and data["LastModificationTime"].endswith("Z")


def test_create_passes_every_property_to_forecast(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    properties = named(
        "weekly_export", Format="PARQUET", Tags=[{"Key": "team", "Value": "planning"}], ServiceTimeout="3540"
    )
    properties["Destination"]["S3Config"]["KMSKeyArn"] = KMS_KEY_ARN
    answer = deployment.request("Create", properties)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert job.name == "weekly_export"
    assert job.format == "PARQUET"
    assert job.destination["S3Config"]["KMSKeyArn"] == KMS_KEY_ARN
    assert job.tags == {"team": "planning"}
    assert answer["Data"]["Format"] == "PARQUET"


def test_create_failed_puts_forecasts_message_in_the_reason(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(failure=lambda kind, name: "AccessDenied: role cannot write to s3://forecast-exports-bucket")
    answer = deployment.request("Create", valid_properties())
    assert answer["Status"] == "FAILED"
    assert "AccessDenied: role cannot write to s3://forecast-exports-bucket" in answer["Reason"]
    assert "CREATE_FAILED" in answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn, "the rollback Delete must be able to remove the failed job"


def test_delete_after_a_failed_create_leaves_nothing_behind(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(failure=lambda kind, name: "Forecast could not read the data")
    created = deployment.request("Create", valid_properties())
    assert created["Status"] == "FAILED"
    deleted = deployment.request("Delete", valid_properties(), physical_id=created["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deployment.forecast.live_jobs() == []


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_bad_input_fails_fast_naming_the_property_and_creates_nothing(
    deploy: Callable[..., Deployment], case: BadInput
) -> None:
    deployment = deploy()
    started = time.monotonic()
    answer = deployment.request("Create", bad_properties(case))
    assert time.monotonic() - started < 10
    assert answer["Status"] == "FAILED"
    assert case.names in answer["Reason"]
    assert len(answer["Reason"]) < 256
    assert deployment.forecast.calls == [], "no Forecast call may be made for invalid input"
    deleted = deployment.request("Delete", bad_properties(case), physical_id=answer["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS"
    assert deployment.forecast.calls == [], "the rollback Delete of a failed Create makes no call"


def test_the_same_create_delivered_twice_makes_one_job(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(duration=1.0)
    event = deployment.event("Create", valid_properties())
    deployment.repeated.add(event["ResponseURL"])
    deployment.send(event)
    deployment.send(event)
    deployment.runtime.wait_idle(timeout=30)
    answers = deployment.endpoint.responses(event["ResponseURL"])
    assert [answer["Status"] for answer in answers] == ["SUCCESS", "SUCCESS"]
    assert len(deployment.forecast.jobs()) == 1
    assert {answer["PhysicalResourceId"] for answer in answers} == {deployment.forecast.jobs()[0].arn}


def test_a_crash_right_after_create_is_retried_and_adopts_the_job(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()

    def crash_the_first_time(kind: str, arn: str) -> None:
        if deployment.runtime.invocation_count == 1:
            deployment.runtime.kill_running()

    deployment.forecast.after_create = crash_the_first_time
    answer = deployment.request("Create", valid_properties())
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    assert deployment.runtime.invocations[0].killed
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 2


def test_an_existing_export_with_other_settings_is_left_alone(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    first = deployment.request("Create", named("shared_name"), logical_id="First")
    assert first["Status"] == "SUCCESS"
    other = named("shared_name", Format="PARQUET")
    second = deployment.request("Create", other, logical_id="Second")
    assert second["Status"] == "FAILED"
    assert "already exists with different settings (Format)" in second["Reason"]
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    deleted = deployment.request("Delete", other, logical_id="Second", physical_id=second["PhysicalResourceId"])
    assert deleted["Status"] == "SUCCESS"
    assert [job.arn for job in deployment.forecast.live_jobs()] == [first["PhysicalResourceId"]]


def test_a_job_longer_than_one_invocation_continues_in_the_next(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(duration=9.0, timeout_seconds=4.5)
    answer = deployment.request("Create", valid_properties(), timeout=40)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    deployment.runtime.wait_idle(timeout=10)
    invocations = deployment.runtime.invocations
    assert len(invocations) >= 3
    assert all(invocation.succeeded and not invocation.timed_out for invocation in invocations)
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_a_job_that_never_finishes_fails_before_the_deadline(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(duration=math.inf, timeout_seconds=4.5, environment={"TOTAL_WAIT_SECONDS": "5"})
    started = time.monotonic()
    answer = deployment.request("Create", named("stuck_export"))
    elapsed = time.monotonic() - started
    assert 4.5 <= elapsed < 9, f"answered after {elapsed:.1f} s; the total wait is 5 s"
    assert answer["Status"] == "FAILED"
    assert "stuck_export" in answer["Reason"]
    assert "CREATE_IN_PROGRESS" in answer["Reason"]
    [job] = deployment.forecast.jobs()
    assert answer["PhysicalResourceId"] == job.arn
    deleted = deployment.request("Delete", named("stuck_export"), physical_id=job.arn)
    assert deleted["Status"] == "SUCCESS"
    assert deployment.forecast.live_jobs() == []


# Update


def test_a_no_change_update_keeps_the_export(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    created = deployment.request("Create", valid_properties())
    arn = created["PhysicalResourceId"]
    answer = deployment.request("Update", valid_properties(), old_properties=valid_properties(), physical_id=arn)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == arn
    assert answer["Data"]["Arn"] == arn
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_an_update_compares_with_the_export_not_only_the_old_properties(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    desired = valid_properties(Format="PARQUET")
    arn = deployment.request("Create", desired)["PhysicalResourceId"]
    # Old properties that disagree with the export (as in a rollback after a failed update):
    # the export already matches what is desired, so nothing is created.
    answer = deployment.request("Update", desired, old_properties=valid_properties(), physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_an_update_of_an_export_deleted_out_of_band_creates_a_new_one(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = valid_properties()
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    deployment.forecast.client().delete_forecast_export_job(ForecastExportJobArn=arn)
    time.sleep(0.5)
    answer = deployment.request(
        "Update", valid_properties(Tags=[{"Key": "a", "Value": "b"}]), old_properties=old, physical_id=arn
    )
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] != arn


def test_a_tags_only_update_happens_in_place(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = valid_properties(Tags=[{"Key": "team", "Value": "a"}, {"Key": "stage", "Value": "dev"}])
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    client = deployment.forecast.client()
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "added-out-of-band", "Value": "keep"}])
    new = valid_properties(Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "42"}])
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.job(arn).tags == {"team": "b", "cost": "42", "added-out-of-band": "keep"}
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_a_tags_only_update_with_fifty_tags_of_maximum_length_happens_in_place(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table ("a tags-only update at the 50-tag limit"): only Tags differ, 50 keys of maximum
    length replaced by 50 others, in place."""
    deployment = deploy(environment={"TOTAL_WAIT_SECONDS": "8"})
    old = valid_properties(Tags=[{"Key": f"{i:02d}" + "o" * 126, "Value": "v" * 256} for i in range(50)])
    new = valid_properties(Tags=[{"Key": f"{i:02d}" + "n" * 126, "Value": "w" * 256} for i in range(50)])
    assert {key for key in old if old[key] != new[key]} == {"Tags"}
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    started = time.monotonic()
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn, timeout=20)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert time.monotonic() - started < 5
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.job(arn).tags == {tag["Key"]: tag["Value"] for tag in new["Tags"]}
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_a_replacement_with_fifty_tags_of_maximum_length_fits_the_continuation_payload(
    deploy: Callable[..., Deployment],
) -> None:
    deployment = deploy(duration=7.0, timeout_seconds=4.5)
    old = valid_properties(Tags=[{"Key": f"{i:02d}" + "o" * 126, "Value": "v" * 256} for i in range(50)])
    new = valid_properties(
        Format="PARQUET", Tags=[{"Key": f"{i:02d}" + "n" * 126, "Value": "w" * 256} for i in range(50)]
    )
    created = deployment.request("Create", old, timeout=40)
    assert created["Status"] == "SUCCESS", created["Reason"]
    arn = created["PhysicalResourceId"]
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn, timeout=40)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    replacement = deployment.forecast.job(answer["PhysicalResourceId"])
    assert replacement.tags == {tag["Key"]: tag["Value"] for tag in new["Tags"]}
    assert deployment.runtime.invocation_count >= 4, "both requests needed a continuation"
    assert 30_000 < max(record.size for record in deployment.lambda_service.invocations) < 256 * 1024


def test_a_replacement_creates_a_new_export_and_the_cleanup_delete_removes_the_old(
    deploy: Callable[..., Deployment],
) -> None:
    deployment = deploy()
    old = valid_properties()
    old_arn = deployment.request("Create", old)["PhysicalResourceId"]
    new = valid_properties(Format="PARQUET")
    answer = deployment.request("Update", new, old_properties=old, physical_id=old_arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    new_arn = answer["PhysicalResourceId"]
    assert new_arn != old_arn
    assert deployment.forecast.job(new_arn).format == "PARQUET"
    cleanup = deployment.request("Delete", old, physical_id=old_arn)
    assert cleanup["Status"] == "SUCCESS"
    assert [job.arn for job in deployment.forecast.live_jobs()] == [new_arn]


def test_a_named_export_cannot_be_replaced_under_the_same_name(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = named("fixed_name")
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    new = named("fixed_name", Format="PARQUET")
    answer = deployment.request("Update", new, old_properties=old, physical_id=arn)
    assert answer["Status"] == "FAILED"
    assert "ForecastExportJobName fixed_name" in answer["Reason"]
    assert "change the name or omit it" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 1


def test_a_named_export_with_a_new_name_is_replaced(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = named("first_name")
    old_arn = deployment.request("Create", old)["PhysicalResourceId"]
    new = named("second_name", Format="PARQUET")
    answer = deployment.request("Update", new, old_properties=old, physical_id=old_arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Name"] == "second_name"
    # The rollback Update (properties swapped) goes back to the first export by adopting it.
    rollback = deployment.request("Update", old, old_properties=new, physical_id=answer["PhysicalResourceId"])
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == old_arn
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) == 3
    assert len(deployment.forecast.jobs()) == 2


def test_a_rollback_update_of_an_in_place_change_never_fails(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = valid_properties(Tags=[{"Key": "team", "Value": "a"}])
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    new = valid_properties(Tags=[{"Key": "team", "Value": "b"}])
    assert deployment.request("Update", new, old_properties=old, physical_id=arn)["Status"] == "SUCCESS"
    rollback = deployment.request("Update", old, old_properties=new, physical_id=arn)
    assert rollback["Status"] == "SUCCESS"
    assert rollback["PhysicalResourceId"] == arn
    assert deployment.forecast.job(arn).tags == {"team": "a"}


def test_a_failed_replacement_is_deleted_before_answering(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = valid_properties()
    old_arn = deployment.request("Create", old)["PhysicalResourceId"]
    deployment.forecast.failure = lambda kind, name: "The role cannot use the KMS key"
    new = valid_properties(Format="PARQUET")
    answer = deployment.request("Update", new, old_properties=old, physical_id=old_arn)
    assert answer["Status"] == "FAILED"
    assert "The role cannot use the KMS key" in answer["Reason"]
    assert answer["PhysicalResourceId"] == old_arn
    assert [job.arn for job in deployment.forecast.live_jobs()] == [old_arn]


def test_an_invalid_update_fails_and_keeps_the_export(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    old = valid_properties()
    arn = deployment.request("Create", old)["PhysicalResourceId"]
    answer = deployment.request("Update", valid_properties(Format="XML"), old_properties=old, physical_id=arn)
    assert answer["Status"] == "FAILED"
    assert "Format" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn


# Delete


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_delete_removes_the_export_and_answers_once_it_is_gone(
    deploy: Callable[..., Deployment], resource_type: str
) -> None:
    deployment = deploy()
    properties = valid_properties(resource_type)
    arn = deployment.request("Create", properties, resource_type=resource_type)["PhysicalResourceId"]
    answer = deployment.request("Delete", properties, resource_type=resource_type, physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.live_jobs() == []


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_delete_of_an_export_still_being_created(deploy: Callable[..., Deployment], resource_type: str) -> None:
    deployment = deploy(duration=2.0)
    properties = valid_properties(resource_type)
    create = deployment.event("Create", properties, resource_type=resource_type)
    deployment.send(create)
    deadline = time.monotonic() + 10
    while not deployment.forecast.jobs():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    arn = deployment.forecast.jobs()[0].arn
    answer = deployment.request("Delete", properties, resource_type=resource_type, physical_id=arn)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert deployment.forecast.live_jobs() == []
    stopped = deployment.forecast.count("StopResource") == 1
    assert stopped == (resource_type != "Custom::WhatIfForecastExport")
    deployment.answer(create)  # the Create still answers (it saw the job stopped or deleted)


def test_delete_of_a_missing_export_succeeds(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    arn = "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/demand/gone"
    answer = deployment.request("Delete", valid_properties(ForecastExportJobName="gone"), physical_id=arn)
    assert answer["Status"] == "SUCCESS"
    assert [call.operation for call in deployment.forecast.calls] == ["DescribeForecastExportJob"]


def test_delete_failed_reports_forecasts_message(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(delete_failure=lambda kind, name: "Export is locked by a legal hold")
    arn = deployment.request("Create", valid_properties())["PhysicalResourceId"]
    answer = deployment.request("Delete", valid_properties(), physical_id=arn)
    assert answer["Status"] == "FAILED"
    assert "Export is locked by a legal hold" in answer["Reason"]


# Throttling and scale


def test_half_of_all_forecast_calls_throttled_still_succeeds(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(throttle_rate=0.5, server_error_rate=0.1, seed=7)
    created = deployment.request("Create", valid_properties(Tags=[{"Key": "a", "Value": "1"}]))
    assert created["Status"] == "SUCCESS", created["Reason"]
    arn = created["PhysicalResourceId"]
    updated = deployment.request(
        "Update",
        valid_properties(Tags=[{"Key": "a", "Value": "2"}]),
        old_properties=valid_properties(Tags=[{"Key": "a", "Value": "1"}]),
        physical_id=arn,
    )
    assert updated["Status"] == "SUCCESS", updated["Reason"]
    deleted = deployment.request("Delete", valid_properties(), physical_id=arn)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    throttled = [call for call in deployment.forecast.calls if call.error == "ThrottlingException"]
    assert len(throttled) >= 5
    assert any(call.error == "InternalFailure" for call in deployment.forecast.calls), "5xx answers are retried too"
    assert deployment.forecast.live_jobs() == []


def test_thirty_creates_against_a_cap_of_three_concurrent_jobs(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(max_concurrent_per_kind=3, duration=0.5, timeout_seconds=20.0)
    events = [deployment.event("Create", valid_properties(), logical_id=f"Export{i}") for i in range(30)]
    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(deployment.send, events))
    answers = [deployment.answer(event, timeout=120) for event in events]
    assert [answer["Status"] for answer in answers] == ["SUCCESS"] * 30, [a["Reason"] for a in answers]
    jobs = deployment.forecast.jobs()
    assert len(jobs) == 30
    assert len({answer["PhysicalResourceId"] for answer in answers}) == 30
    assert deployment.forecast.max_concurrency("forecast_export") <= 3
    assert deployment.forecast.count("CreateForecastExportJob", errors=True) > 30, "the cap was reached"


def test_the_response_url_never_appears_in_the_logs(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy(duration=6.0, timeout_seconds=4.5)
    event = deployment.event("Create", valid_properties())
    deployment.send(event)
    assert deployment.answer(event)["Status"] == "SUCCESS"
    deployment.runtime.wait_idle(timeout=10)
    logs = deployment.runtime.logs
    assert event["RequestId"] in logs, "the handler's own log lines were captured"
    assert deployment.runtime.invocation_count >= 2, "the continuation payload carried the event too"
    assert deployment.endpoint.secret_of(event["ResponseURL"]) not in logs
    assert "X-Amz-Signature" not in logs
    assert "amazonaws.com" not in logs and "127.0.0.1:" + str(deployment.endpoint.port) not in logs


def test_fifty_what_if_sources_still_fit_cloudformations_response_limit(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    sources = [
        f"arn:aws:forecast:us-east-1:123456789012:what-if-forecast/analysis/scenario_{i:02d}_" + "x" * 40
        for i in range(50)
    ]
    properties = valid_properties("Custom::WhatIfForecastExport", WhatIfForecastArns=sources)
    answer = deployment.request("Create", properties, resource_type="Custom::WhatIfForecastExport")
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert "SourceArn" not in answer["Data"], "50 long ARNs would push the answer past 4,096 bytes"
    assert answer["Data"]["Arn"] == answer["PhysicalResourceId"]
    assert deployment.endpoint.violations == []
