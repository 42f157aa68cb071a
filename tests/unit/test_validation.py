"""Property validation: rules from botocore's model plus the contract's."""

from __future__ import annotations

import pytest

from forecast_export_provider.validation import (
    InvalidProperties,
    Problem,
    find_problems,
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
