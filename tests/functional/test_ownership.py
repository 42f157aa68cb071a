"""Only its own exports (contract section 4), through the real entry point and crhelper.

Forged requests (another stack's id, another team's export ARN, another account, a forged
continuation) reach the real handler over the stand-ins; each test cites its row of the fault
table in docs/design.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from forecast_export_provider.naming import generated_name
from tests.properties import SOURCES, valid_properties

if TYPE_CHECKING:
    from tests.functional.conftest import Deployment

OUR_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/forecast-exports/5b3e7c80-1d2a-11ef-9a4c-0a1b2c3d4e5f"
OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/other-team/0d1e2f30-1d2a-11ef-9a4c-0a1b2c3d4e5f"
OTHER_ACCOUNT_STACK = OUR_STACK.replace("123456789012", "210987654321")
MUTATIONS = ("DeleteForecastExportJob", "StopResource", "TagResource", "UntagResource", "CreateForecastExportJob")


def event_from(
    deployment: Deployment, stack_id: str, request_type: str, properties: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """A request as ``Deployment.event`` builds it, but from the stack ``stack_id``."""
    event = deployment.event(request_type, properties, **kwargs)
    url = deployment.endpoint.new_response_url(stack_id, event["LogicalResourceId"], event["RequestId"])
    deployment.urls.append(url)
    event.update(StackId=stack_id, ResponseURL=url)
    return event


def request_from(
    deployment: Deployment, stack_id: str, request_type: str, properties: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    event = event_from(deployment, stack_id, request_type, properties, **kwargs)
    deployment.send(event)
    return deployment.answer(event)


def other_teams_export(deployment: Deployment, name: str) -> str:
    """An ACTIVE export that another team made with its own tools."""
    client = deployment.forecast.client()
    _, source = SOURCES["Custom::ForecastExportJob"]
    arn: str = client.create_forecast_export_job(
        ForecastExportJobName=name,
        ForecastArn=source,
        Destination=valid_properties()["Destination"],
        Tags=[{"Key": "team", "Value": "other"}],
    )["ForecastExportJobArn"]
    deadline = time.monotonic() + 10
    while deployment.forecast.job(arn).status != "ACTIVE":
        assert time.monotonic() < deadline, "the other team's export did not turn ACTIVE"
        time.sleep(0.05)
    return arn


def mutations(deployment: Deployment) -> int:
    return sum(deployment.forecast.count(operation, errors=True) for operation in MUTATIONS)


def test_a_forged_delete_of_another_teams_export_answers_success_and_touches_nothing(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN".

    The export was generated for the other team's stack and logical id; the forged Delete names it
    as its PhysicalResourceId from another stack, and then from another stack with the same
    logical id: both answer SUCCESS, and the export stays ACTIVE with its tags.
    """
    deployment = deploy()
    their_name = generated_name(OTHER_STACK, "DailyDemandExport", "their-request")
    arn = other_teams_export(deployment, their_name)
    before = mutations(deployment)
    for logical_id in ("Attacker", "DailyDemandExport"):
        answer = request_from(
            deployment, OUR_STACK, "Delete", valid_properties(), physical_id=arn, logical_id=logical_id
        )
        assert answer["Status"] == "SUCCESS", answer["Reason"]
        assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.job(arn).status == "ACTIVE"
    assert deployment.forecast.job(arn).tags == {"team": "other"}
    assert mutations(deployment) == before, "the forged Delete stopped, deleted or retagged the export"


def test_a_forged_update_of_another_teams_export_fails_and_touches_nothing(deploy: Callable[..., Deployment]) -> None:
    """Fault table: "an Update about an export not this resource's"."""
    deployment = deploy()
    arn = other_teams_export(deployment, "their_explicit_name")
    before = mutations(deployment)
    forged_tags = [{"Key": "team", "Value": "attacker"}]
    answer = request_from(
        deployment,
        OUR_STACK,
        "Update",
        valid_properties(Tags=forged_tags),
        old_properties=valid_properties(),
        physical_id=arn,
    )
    assert answer["Status"] == "FAILED"
    assert "their_explicit_name" in answer["Reason"] and "not DailyDemandExport's" in answer["Reason"]
    assert answer["PhysicalResourceId"] == arn
    assert deployment.forecast.job(arn).tags == {"team": "other"}
    assert mutations(deployment) == before


def test_a_request_from_another_account_fails_and_touches_nothing(deploy: Callable[..., Deployment]) -> None:
    """Fault table: "a request whose StackId names another account or region"."""
    deployment = deploy()
    arn = other_teams_export(deployment, generated_name(OUR_STACK, "DailyDemandExport", "ours"))
    before = mutations(deployment)
    answer = request_from(deployment, OTHER_ACCOUNT_STACK, "Delete", valid_properties(), physical_id=arn)
    assert answer["Status"] == "FAILED"
    assert "account 210987654321" in answer["Reason"]
    created = request_from(
        deployment, OTHER_ACCOUNT_STACK.replace("us-east-1", "eu-west-1"), "Create", valid_properties()
    )
    assert created["Status"] == "FAILED" and "eu-west-1" in created["Reason"]
    assert deployment.forecast.job(arn).status == "ACTIVE"
    assert mutations(deployment) == before


