"""Property validation: rules from botocore's model plus the contract's."""

from __future__ import annotations

import pytest

from forecast_export_provider.kinds import FORECAST_EXPORT
from forecast_export_provider.validation import (
    InvalidProperties,
    Problem,
    find_problems,
    max_key_bytes,
    parse,
    summarize,
)
from tests.properties import BAD_INPUTS, RESOURCE_TYPES, SOURCES, BadInput, bad_properties, valid_properties


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_valid_properties_of_every_kind_parse(resource_type: str) -> None:
    spec = parse(valid_properties(resource_type, Format="PARQUET", Tags=[{"Key": "team", "Value": "demand"}]))
    source_key, source = SOURCES[resource_type]
    assert spec.kind.resource_type == resource_type
    assert spec.kind.source_property == source_key
    assert list(spec.sources) == (source if isinstance(source, list) else [source])
    assert spec.format == "PARQUET"
    assert spec.tags == (("team", "demand"),)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.id)
def test_each_bad_input_is_named_in_the_error(case: BadInput) -> None:
    properties = bad_properties(case)
    problems = find_problems(properties)
    assert problems, f"{case.id} was accepted"
    with pytest.raises(InvalidProperties) as raised:
        parse(properties)
    message = str(raised.value)
    assert case.names in message
    assert len(message) < 256


def test_the_error_shows_the_value_received_and_the_fix() -> None:
    properties = valid_properties(ForecastExportJobName="my-export")
    [problem] = find_problems(properties)
    assert problem.property == "ForecastExportJobName"
    assert "'my-export'" in str(problem)
    assert "start with a letter" in str(problem)


def test_every_problem_is_collected_at_once() -> None:
    properties = valid_properties(ForecastExportJobName="1x", Format="XML")
    properties["Destination"]["S3Config"]["Path"] = "ftp://x"
    names = {problem.property for problem in find_problems(properties)}
    assert names == {"ForecastExportJobName", "Format", "Destination.S3Config.Path"}


def test_tag_values_are_sensitive_in_the_model_and_never_shown() -> None:
    secret = "s3cr3t#value"
    problems = find_problems(valid_properties(Tags=[{"Key": "k", "Value": secret}]))
    assert [problem.property for problem in problems] == ["Tags[0].Value"]
    assert secret not in str(problems[0])


def test_role_arn_is_not_held_to_the_models_forecast_arn_pattern() -> None:
    assert find_problems(valid_properties()) == []


def test_kms_key_in_another_partition_is_accepted() -> None:
    properties = valid_properties()
    properties["Destination"]["S3Config"]["KMSKeyArn"] = "arn:aws-cn:kms:cn-north-1:123456789012:key/abcd-1234"
    assert find_problems(properties) == []


def test_what_if_source_list_bounds_come_from_the_model() -> None:
    arn = "arn:aws:forecast:us-east-1:123456789012:what-if-forecast/a/w{}"
    empty = valid_properties("Custom::WhatIfForecastExport", WhatIfForecastArns=[])
    too_many = valid_properties("Custom::WhatIfForecastExport", WhatIfForecastArns=[arn.format(i) for i in range(51)])
    repeated = valid_properties("Custom::WhatIfForecastExport", WhatIfForecastArns=[arn.format(1)] * 2)
    assert [p.property for p in find_problems(empty)] == ["WhatIfForecastArns"]
    assert [p.property for p in find_problems(too_many)] == ["WhatIfForecastArns"]
    assert [p.property for p in find_problems(repeated)] == ["WhatIfForecastArns"]


def test_fifty_tags_of_maximum_length_are_valid() -> None:
    tags = [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(50)]
    assert find_problems(valid_properties(Tags=tags)) == []


def test_skipped_values_are_left_for_later() -> None:
    token = "${Token[TOKEN.123]}"
    properties = valid_properties(ForecastExportJobName=token)
    properties["Destination"]["S3Config"]["Path"] = token
    assert find_problems(properties, skip=lambda value: value == token) == []
    assert len(find_problems(properties)) == 2


def test_summary_stays_under_crhelpers_limit_and_counts_the_rest() -> None:
    problems = [Problem(f"Tags[{i}].Key", "'x'" * 20, "must not start with aws:") for i in range(20)]
    text = summarize(problems)
    assert len(text) <= 250
    assert text.startswith("Tags[0].Key")
    assert "more)" in text


def test_cloudformations_own_settings_are_accepted_beside_the_properties() -> None:
    assert find_problems(valid_properties(ServiceTimeout="3540")) == []


@pytest.mark.parametrize("path", ["/a//b/", "///", "/team/exports/"])
def test_a_role_path_that_iam_accepts_is_accepted_even_with_double_slashes(path: str) -> None:
    """Fault table: a role path with // that IAM accepts."""
    properties = valid_properties()
    properties["Destination"]["S3Config"]["RoleArn"] = f"arn:aws:iam::123456789012:role{path}writer"
    assert find_problems(properties) == []


