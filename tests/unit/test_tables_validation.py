"""The table resource's properties: recognised, validated before any AWS call, every problem named."""

from __future__ import annotations

from typing import Any

import pytest

from forecast_export_provider.tables import (
    FAILED,
    SUCCESS,
    TableResource,
    find_table_problems,
)
from tests.properties import table_request

EXPORTS = {
    "forecast": "arn:aws:forecast:us-east-1:123456789012:forecast-export-job/demand/daily",
    "backtest": "arn:aws:forecast:us-east-1:123456789012:predictor-backtest-export-job/demand/backtest",
    "explainability": "arn:aws:forecast:us-east-1:123456789012:explainability-export/demand/why",
    "what_if": "arn:aws:forecast:us-east-1:123456789012:what-if-forecast-export/price_cut",
}


def valid(export: str = "forecast", /, **overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ServiceTimeout": "300",
        "ExportArn": EXPORTS[export],
        "DatabaseName": "forecast",
        "TableName": "daily",
        "ManifestLocation": "s3://forecast-exports-123456789012/athena/tables/forecast/daily/",
    }
    if export == "backtest":
        properties["Dataset"] = "accuracy-metrics-values"
    properties.update(overrides)
    return {key: value for key, value in properties.items() if value is not None}


class NoCalls:
    """A client that fails the test on any call."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"an AWS call was made: {name}")


def resource() -> TableResource:
    no_calls: Any = NoCalls()
    return TableResource(
        glue=no_calls, s3=no_calls, forecast=no_calls, account_id="123456789012", partition="aws", region="us-east-1"
    )


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_valid_properties_of_every_kind_have_no_problems(export: str) -> None:
    assert find_table_problems(valid(export)) == []
    assert find_table_problems(valid(export, CatalogId="210987654321")) == []


BAD = [
    ("ExportArn", "arn:aws:forecast:us-east-1:123456789012:forecast/daily", valid()),
    ("ExportArn", "not an arn", valid()),
    ("DatabaseName", "Forecast", valid()),
    ("DatabaseName", "forecast ", valid()),
    ("TableName", "daily-table", valid()),
    ("TableName", "x" * 256, valid()),
    ("ManifestLocation", "s3://forecast-exports-123456789012/athena/tables", valid()),
    ("ManifestLocation", "s3://forecast-exports-123456789012/", valid()),
    ("ManifestLocation", "https://bucket/prefix/", valid()),
    ("Dataset", "forecasted_values", valid("backtest")),
    ("Dataset", "forecasted-values", valid("forecast")),
    ("CatalogId", "1234", valid()),
    ("Colour", "Colour", valid()),
]


@pytest.mark.parametrize(("name", "value", "base"), BAD, ids=[f"{name}={value[:30]}" for name, value, _ in BAD])
def test_each_bad_input_fails_naming_the_property_and_the_value_without_an_aws_call(
    name: str, value: str, base: dict[str, Any]
) -> None:
    properties = {**base, name: value}

    outcome = resource().create(table_request(properties))

    assert outcome.status == FAILED
    assert outcome.reason.startswith(name)
    assert repr(value)[:40] in outcome.reason or repr(value)[:40].rstrip("'") in outcome.reason
    assert len(outcome.reason) < 256
    assert not (outcome.physical_id or "").startswith("arn:")


@pytest.mark.parametrize("missing", ["ExportArn", "DatabaseName", "TableName", "ManifestLocation"])
def test_each_missing_property_is_named(missing: str) -> None:
    problems = find_table_problems(valid(**{missing: None}))
    assert [(problem.property, problem.rule) for problem in problems] == [(missing, "is required")]


def test_a_backtest_table_needs_its_dataset() -> None:
    [problem] = find_table_problems(valid("backtest", Dataset=None))
    assert problem.property == "Dataset"
    assert "forecasted-values or accuracy-metrics-values" in problem.rule


def test_every_problem_is_collected_at_once() -> None:
    problems = find_table_problems(valid(DatabaseName="A", TableName="B", CatalogId="x"))
    assert {problem.property for problem in problems} == {"DatabaseName", "TableName", "CatalogId"}


def test_values_not_known_at_synth_time_are_skipped() -> None:
    token = "${Token[TOKEN.123]}"
    properties = valid(ExportArn=token, DatabaseName=token, ManifestLocation=token, Dataset="forecasted-values")
    assert find_table_problems(properties, skip=lambda value: value == token) == []


def test_an_update_with_a_bad_input_fails_and_keeps_the_current_table() -> None:
    current = "arn:aws:glue:us-east-1:123456789012:table/forecast/daily"

    outcome = resource().update(table_request(valid(TableName="Bad"), old_properties=valid(), physical_id=current))

    assert (outcome.status, outcome.physical_id) == (FAILED, current)
    assert outcome.reason.startswith("TableName")


@pytest.mark.parametrize("physical_id", ["not-created:forecast.daily", "", "arn:aws:forecast:us-east-1:1:x/y"])
def test_delete_of_something_that_is_not_a_table_arn_succeeds_without_a_call(physical_id: str) -> None:
    outcome = resource().delete(table_request(valid(), physical_id=physical_id))
    assert (outcome.status, outcome.physical_id) == (SUCCESS, physical_id)
