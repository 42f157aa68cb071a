"""What a request may touch, and how far a continuation's wait state is believed."""

from __future__ import annotations

from typing import Any

from forecast_export_provider.naming import generated_name
from forecast_export_provider.ownership import bounded, origin_problem, owns, refusal
from forecast_export_provider.resource import Request, Status
from forecast_export_provider.wait_state import Step, WaitState
from tests.properties import valid_properties

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:provider"
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/0a1b2c3d"
OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/other/0a1b2c3d"
EXPORTS = "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/demand/"


def request(request_type: str, physical_id: str | None = None, stack_id: str = STACK, **properties: Any) -> Request:
    return Request(
        request_type=request_type,
        stack_id=stack_id,
        logical_id="Export1",
        request_id="req",
        properties=valid_properties(**properties),
        physical_id=physical_id,
    )


def test_a_stack_of_another_account_region_or_partition_is_refused() -> None:
    """Fault table: "a request whose StackId names another account or region"."""
    assert origin_problem(request("Create"), FUNCTION) is None
    for other in (
        STACK.replace("123456789012", "210987654321"),
        STACK.replace("us-east-1", "eu-west-1"),
        STACK.replace("arn:aws:", "arn:aws-cn:"),
        "not-an-arn",
    ):
        refused = refusal(request("Create", stack_id=other), FUNCTION)
        assert refused is not None and refused.status is Status.FAILED, other


def test_an_export_is_owned_by_its_name_in_this_account_and_region_only() -> None:
    """Fault table: "a forged Delete with another stack's id and another team's export ARN"."""
    ours = EXPORTS + generated_name(STACK, "Export1", "earlier-request")
    assert owns(request("Delete"), ours, FUNCTION)
    assert owns(request("Delete", ForecastExportJobName="mine"), EXPORTS + "mine", FUNCTION)
    assert not owns(request("Delete"), EXPORTS + "mine", FUNCTION)
    assert not owns(request("Delete"), EXPORTS + generated_name(OTHER_STACK, "Export1", "r"), FUNCTION)
    assert not owns(request("Delete"), ours.replace("123456789012", "210987654321"), FUNCTION)


def test_a_delete_of_a_foreign_export_succeeds_and_an_update_fails() -> None:
    """Fault table: "an Update about an export not this resource's"."""
    foreign = EXPORTS + "their_export"
    deleted = refusal(request("Delete", foreign), FUNCTION)
    assert deleted is not None and deleted.status is Status.SUCCESS and deleted.physical_id == foreign
    updated = refusal(request("Update", foreign), FUNCTION)
    assert updated is not None and updated.status is Status.FAILED and "their_export" in updated.reason
    assert refusal(request("Delete", "not-an-export-arn"), FUNCTION) is None
    continued = refusal(request("Create"), FUNCTION, [foreign])
    assert continued is not None and continued.status is Status.FAILED


def test_a_forged_wait_state_is_clamped_to_the_total_wait_from_a_first_arrival_within_the_hour() -> None:
    """Fault table: "a forged continuation whose deadline lies far in the future"."""
    now = 1_000_000.0
    far = WaitState(step=Step.AWAIT, started_at=now + 500, deadline=now + 10**9, kind="what_if_forecast_export")
    state = bounded(request("Create"), far, now, total_wait=3480)
    assert state.started_at == now and state.deadline == now + 3480
    old = WaitState(step=Step.AWAIT, started_at=0.0, deadline=now + 10**9)
    assert bounded(request("Create"), old, now).deadline == now - 3600 + 3480
    short = WaitState(step=Step.AWAIT, started_at=now, deadline=now + 10**9)
    assert bounded(request("Create", ServiceTimeout="300"), short, now).deadline == now + 300 - 40
    wrong_kind = WaitState(step=Step.AWAIT, started_at=now, deadline=now + 60, kind="nonsense", arn=EXPORTS + "x")
    assert bounded(request("Create"), wrong_kind, now).kind == "forecast_export"