def test_the_cleanup_delete_after_a_replacement_still_reaches_the_old_export(deploy: Callable[..., Deployment]) -> None:
    """Fault table: "the cleanup Delete after a replacement" (generated names, then explicit ones)."""
    deployment = deploy()
    for name_property in ({}, {"ForecastExportJobName": "daily_v1"}):
        old = valid_properties(**name_property)
        created = deployment.request("Create", old)
        assert created["Status"] == "SUCCESS", created["Reason"]
        new = valid_properties(Format="PARQUET", **({"ForecastExportJobName": "daily_v2"} if name_property else {}))
        updated = deployment.request("Update", new, old_properties=old, physical_id=created["PhysicalResourceId"])
        assert updated["Status"] == "SUCCESS", updated["Reason"]
        assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
        cleanup = deployment.request("Delete", old, physical_id=created["PhysicalResourceId"])
        assert cleanup["Status"] == "SUCCESS", cleanup["Reason"]
        assert deployment.forecast.job(created["PhysicalResourceId"]).status == "DELETED"
        assert deployment.forecast.job(updated["PhysicalResourceId"]).status == "ACTIVE"


def test_an_export_named_by_an_earlier_release_still_updates_and_deletes(deploy: Callable[..., Deployment]) -> None:
    """Fault table: "an export created by an earlier release (no stack part in its name)"."""
    deployment = deploy()
    legacy = other_teams_export(deployment, "DailyDemandExport_0123456789abcdef")
    tagged = deployment.request(
        "Update",
        valid_properties(Tags=[{"Key": "team", "Value": "ours"}]),
        old_properties=valid_properties(),
        physical_id=legacy,
    )
    assert tagged["Status"] == "SUCCESS", tagged["Reason"]
    assert tagged["PhysicalResourceId"] == legacy
    deleted = deployment.request("Delete", valid_properties(), physical_id=legacy)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert deployment.forecast.job(legacy).status == "DELETED"


def test_a_forged_continuation_with_a_far_deadline_gives_up_within_the_total_wait(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: "a forged continuation whose deadline lies far in the future".

    The continuation claims a first arrival 3,000 s ago and a deadline a year ahead; the provider
    holds it to the total wait (40 s in these tests) from its first arrival, so it gives up at once
    instead of re-invoking itself for ever.
    """
    deployment = deploy(duration=math.inf)
    properties = valid_properties()
    created = deployment.forecast.client().create_forecast_export_job(
        ForecastExportJobName=generated_name(OUR_STACK, "DailyDemandExport", "first"),
        ForecastArn=properties["ForecastArn"],
        Destination=properties["Destination"],
    )
    arn = created["ForecastExportJobArn"]
    now = time.time()
    event = deployment.event("Create", properties)
    state = {
        "step": "await",
        "started_at": now - 3000,
        "deadline": now + 365 * 86400,
        "kind": "forecast_export",
        "arn": arn,
    }
    event.update(CrHelperPoll=True, CrHelperData={"ForecastExportWait": state})
    deployment.send(event)
    answer = deployment.answer(event, timeout=20)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Gave up after"), answer["Reason"]


def test_a_forged_continuation_about_another_teams_export_touches_nothing(deploy: Callable[..., Deployment]) -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN" (as a continuation)."""
    deployment = deploy()
    arn = other_teams_export(deployment, "their_export")
    before = mutations(deployment)
    now = time.time()
    event = deployment.event("Delete", valid_properties(), physical_id=OUR_STACK)
    state = {"step": "dismantle", "started_at": now, "deadline": now + 30, "kind": "forecast_export", "arn": arn}
    event.update(CrHelperPoll=True, CrHelperData={"ForecastExportWait": state})
    deployment.send(event)
    answer = deployment.answer(event)
    assert answer["Status"] == "FAILED" and "their_export" in answer["Reason"]
    assert deployment.forecast.job(arn).status == "ACTIVE"
    assert mutations(deployment) == before


def test_a_forged_clean_up_continuation_about_another_teams_export_touches_nothing(
    deploy: Callable[..., Deployment],
) -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN" (as the
    clean-up that follows a failed replacement's answer, which answers nothing)."""
    deployment = deploy()
    arn = other_teams_export(deployment, "their_export")
    before = mutations(deployment)
    now = time.time()
    event = deployment.event("Update", valid_properties(), physical_id=OUR_STACK)
    state = {
        "step": "dismantle",
        "started_at": now,
        "deadline": now + 30,
        "kind": "forecast_export",
        "arn": arn,
        "answered": True,
    }
    event.update(CrHelperPoll=True, CrHelperData={"ForecastExportWait": state})
    deployment.send(event)
    deployment.runtime.wait_idle(timeout=30)
    assert deployment.forecast.job(arn).status == "ACTIVE"
    assert mutations(deployment) == before
    assert "Not cleaning up" in deployment.runtime.logs
