"""What is legal but likely not meant gets a synth-time warning (``Annotations``), never an error."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import cx_api
from aws_cdk.assertions import Annotations, Match

from forecast_export_cdk import (
    ExportDatabase,
    ExportDestination,
    ExportFormat,
    ExportWorkGroup,
    ForecastExportJob,
)
from tests.unit.constructs.cdk_test_support import ENV, FORECAST_ARN, new_app

IMPORTED_EXPORT_ARN = "arn:aws:forecast:eu-west-1:111122223333:forecast-export-job/demand/last_year"


def _stack() -> cdk.Stack:
    return cdk.Stack(new_app(), "Stack", env=ENV)


def _warnings(stack: cdk.Stack, path: str, text: str) -> list[cx_api.SynthesisMessage]:
    return Annotations.from_stack(stack).find_warning(path, Match.string_like_regexp(text))


def test_a_destination_that_destroys_its_key_warns_that_the_exports_become_unreadable() -> None:
    """Fault table: "a destination whose removal policy destroys the exports' key"."""
    stack = _stack()
    ExportDestination(stack, "Disposable", removal_policy=cdk.RemovalPolicy.DESTROY)
    ExportDestination(stack, "Kept")
    Annotations.from_stack(stack).has_warning("/Stack/Disposable", Match.string_like_regexp("KMS key for deletion"))
    assert _warnings(stack, "/Stack/Kept", "KMS key") == []


def test_a_table_over_an_export_of_unknown_format_warns_that_it_adds_the_parquet_reader() -> None:
    """Fault table: "a table over an export whose format is unknown at synth time"."""
    stack = _stack()
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database")
    unknown = ForecastExportJob.from_export_arn(stack, "Unknown", IMPORTED_EXPORT_ARN, destination=destination)
    unknown.add_table("Table", database=database)
    csv = ForecastExportJob.from_export_arn(
        stack, "Csv", IMPORTED_EXPORT_ARN, destination=destination, format=ExportFormat.CSV
    )
    csv.add_table("Table", database=database)
    parquet = ForecastExportJob(
        stack, "Parquet", forecast_arn=FORECAST_ARN, destination=destination, format=ExportFormat.PARQUET
    )
    parquet.add_table("Table", database=database)
    Annotations.from_stack(stack).has_warning(
        "/Stack/Unknown/Table", Match.string_like_regexp("format is not known at synth time")
    )
    assert _warnings(stack, "/Stack/Csv/Table", "format") == []
    assert _warnings(stack, "/Stack/Parquet/Table", "format") == []


def test_a_workgroup_with_results_expiration_on_an_existing_bucket_warns_that_it_is_ignored() -> None:
    """Fault table: "results_expiration given for an existing bucket"."""
    stack = _stack()
    existing = ExportDestination(stack, "Existing", bucket=s3.Bucket.from_bucket_name(stack, "Bucket", "exports"))
    ExportWorkGroup(stack, "Ignored", destination=existing, results_expiration=cdk.Duration.days(7))
    ExportWorkGroup(stack, "Default", destination=existing)
    ExportWorkGroup(
        stack, "New", destination=ExportDestination(stack, "NewDestination"), results_expiration=cdk.Duration.days(7)
    )
    Annotations.from_stack(stack).has_warning(
        "/Stack/Ignored", Match.string_like_regexp("results_expiration applies to a bucket the destination creates")
    )
    assert _warnings(stack, "/Stack/Default", "results_expiration") == []
    assert _warnings(stack, "/Stack/New", "results_expiration") == []
