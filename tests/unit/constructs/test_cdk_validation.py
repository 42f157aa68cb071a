"""Synth-time validation: one error listing every bad prop; tokens are left to the handler."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from forecast_export_cdk import ExportDestination, ExportFormat, ForecastExportJob, WhatIfForecastExport
from tests.unit.constructs.cdk_test_support import ENV, FORECAST_ARN, WHAT_IF_ARNS, new_app


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(new_app(), "Stack", env=ENV)


def test_every_bad_prop_is_reported_in_one_error(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    with pytest.raises(ValueError) as raised:
        ForecastExportJob(
            stack,
            "Export",
            forecast_arn="arn:aws:forecast:eu-west-1:111122223333:predictor/not_a_forecast",
            destination=destination,
            export_name="1starts_with_a_digit",
            prefix="/absolute",
            format="JSON",  # type: ignore[arg-type]
            tags={"aws:reserved": "x", "k" * 129: "long", "ok": "v" * 257},
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
    message = str(raised.value)
    header, *lines = message.splitlines()
    assert header == "ForecastExportJob Stack/Export has 8 invalid setting(s):"
    props = [re.match(r"  - (\S+(?: \(value\))?)", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert props[:2] == ["prefix", "removal_policy"]
    assert sorted(props[2:]) == sorted(
        ["export_name", "forecast_arn", "format", "tags['aws:reserved']", f"tags['{'k' * 129}']", "tags['ok'] (value)"]
    )
    # Each line names the prop, the CloudFormation property, the rule or fix, and the value.
    line = dict(zip(props, lines, strict=True))
    assert "prefix must be empty or end with '/'" in line["prefix"] and "'/absolute'" in line["prefix"]
    assert "RemovalPolicy.RETAIN" in line["removal_policy"]
    assert "(ForecastExportJobName)" in line["export_name"] and "start with a letter" in line["export_name"]
    assert "'1starts_with_a_digit'" in line["export_name"]
    assert "(ForecastArn) must be the ARN of a forecast" in line["forecast_arn"]
    assert "(Format)" in line["format"] and "use CSV or PARQUET" in line["format"] and "'JSON'" in line["format"]
    assert "(Tags[0].Key) must not start with aws:" in line["tags['aws:reserved']"]
    assert "(Tags[1].Key) must be 1 to 128 characters long" in line[f"tags['{'k' * 129}']"]
    assert "(Tags[2].Value) must be 0 to 256 characters long" in line["tags['ok'] (value)"]
    assert not stack.node.try_find_child("ForecastExportProvider"), "no provider for an invalid export"


def test_wrong_types_are_reported_before_the_properties(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match="destination must be an ExportDestination"):
        ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination="s3://bucket/")  # type: ignore[arg-type]


def test_tokens_are_left_to_the_handler(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    name = cdk.CfnParameter(stack, "Name").value_as_string
    arn = cdk.CfnParameter(stack, "Arn").value_as_string
    tag = cdk.CfnParameter(stack, "Tag").value_as_string
    arns = cdk.CfnParameter(stack, "Arns", type="CommaDelimitedList").value_as_list
    ForecastExportJob(stack, "Export", forecast_arn=arn, destination=destination, export_name=name, tags={"t": tag})
    WhatIfForecastExport(stack, "WhatIf", what_if_forecast_arns=arns, destination=destination)
    WhatIfForecastExport(stack, "WhatIfMixed", what_if_forecast_arns=[arn, WHAT_IF_ARNS[0]], destination=destination)


def test_what_if_list_rules(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination")
    with pytest.raises(ValueError, match=r"what_if_forecast_arns \(WhatIfForecastArns\) must have 1 to 50 items"):
        WhatIfForecastExport(stack, "Empty", what_if_forecast_arns=[], destination=destination)
    with pytest.raises(ValueError, match=r"what_if_forecast_arns\[1\] .*what-if-forecast"):
        WhatIfForecastExport(
            stack, "Wrong", what_if_forecast_arns=[WHAT_IF_ARNS[0], FORECAST_ARN], destination=destination
        )
    with pytest.raises(ValueError, match="must be a list of ARNs"):
        WhatIfForecastExport(stack, "String", what_if_forecast_arns=WHAT_IF_ARNS[0], destination=destination)


def test_destination_rejects_existing_resources_with_new_resource_settings(stack: cdk.Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "existing-bucket")
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/abc")
    role = iam.Role.from_role_name(stack, "Role", "existing")
    with pytest.raises(ValueError) as raised:
        ExportDestination(
            stack,
            "Destination",
            bucket=bucket,
            encryption_key=key,
            role=role,
            bucket_name="new-name",
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(30))],
            access_logs_prefix="logs/",
            key_alias="alias/x",
            role_name="new-role",
            removal_policy=cdk.RemovalPolicy.DESTROY,
            prefix="no-slash",
        )
    message = str(raised.value)
    assert message.startswith("ExportDestination Stack/Destination has 7 invalid setting(s):")
    for expected in (
        "bucket_name applies to a new bucket only",
        "lifecycle_rules applies to a new bucket only",
        "access_logs_prefix applies to a new bucket only",
        "key_alias applies to a new key only",
        "role_name applies to a new role only",
        "removal_policy applies to a new bucket and key only",
        "prefix must be empty or end with '/'",
    ):
        assert expected in message
    assert stack.node.try_find_child("Destination") is None


@pytest.mark.parametrize("prefix", ["a//b/", "../x/", "x/./", "with space/", "/lead/", "trail", "x" * 513 + "/"])
def test_bad_prefixes(stack: cdk.Stack, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        ExportDestination(stack, "Destination", prefix=prefix)


@pytest.mark.parametrize("prefix", ["", "a/", "Daily_Exports/2024-01/", "x.y/(z)/"])
def test_good_prefixes(stack: cdk.Stack, prefix: str) -> None:
    destination = ExportDestination(stack, "Destination", prefix=prefix)
    ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=destination, format=ExportFormat.CSV)


def test_literal_bucket_name_in_the_path_is_checked(stack: cdk.Stack) -> None:
    destination = ExportDestination(stack, "Destination", bucket=s3.Bucket.from_bucket_name(stack, "B", "Bad_Bucket"))
    with pytest.raises(ValueError, match=r"prefix \(Destination.S3Config.Path\) has an invalid bucket name"):
        ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=destination)


def test_a_bare_name_for_an_arn_is_told_at_synth_which_arn(stack: cdk.Stack) -> None:
    """Fault table: a bare name where an ARN is expected."""
    destination = ExportDestination(stack, "Destination")
    with pytest.raises(ValueError) as raised:
        ForecastExportJob(stack, "Export", forecast_arn="demand", destination=destination)
    message = str(raised.value)
    assert "forecast_arn (ForecastArn) must be the ARN of a forecast" in message
    assert "arn:<partition>:forecast:<region>:<account>:forecast/<name>" in message and "'demand'" in message


# The CDK itself refuses names shaped like an IP address or with a period beside a hyphen.
@pytest.mark.parametrize("bucket", ["xn--exports", "exports--ol-s3"])
def test_a_bucket_name_s3_refuses_is_caught_at_synth(stack: cdk.Stack, bucket: str) -> None:
    """Fault table: a bucket name S3 refuses."""
    destination = ExportDestination(stack, "Destination", bucket=s3.Bucket.from_bucket_name(stack, "B", bucket))
    with pytest.raises(ValueError, match=rf"has an invalid bucket name '{re.escape(bucket)}'"):
        ForecastExportJob(stack, "Export", forecast_arn=FORECAST_ARN, destination=destination)


def test_a_prefix_that_leaves_no_room_for_forecasts_file_names_is_caught_at_synth(stack: cdk.Stack) -> None:
    """Fault table: a key with no room for the file names Forecast appends."""
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "exports-bucket")  # a token bucket skips the check
    destination = ExportDestination(stack, "Destination", bucket=bucket, prefix="d" * 499 + "/")
    ForecastExportJob(stack, "Fits", forecast_arn=FORECAST_ARN, destination=destination, prefix="p" * 399 + "/")
    with pytest.raises(ValueError, match=r"must have an S3 key part of at most 925 bytes"):
        ForecastExportJob(stack, "TooLong", forecast_arn=FORECAST_ARN, destination=destination, prefix="p" * 449 + "/")
