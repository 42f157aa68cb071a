"""The kind table agrees with botocore's Forecast model."""

from __future__ import annotations

import re

import pytest

from forecast_export_provider.kinds import KINDS, ExportKind, kind_of_arn
from forecast_export_provider.validation import forecast_model


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_operations_and_members_exist_in_the_model(kind: ExportKind) -> None:
    model = forecast_model()
    create = model.operation_model(kind.create_operation)
    assert {kind.name_property, kind.source_property} <= set(create.input_shape.members)
    assert kind.arn_property in create.output_shape.members
    describe = model.operation_model(kind.describe_operation)
    assert list(describe.input_shape.members) == [kind.arn_property]
    assert {kind.name_property, kind.source_property, "Status", "Destination"} <= set(describe.output_shape.members)
    assert list(model.operation_model(kind.delete_operation).input_shape.members) == [kind.arn_property]
    listing = model.operation_model(kind.list_operation)
    summary = listing.output_shape.members[kind.list_key].member
    assert {kind.arn_property, kind.name_property} <= set(summary.members)
    assert (create.input_shape.members[kind.source_property].type_name == "list") == kind.source_is_list


def documented_filter_keys(list_operation: str) -> set[str]:
    """The filter keys that the List operation's documentation names ("Valid values are ...")."""
    documentation = forecast_model().operation_model(list_operation).input_shape.members["Filters"].documentation
    *_, keys = re.findall(r"Valid values are ((?:<code>\w+</code>(?:, | and | or )?)+)", documentation)
    return set(re.findall(r"<code>(\w+)</code>", keys))


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.key)
def test_source_filter_key_is_documented_by_the_list_operation(kind: ExportKind) -> None:
    keys = documented_filter_keys(kind.list_operation)
    if kind.source_filter_key is None:
        # The what-if list has no source filter: its keys are the export's own ARN and Status.
        assert kind.key == "what_if_forecast_export"
        assert keys == {"WhatIfForecastExportArn", "Status"}
    else:
        assert keys == {kind.source_filter_key, "Status"}


def test_stop_resource_lists_the_stoppable_kinds() -> None:
    documentation = forecast_model().operation_model("StopResource").documentation
    assert "Forecast Export Job" in documentation
    assert "Predictor Backtest Export Job" in documentation
    assert "Explainability Export Job" in documentation
    assert [kind.key for kind in KINDS if not kind.stoppable] == ["what_if_forecast_export"]


def key_of_arn(arn: str) -> str | None:
    """The key of the ARN's kind, or None if the ARN is no export's."""
    kind = kind_of_arn(arn)
    return None if kind is None else kind.key


def test_export_arns_map_to_their_kind() -> None:
    base = "arn:aws:forecast:us-east-1:123456789012:"
    assert key_of_arn(base + "forecast-export-job/f/e") == "forecast_export"
    assert key_of_arn(base + "predictor-backtest-export-job/p/e") == "predictor_backtest_export"
    assert key_of_arn(base + "explainability-export/x/e") == "explainability_export"
    assert key_of_arn(base + "what-if-forecast-export/e") == "what_if_forecast_export"
    assert kind_of_arn(base + "forecast/f") is None
    assert kind_of_arn("app_Export1_ABCDEFGH") is None
