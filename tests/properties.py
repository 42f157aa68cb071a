"""Valid resource properties for each kind, and the bad inputs that tests feed the provider."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from forecast_export_provider.resource import Request
from forecast_export_provider.tables import RESOURCE_TYPE as TABLE_RESOURCE_TYPE

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/forecast-export-writer"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SERVICE_TOKEN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:forecast-export-provider"

SOURCES: dict[str, tuple[str, Any]] = {
    "Custom::ForecastExportJob": ("ForecastArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/demand"),
    "Custom::PredictorBacktestExportJob": ("PredictorArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/demand"),
    "Custom::ExplainabilityExport": ("ExplainabilityArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:explainability/why"),
    "Custom::WhatIfForecastExport": (
        "WhatIfForecastArns",
        [
            f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast/analysis/price_up",
            f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast/analysis/price_down",
        ],
    ),
}
RESOURCE_TYPES = tuple(SOURCES)


def valid_properties(resource_type: str = "Custom::ForecastExportJob", **extra: Any) -> dict[str, Any]:
    """A complete, valid property set for one kind, as CloudFormation passes it."""
    source_key, source = SOURCES[resource_type]
    properties: dict[str, Any] = {
        "ServiceToken": SERVICE_TOKEN,
        source_key: copy.deepcopy(source),
        "Destination": {"S3Config": {"Path": "s3://forecast-exports-bucket/exports/", "RoleArn": ROLE_ARN}},
    }
    properties.update(extra)
    return properties


@dataclass(frozen=True)
class BadInput:
    """One invalid property set and the property its error must name."""

    id: str
    change: Callable[[dict[str, Any]], None]
    names: str


def _parent(properties: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, last = path.split(".")
    for key in parents:
        properties = properties[key]
    return properties, last


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(properties: dict[str, Any]) -> None:
        target, key = _parent(properties, path)
        target[key] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(properties: dict[str, Any]) -> None:
        target, key = _parent(properties, path)
        del target[key]

    return change


def _tags(tags: list[dict[str, str]]) -> Callable[[dict[str, Any]], None]:
    return _set("Tags", tags)


LONG_ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/" + "f" * 250

BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput("name-starts-with-digit", _set("ForecastExportJobName", "1export"), "ForecastExportJobName"),
    BadInput("name-with-hyphen", _set("ForecastExportJobName", "my-export"), "ForecastExportJobName"),
    BadInput("name-too-long", _set("ForecastExportJobName", "a" * 64), "ForecastExportJobName"),
    BadInput("name-empty", _set("ForecastExportJobName", ""), "ForecastExportJobName"),
    BadInput("source-not-forecast-arn", _set("ForecastArn", "arn:aws:s3:::bucket"), "ForecastArn"),
    BadInput(
        "source-is-a-predictor",
        _set("ForecastArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/p"),
        "ForecastArn",
    ),
    BadInput("source-too-long", _set("ForecastArn", LONG_ARN), "ForecastArn"),
    BadInput("no-source", _drop("ForecastArn"), "ForecastArn"),
    BadInput(
        "two-sources",
        _set("PredictorArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/p"),
        "PredictorArn",
    ),
    BadInput("path-not-s3", _set("Destination.S3Config.Path", "https://bucket/prefix/"), "Destination.S3Config.Path"),
    BadInput("path-bad-bucket", _set("Destination.S3Config.Path", "s3://Bad_Bucket/x/"), "Destination.S3Config.Path"),
    BadInput("path-missing", _drop("Destination.S3Config.Path"), "Destination.S3Config.Path"),
    BadInput(
        "role-is-a-user",
        _set("Destination.S3Config.RoleArn", f"arn:aws:iam::{ACCOUNT}:user/bob"),
        "Destination.S3Config.RoleArn",
    ),
    BadInput("role-missing", _drop("Destination.S3Config.RoleArn"), "Destination.S3Config.RoleArn"),
    BadInput(
        "kms-alias-not-key",
        _set("Destination.S3Config.KMSKeyArn", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/exports"),
        "Destination.S3Config.KMSKeyArn",
    ),
    BadInput("kms-not-an-arn", _set("Destination.S3Config.KMSKeyArn", "my-key"), "Destination.S3Config.KMSKeyArn"),
    BadInput("format-json", _set("Format", "JSON"), "Format"),
    BadInput("format-csv-prefix", _set("Format", "CSVX"), "Format"),
    BadInput("destination-not-object", _set("Destination", "s3://bucket/"), "Destination"),
    BadInput("too-many-tags", _tags([{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "Tags"),
    BadInput("tag-aws-prefix", _tags([{"Key": "aws:owner", "Value": "me"}]), "Tags[0].Key"),
    BadInput("tag-aws-prefix-any-case", _tags([{"Key": "AWS:Owner", "Value": "me"}]), "Tags[0].Key"),
    BadInput("tag-duplicate-key", _tags([{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]), "Tags[1].Key"),
    BadInput("tag-key-too-long", _tags([{"Key": "k" * 129, "Value": "v"}]), "Tags[0].Key"),
    BadInput("tag-value-too-long", _tags([{"Key": "k", "Value": "v" * 257}]), "Tags[0].Value"),
    BadInput("tag-key-bad-character", _tags([{"Key": "team#1", "Value": "v"}]), "Tags[0].Key"),
    BadInput("tag-without-value", _tags([{"Key": "team"}]), "Tags[0].Value"),
    BadInput("unknown-property", _set("Compression", "GZIP"), "Compression"),
    # Contract 1: a value matches its rule exactly (fault table: "a value with a trailing newline").
    BadInput(
        "source-with-trailing-newline",
        _set("ForecastArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/demand\n"),
        "ForecastArn",
    ),
    BadInput(
        "role-empty-path-segment",
        _set("Destination.S3Config.RoleArn", "arn:aws:iam::111122223333:role//x"),
        "Destination.S3Config.RoleArn",
    ),
    BadInput(
        "role-name-not-ascii",
        _set("Destination.S3Config.RoleArn", f"arn:aws:iam::{ACCOUNT}:role/exporteur-rôle"),
        "Destination.S3Config.RoleArn",
    ),
    BadInput(
        "role-name-too-long",
        _set("Destination.S3Config.RoleArn", f"arn:aws:iam::{ACCOUNT}:role/" + "r" * 200),
        "Destination.S3Config.RoleArn",
    ),
    BadInput(
        "path-key-over-1024-bytes",
        _set("Destination.S3Config.Path", "s3://forecast-exports-bucket/" + "k" * 1025),
        "Destination.S3Config.Path",
    ),
    BadInput(
        "path-key-over-1024-bytes-in-utf8",
        _set("Destination.S3Config.Path", "s3://forecast-exports-bucket/" + "é" * 512 + "/"),
        "Destination.S3Config.Path",
    ),
    # S3's bucket-name rules beyond the characters; the room for the file names Forecast appends.
    *(
        BadInput(
            f"path-bucket-{bucket}", _set("Destination.S3Config.Path", f"s3://{bucket}/x/"), "Destination.S3Config.Path"
        )
        for bucket in (
            "192.168.1.1",
            "xn--bucket",
            "ab-.cd",
            "ab.-cd",
            "bucket-s3alias",
            "bucket--ol-s3",
            "sthree-bucket",
        )
    ),
    BadInput(
        "path-key-too-long-for-the-file-names",
        _set("Destination.S3Config.Path", "s3://forecast-exports-bucket/" + "k" * 1000 + "/"),
        "Destination.S3Config.Path",
    ),
)


def bad_properties(case: BadInput) -> dict[str, Any]:
    properties = valid_properties()
    case.change(properties)
    return properties


def table_request(
    properties: Mapping[str, Any],
    *,
    request_type: str = "Create",
    old_properties: Mapping[str, Any] | None = None,
    physical_id: str | None = None,
    stack_id: str = "",
    logical_id: str = "",
) -> Request:
    """A ``Custom::ForecastExportTable`` request as the table resource's methods read it."""
    return Request(
        request_type=request_type,
        stack_id=stack_id,
        logical_id=logical_id,
        request_id="",
        properties=properties,
        old_properties=old_properties or {},
        physical_id=physical_id,
        resource_type=TABLE_RESOURCE_TYPE,
    )