@pytest.mark.parametrize(
    ("bucket", "rule"),
    [
        ("192.168.1.1", "IP address"),
        ("xn--bucket", "must not start with xn--"),
        ("ab-.cd", "period next to a hyphen"),
        ("ab.-cd", "period next to a hyphen"),
        ("ab..cd", "two periods in a row"),
        ("bucket-s3alias", "must not end with -s3alias"),
        ("bucket--ol-s3", "--ol-s3"),
    ],
)
def test_a_bucket_name_that_s3_refuses_is_refused_with_the_rule_it_breaks(bucket: str, rule: str) -> None:
    """Fault table: a bucket name S3 refuses."""
    properties = valid_properties()
    properties["Destination"]["S3Config"]["Path"] = f"s3://{bucket}/exports/"
    [problem] = find_problems(properties)
    assert problem.property == "Destination.S3Config.Path"
    assert rule in problem.rule and repr(bucket) in problem.rule


@pytest.mark.parametrize("bucket", ["my.bucket.name", "a1-b2", "192.168.1.1x", "xn-bucket", "s3alias-bucket"])
def test_bucket_names_that_s3_accepts_are_accepted(bucket: str) -> None:
    properties = valid_properties()
    properties["Destination"]["S3Config"]["Path"] = f"s3://{bucket}/exports/"
    assert find_problems(properties) == []


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_the_longest_key_leaves_room_for_the_longest_file_name_forecast_writes(resource_type: str) -> None:
    """Fault table: a key with no room for the file names Forecast appends. The key part of Path, a
    backtest's dataset folder, the export's name (the longest when it is generated), the time and
    the part's number fit 1,024 bytes."""
    kind = parse(valid_properties(resource_type)).kind
    limit = max_key_bytes(kind)
    longest_file = "/accuracy-metrics-values/" if kind.key == "predictor_backtest_export" else "/"
    longest_file += "n" * 63 + "_2026-01-01T00-00-00Z_part99999.csv"
    assert limit + len(longest_file) == 1024

    def with_key(key: str) -> dict[str, object]:
        properties = valid_properties(resource_type)
        properties["Destination"]["S3Config"]["Path"] = "s3://forecast-exports-bucket/" + key
        return properties

    assert find_problems(with_key("k" * limit)) == []
    [problem] = find_problems(with_key("k" * (limit + 1)))
    assert problem.property == "Destination.S3Config.Path" and f"at most {limit} bytes" in problem.rule


def test_a_known_short_name_leaves_more_room_for_the_key() -> None:
    assert max_key_bytes(FORECAST_EXPORT, "daily") == max_key_bytes(FORECAST_EXPORT) + 63 - len("daily")


def test_an_explicit_name_sets_the_key_limit_of_its_export_and_an_unresolved_one_the_generated_limit() -> None:
    limit = max_key_bytes(FORECAST_EXPORT, "daily")

    def with_key(key_bytes: int, name: object = "daily") -> dict[str, object]:
        properties = valid_properties(ForecastExportJobName=name)
        properties["Destination"]["S3Config"]["Path"] = "s3://forecast-exports-bucket/" + "k" * key_bytes
        return properties

    assert find_problems(with_key(limit)) == []
    [problem] = find_problems(with_key(limit + 1))
    assert f"at most {limit} bytes" in problem.rule
    # A name that is not known yet (a token at synth) may be as long as a generated one.
    unresolved = "${Token[NAME]}"
    [problem] = find_problems(with_key(limit, unresolved), skip=lambda value: value == unresolved)
    assert f"at most {max_key_bytes(FORECAST_EXPORT)} bytes" in problem.rule


BARE_NAMES = [
    (
        "Custom::ForecastExportJob",
        "ForecastArn",
        "of a forecast, arn:<partition>:forecast:<region>:<account>:forecast/<name>",
    ),
    ("Custom::PredictorBacktestExportJob", "PredictorArn", "of a predictor, arn:"),
    ("Custom::ExplainabilityExport", "ExplainabilityArn", "of an explainability, arn:"),
    ("Custom::WhatIfForecastExport", "WhatIfForecastArns", "of a what-if-forecast, arn:"),
    ("Custom::ForecastExportJob", "Destination.S3Config.RoleArn", "arn:<partition>:iam::<account>:role/<name>"),
    ("Custom::ForecastExportJob", "Destination.S3Config.KMSKeyArn", "arn:<partition>:kms:<region>:<account>:key/<id>"),
]


@pytest.mark.parametrize(("resource_type", "property_path", "expected"), BARE_NAMES)
def test_a_bare_name_where_an_arn_is_expected_is_told_which_arn(
    resource_type: str, property_path: str, expected: str
) -> None:
    """Fault table: a bare name where an ARN is expected."""
    properties = valid_properties(resource_type)
    if property_path == "WhatIfForecastArns":
        properties[property_path] = ["demand"]
    elif property_path.startswith("Destination."):
        properties["Destination"]["S3Config"][property_path.rsplit(".", 1)[1]] = "demand"
    else:
        properties[property_path] = "demand"
    [problem] = find_problems(properties)
    assert problem.property.startswith(property_path)
    assert "must be the ARN of" in problem.rule and expected in problem.rule
    assert "'demand'" in str(problem) and "must match" not in str(problem)


def test_an_empty_source_arn_is_told_which_arn_not_a_length() -> None:
    properties = valid_properties(ForecastArn="")
    [problem] = find_problems(properties)
    assert problem.property == "ForecastArn" and problem.rule.startswith("must be the ARN of a forecast")


def test_a_list_where_one_source_arn_is_expected_is_one_problem() -> None:
    properties = valid_properties(ForecastArn=["arn:aws:forecast:us-east-1:123456789012:predictor/p"])
    [problem] = find_problems(properties)
    assert (problem.property, problem.rule) == ("ForecastArn", "must be a string")
