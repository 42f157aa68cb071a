"""Each rule's problem exactly as the user reads it (property, value shown, fix), the inputs that
must not crash the checks, the values at each rule's bound, and values left for deploy time."""

from __future__ import annotations

from typing import Any

import pytest

from forecast_export_provider.validation import Problem, find_problems, parse, summarize
from tests.properties import SOURCES, valid_properties

WHAT_IF = "Custom::WhatIfForecastExport"
WHAT_IF_ARNS = SOURCES[WHAT_IF][1]
FORECAST_ARN = "arn:aws:forecast:us-east-1:123456789012:forecast/demand"
TOKEN = "${Token[TOKEN.12]}"
NOT_WHAT_IF = (
    "must be the ARN of a what-if-forecast, arn:<partition>:forecast:<region>:<account>:what-if-forecast/<name>"
)


def _s3(**changes: Any) -> dict[str, Any]:
    properties = valid_properties()
    properties["Destination"]["S3Config"].update(changes)
    return properties


def _without(key: str) -> dict[str, Any]:
    return {name: value for name, value in valid_properties().items() if name != key}


def _without_role() -> dict[str, Any]:
    properties = valid_properties()
    del properties["Destination"]["S3Config"]["RoleArn"]
    return properties


CASES: list[tuple[str, dict[str, Any], list[tuple[str, str, str]]]] = [
    ("destination-not-an-object", valid_properties(Destination="s3://bucket/"),
     [("Destination", "'s3://bucket/'", "must be an object with S3Config")]),
    ("unknown-s3-settings", _s3(Bucket="b", Prefix="p"),
     [("Destination.S3Config.Bucket", "'Bucket'", "is not a known property; use Path, RoleArn, KMSKeyArn"),
      ("Destination.S3Config.Prefix", "'Prefix'", "is not a known property; use Path, RoleArn, KMSKeyArn")]),
    ("role-missing", _without_role(), [("Destination.S3Config.RoleArn", "None", "is required")]),
    ("destination-missing", _without("Destination"), [("Destination", "None", "is required")]),
    ("source-missing", _without("ForecastArn"),
     [("source", "'none'",
       "is missing: give exactly one of ForecastArn, PredictorArn, ExplainabilityArn, WhatIfForecastArns")]),
    ("unknown-property", valid_properties(Compression="GZIP"),
     [("Compression", "'Compression'", "is not a property of Custom::ForecastExportJob")]),
    ("what-if-sources-not-a-list", valid_properties(WHAT_IF, WhatIfForecastArns=WHAT_IF_ARNS[0]),
     [("WhatIfForecastArns", "'arn:aws:forecast:us-east-1:123456789012:what-if-forecast...", "must be a list")]),
    ("what-if-sources-empty", valid_properties(WHAT_IF, WhatIfForecastArns=[]),
     [("WhatIfForecastArns", "'0 items'", "must have 1 to 50 items")]),
    ("name-not-a-string", valid_properties(ForecastExportJobName=5),
     [("ForecastExportJobName", "5", "must be a string")]),
    ("tag-value-not-a-string", valid_properties(Tags=[{"Key": "k", "Value": 5}]),
     [("Tags[0].Value", "a value not shown here", "must be a string")]),
    ("name-with-a-leading-space", valid_properties(ForecastExportJobName=" x"),
     [("ForecastExportJobName", "' x'", "must not start or end with whitespace or a newline")]),
    ("name-empty", valid_properties(ForecastExportJobName=""),
     [("ForecastExportJobName", "'0 characters'", "must be 1 to 63 characters long")]),
    ("path-not-s3", _s3(Path="ftp://x"),
     [("Destination.S3Config.Path", "'ftp://x'", "is invalid: use s3://bucket/optional/prefix/")]),
    ("long-value-cut", _s3(Path="ftp://" + "x" * 80),
     [("Destination.S3Config.Path", "'ftp://" + "x" * 50 + "...", "is invalid: use s3://bucket/optional/prefix/")]),
    ("value-of-sixty-characters-whole", _s3(Path="ftp://" + "x" * 52),
     [("Destination.S3Config.Path", "'ftp://" + "x" * 52 + "'", "is invalid: use s3://bucket/optional/prefix/")]),
    ("tag-key-bad-character", valid_properties(Tags=[{"Key": "team#1", "Value": "v"}]),
     [("Tags[0].Key", "a value not shown here", r"must match ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")]),
    ("format-xml", valid_properties(Format="XML"), [("Format", "'XML'", "is invalid: use CSV or PARQUET")]),
    ("source-of-another-type", valid_properties(ForecastArn="arn:aws:forecast:us-east-1:123456789012:predictor/p"),
     [("ForecastArn", "'arn:aws:forecast:us-east-1:123456789012:predictor/p'",
       "must be the ARN of a forecast, arn:<partition>:forecast:<region>:<account>:forecast/<name>")]),
    ("what-if-second-source-of-another-type",
     valid_properties(WHAT_IF, WhatIfForecastArns=[WHAT_IF_ARNS[0], FORECAST_ARN]),
     [("WhatIfForecastArns[1]", f"'{FORECAST_ARN}'", NOT_WHAT_IF)]),
    ("what-if-non-string-then-another-type", valid_properties(WHAT_IF, WhatIfForecastArns=[5, FORECAST_ARN]),
     [("WhatIfForecastArns[0]", "5", "must be a string"),
      ("WhatIfForecastArns[1]", f"'{FORECAST_ARN}'", NOT_WHAT_IF)]),
    ("source-not-a-string", valid_properties(ForecastArn=5), [("ForecastArn", "5", "must be a string")]),
    ("what-if-sources-repeated", valid_properties(WHAT_IF, WhatIfForecastArns=[WHAT_IF_ARNS[0]] * 2),
     [("WhatIfForecastArns", "'duplicates'", "must not repeat an ARN")]),
    ("what-if-non-strings-repeated", valid_properties(WHAT_IF, WhatIfForecastArns=[5, 5]),
     [("WhatIfForecastArns[0]", "5", "must be a string"), ("WhatIfForecastArns[1]", "5", "must be a string")]),
    ("bucket-with-two-dots", _s3(Path="s3://forecast..exports/x/"),
     [("Destination.S3Config.Path", "'s3://forecast..exports/x/'", "has an invalid bucket name 'forecast..exports': "
      "must not have two periods in a row")]),
    # 1,024 bytes less the longest file name Forecast writes under a generated name (docs/design.md).
    ("key-of-926-bytes", _s3(Path="s3://forecast-exports-bucket/" + "k" * 926),
     [("Destination.S3Config.Path", "'a key of 926 bytes'",
       "must have an S3 key part of at most 925 bytes, so that the files Forecast writes under it fit S3's 1024; "
       "use a shorter prefix")]),
    ("tag-key-not-a-string", valid_properties(Tags=[{"Key": 5, "Value": "v"}]),
     [("Tags[0].Key", "a value not shown here", "must be a string")]),
    ("tag-not-an-object", valid_properties(Tags=["team"]),
     [("Tags[0]", "'team'", "must be an object with Key, Value")]),
    ("tag-without-key-then-aws-prefix", valid_properties(Tags=[{"Value": "v"}, {"Key": "aws:x", "Value": "v"}]),
     [("Tags[0].Key", "None", "is required"),
      ("Tags[1].Key", "'aws:x'", "must not start with aws: (reserved by AWS)")]),
    ("tag-key-repeated", valid_properties(Tags=[{"Key": "t", "Value": "a"}, {"Key": "t", "Value": "b"}]),
     [("Tags[1].Key", "'t'", "repeats an earlier key; keys must be unique")]),
]  # fmt: skip


