"""What validation hands on: the export that reaches Create, the ServiceTimeout, adoption's
comparison with an existing export, the source rules and the one-line summary of problems."""

from __future__ import annotations

from typing import Any

import pytest

from forecast_export_provider.constants import MAX_REASON_LENGTH
from forecast_export_provider.validation import (
    InvalidProperties,
    Problem,
    find_problems,
    parse,
    service_timeout,
    shorten,
    summarize,
)
from tests.properties import KMS_KEY_ARN, ROLE_ARN, SOURCES, valid_properties

PATH = "s3://forecast-exports-bucket/exports/"


def _with_key(**extra: Any) -> dict[str, Any]:
    properties = valid_properties(**extra)
    properties["Destination"]["S3Config"]["KMSKeyArn"] = KMS_KEY_ARN
    return properties


def _description(**changes: Any) -> dict[str, Any]:
    """What Describe shows for the export of ``_with_key(Format="PARQUET")``, with changes."""
    s3 = {"Path": PATH, "RoleArn": ROLE_ARN, "KMSKeyArn": KMS_KEY_ARN}
    s3.update({key: value for key, value in changes.items() if key in s3})
    description: dict[str, Any] = {
        "ForecastArn": SOURCES["Custom::ForecastExportJob"][1],
        "Destination": {"S3Config": {key: value for key, value in s3.items() if value is not None}},
        "Format": "PARQUET",
    }
    description.update({key: value for key, value in changes.items() if key not in s3})
    return description


def test_the_destination_that_reaches_create_is_the_one_given() -> None:
    spec = parse(_with_key(ForecastExportJobName="weekly", Format="PARQUET", Tags=[{"Key": "team", "Value": "d"}]))
    assert spec.create_request("weekly") == {
        "ForecastExportJobName": "weekly",
        "ForecastArn": SOURCES["Custom::ForecastExportJob"][1],
        "Destination": {"S3Config": {"Path": PATH, "RoleArn": ROLE_ARN, "KMSKeyArn": KMS_KEY_ARN}},
        "Format": "PARQUET",
        "Tags": [{"Key": "team", "Value": "d"}],
    }
    assert spec.name == "weekly"


def test_without_a_key_format_or_tags_create_gets_none_of_them() -> None:
    spec = parse(valid_properties())
    assert spec.create_request("n") == {
        "ForecastExportJobName": "n",
        "ForecastArn": SOURCES["Custom::ForecastExportJob"][1],
        "Destination": {"S3Config": {"Path": PATH, "RoleArn": ROLE_ARN}},
    }
    assert (spec.name, spec.kms_key_arn, spec.format, spec.tags) == (None, None, None, ())


def test_a_what_if_export_sends_its_list_of_sources() -> None:
    spec = parse(valid_properties("Custom::WhatIfForecastExport"))
    assert spec.create_request("n")["WhatIfForecastArns"] == SOURCES["Custom::WhatIfForecastExport"][1]


@pytest.mark.parametrize("value", ["1", "3600", 1, 3600, "0900"])
def test_a_service_timeout_of_whole_seconds_within_bounds_is_accepted(value: Any) -> None:
    assert find_problems(valid_properties(ServiceTimeout=value)) == []
    assert service_timeout({"ServiceTimeout": value}) == int(value)


@pytest.mark.parametrize("value", ["0", "3601", 0, 3601, "12.5", 12.5, "abc", True, "", " 60", "-1", "12345", None])
def test_a_bad_service_timeout_is_refused_with_its_bounds(value: Any) -> None:
    assert service_timeout({"ServiceTimeout": value}) is None
    if value is None:
        return
    [problem] = find_problems(valid_properties(ServiceTimeout=value))
    assert problem.property == "ServiceTimeout"
    assert str(problem) == f"ServiceTimeout must be a whole number of seconds from 1 to 3600; got {value!r}"


def test_an_unchecked_service_timeout_is_left_for_later() -> None:
    assert find_problems(valid_properties(ServiceTimeout="${Token[T.1]}"), skip=lambda v: "Token" in str(v)) == []


def test_an_identical_export_has_no_differences() -> None:
    assert parse(_with_key(Format="PARQUET")).differences(_description()) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"ForecastArn": "arn:aws:forecast:us-east-1:123456789012:forecast/other"}, "ForecastArn"),
        ({"Path": "s3://forecast-exports-bucket/other/"}, "Destination.S3Config.Path"),
        ({"RoleArn": "arn:aws:iam::123456789012:role/other"}, "Destination.S3Config.RoleArn"),
        ({"KMSKeyArn": "arn:aws:kms:us-east-1:123456789012:key/other"}, "Destination.S3Config.KMSKeyArn"),
        ({"KMSKeyArn": None}, "Destination.S3Config.KMSKeyArn"),
        ({"Format": "CSV"}, "Format"),
        ({"Format": None}, "Format"),
    ],
)
def test_adoption_names_the_one_setting_that_differs(change: dict[str, Any], named: str) -> None:
    assert parse(_with_key(Format="PARQUET")).differences(_description(**change)) == [named]


def test_an_export_without_a_key_or_format_differs_from_one_with_them() -> None:
    spec = parse(valid_properties())
    assert spec.differences(_description()) == ["Destination.S3Config.KMSKeyArn", "Format"]
    assert spec.differences(_description(KMSKeyArn=None, Format="CSV")) == []


def test_a_what_if_export_compares_its_sources_as_a_set() -> None:
    sources = SOURCES["Custom::WhatIfForecastExport"][1]
    spec = parse(valid_properties("Custom::WhatIfForecastExport"))
    same = {
        "WhatIfForecastArns": list(reversed(sources)),
        "Destination": {"S3Config": {"Path": PATH, "RoleArn": ROLE_ARN}},
    }
    assert spec.differences(same) == []
    assert spec.differences({**same, "WhatIfForecastArns": sources[:1]}) == ["WhatIfForecastArns"]


def test_two_sources_are_refused_by_the_rule_for_exactly_one_source() -> None:
    properties = valid_properties(PredictorArn=SOURCES["Custom::PredictorBacktestExportJob"][1])
    [problem] = find_problems(properties)
    assert problem == Problem(
        "source", "'ForecastArn, PredictorArn'", "is ambiguous: give exactly one of these properties"
    )


def test_no_source_is_refused_naming_every_source_property() -> None:
    properties = valid_properties()
    del properties["ForecastArn"]
    [problem] = find_problems(properties)
    assert problem.property == "source"
    assert all(key in problem.rule for key, _ in SOURCES.values())


def test_one_long_problem_is_cut_to_the_limit_and_says_so() -> None:
    problem = Problem("Tags[0].Key", "'" + "k" * 400 + "'", "must be short")
    text = summarize([problem])
    assert len(text) == MAX_REASON_LENGTH
    assert text.startswith("Tags[0].Key must be short; got 'kkk") and text.endswith("... (+1 more)")


def test_a_summary_counts_exactly_the_problems_it_leaves_out() -> None:
    problems = [Problem(f"Tags[{index}].Key", "'x'", "must not start with aws:") for index in range(30)]
    text = summarize(problems, limit=120)
    shown = text.count("must not start")
    assert len(text) <= 120
    assert text.endswith(f" (+{30 - shown} more)")
    assert text.startswith("; ".join(str(problem) for problem in problems[:shown]))


def test_problems_that_fit_are_all_shown_without_a_count() -> None:
    problems = [Problem("A", "'1'", "is bad"), Problem("B", "'2'", "is bad")]
    assert summarize(problems) == "A is bad; got '1'; B is bad; got '2'"
    exact = summarize(problems, limit=len("A is bad; got '1'; B is bad; got '2'"))
    assert exact == "A is bad; got '1'; B is bad; got '2'"


def test_the_error_carries_every_problem_and_their_summary() -> None:
    properties = valid_properties(ForecastExportJobName="1x", Format="XML")
    with pytest.raises(InvalidProperties) as raised:
        parse(properties)
    assert [problem.property for problem in raised.value.problems] == ["ForecastExportJobName", "Format"]
    assert str(raised.value) == summarize(raised.value.problems)


def test_a_long_reason_keeps_its_start() -> None:
    assert shorten("r" * MAX_REASON_LENGTH) == "r" * MAX_REASON_LENGTH
    assert shorten("r" * (MAX_REASON_LENGTH + 1)) == "r" * (MAX_REASON_LENGTH - 3) + "..."