@pytest.mark.parametrize(("properties", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_problem_names_the_property_shows_the_value_and_gives_the_fix(
    properties: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    assert find_problems(properties) == [Problem(*problem) for problem in expected]


@pytest.mark.parametrize(
    "properties",
    [
        valid_properties(WHAT_IF, WhatIfForecastArns=WHAT_IF_ARNS[:1]),
        valid_properties(Tags=[{"Key": "k", "Value": " v "}]),
        valid_properties(ForecastArn=FORECAST_ARN + ":v2"),
        _s3(Path="s3://forecast-exports-bucket/" + "k" * 925),
    ],
    ids=["one-what-if-source", "tag-value-with-spaces", "source-name-with-a-colon", "key-of-925-bytes"],
)
def test_values_at_a_rule_s_bound_are_accepted(properties: dict[str, Any]) -> None:
    assert find_problems(properties) == []


def _unresolved(*values: object) -> Any:
    return lambda value: any(value is item or value == item for item in values)


def test_a_path_with_an_unresolved_bucket_is_left_for_deploy_time() -> None:
    properties = _s3(Path=f"s3://{TOKEN}/exports/")
    assert find_problems(properties, skip=_unresolved(properties["Destination"]["S3Config"]["Path"])) == []


def test_unresolved_what_if_sources_are_not_counted_as_repeats() -> None:
    properties = valid_properties(WHAT_IF, WhatIfForecastArns=[TOKEN, TOKEN])
    assert find_problems(properties, skip=_unresolved(TOKEN)) == []


def test_an_unresolved_tag_list_is_left_for_deploy_time() -> None:
    tags = [{"Key": "aws:x", "Value": "v"}]
    assert find_problems(valid_properties(Tags=tags), skip=_unresolved(tags)) == []


def test_unresolved_tag_keys_are_not_counted_as_repeats() -> None:
    tags = [{"Key": TOKEN, "Value": "a"}, {"Key": TOKEN, "Value": "b"}]
    assert find_problems(valid_properties(Tags=tags), skip=_unresolved(TOKEN)) == []


def test_a_summary_that_cannot_fit_the_next_problem_with_its_count_stops_before_it() -> None:
    problems = [Problem("A", "'1'", "is bad")] * 3
    assert summarize(problems, limit=41) == "A is bad; got '1' (+2 more)"
    assert summarize(problems, limit=46) == "A is bad; got '1'; A is bad; got '1' (+1 more)"


def test_adoption_compares_with_an_export_described_without_a_destination() -> None:
    spec = parse(valid_properties())
    assert spec.differences({"ForecastArn": FORECAST_ARN}) == [
        "Destination.S3Config.Path",
        "Destination.S3Config.RoleArn",
    ]
    assert spec.differences({"ForecastArn": FORECAST_ARN, "Destination": {}}) == [
        "Destination.S3Config.Path",
        "Destination.S3Config.RoleArn",
    ]
