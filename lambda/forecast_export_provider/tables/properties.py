"""The properties of ``Custom::ForecastExportTable``: recognised, validated, and read into a :class:`TableSpec`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..kinds import PREDICTOR_BACKTEST_EXPORT, ExportKind, kind_of_arn
from ..validation import S3_BUCKET, InvalidProperties, Problem, show

RESOURCE_TYPE = "Custom::ForecastExportTable"
DATASETS = ("forecasted-values", "accuracy-metrics-values")
MANIFEST_NAME = "symlink.txt"

_NAME = re.compile(r"[a-z0-9_]{1,255}")
_CATALOG_ID = re.compile(r"\d{12}")
_KNOWN = frozenset(
    {
        "ServiceToken",
        "ServiceTimeout",
        "ExportArn",
        "DatabaseName",
        "TableName",
        "Dataset",
        "ManifestLocation",
        "CatalogId",
    }
)


def find_table_problems(
    properties: Mapping[str, Any], *, skip: Callable[[Any], bool] = lambda value: False
) -> list[Problem]:
    """Every problem in a table resource's properties; ``skip`` marks values not known yet (CDK tokens)."""
    problems: list[Problem] = []

    def add(name: str, value: Any, rule: str) -> None:
        problems.append(Problem(name, show(value), rule))

    for key in properties:
        if key not in _KNOWN:
            add(key, key, f"is not a property of {RESOURCE_TYPE}")
    for key in ("ExportArn", "DatabaseName", "TableName", "ManifestLocation"):
        if key not in properties:
            add(key, None, "is required")

    def present(key: str) -> Any:
        value = properties.get(key)
        return None if value is None or skip(value) else value

    export_arn = present("ExportArn")
    kind: ExportKind | None = None
    if export_arn is not None:
        kind = kind_of_arn(export_arn)
        if kind is None:
            add("ExportArn", export_arn, "must be the ARN of a Forecast export (arn:...:forecast:...:<kind>/...)")
    for key in ("DatabaseName", "TableName"):
        value = present(key)
        if value is not None and not (isinstance(value, str) and _NAME.fullmatch(value)):
            add(key, value, "must be 1 to 255 lowercase letters, digits or underscores")
    dataset = present("Dataset")
    if dataset is not None and dataset not in DATASETS:
        add("Dataset", dataset, "must be forecasted-values or accuracy-metrics-values")
    if kind is PREDICTOR_BACKTEST_EXPORT and "Dataset" not in properties:
        add(
            "Dataset", None, "is required for a predictor backtest export: forecasted-values or accuracy-metrics-values"
        )
    if kind is not None and kind is not PREDICTOR_BACKTEST_EXPORT and "Dataset" in properties:
        add("Dataset", properties["Dataset"], f"applies to predictor backtest exports only; omit it for a {kind.title}")
    location = present("ManifestLocation")
    if location is not None and split_s3(location) is None:
        add("ManifestLocation", location, "must be s3://bucket/prefix/ (a prefix that ends with /)")
    catalog_id = present("CatalogId")
    if catalog_id is not None and not (isinstance(catalog_id, str) and _CATALOG_ID.fullmatch(catalog_id)):
        add("CatalogId", catalog_id, "must be a 12-digit AWS account id")
    return problems


def split_s3(value: object) -> tuple[str, str] | None:
    """``(bucket, prefix)`` of ``s3://bucket/prefix/`` with a non-empty prefix ending in ``/``."""
    if not isinstance(value, str) or not value.startswith("s3://"):
        return None
    bucket, _, prefix = value[len("s3://") :].partition("/")
    if not S3_BUCKET.fullmatch(bucket) or ".." in bucket or not prefix.endswith("/") or "//" in prefix:
        return None
    if prefix.strip() != prefix or len(prefix.encode()) > 1024 - len(MANIFEST_NAME):
        return None
    return bucket, prefix


@dataclass(frozen=True)
class TableSpec:
    """The table that a resource's properties describe."""

    export_arn: str
    kind: ExportKind
    catalog_id: str
    database: str
    table: str
    dataset: str | None
    manifest_bucket: str
    manifest_prefix: str

    @property
    def location(self) -> str:
        return f"s3://{self.manifest_bucket}/{self.manifest_prefix}"

    @property
    def manifest_key(self) -> str:
        return self.manifest_prefix + MANIFEST_NAME

    @property
    def export_name(self) -> str:
        return self.export_arn.rsplit("/", 1)[-1]

    @property
    def export_account_and_region(self) -> tuple[str, str]:
        """The account and region that the export's ARN names."""
        parts = self.export_arn.split(":", 5)
        return parts[4], parts[3]


def parse_table(properties: Mapping[str, Any], default_catalog_id: str) -> TableSpec:
    """Validate ``properties`` and return the table they describe; raises :class:`InvalidProperties`."""
    problems = find_table_problems(properties)
    if problems:
        raise InvalidProperties(problems)
    kind = kind_of_arn(properties["ExportArn"])
    split = split_s3(properties["ManifestLocation"])
    assert kind is not None and split is not None  # validated above
    return TableSpec(
        export_arn=properties["ExportArn"],
        kind=kind,
        catalog_id=properties.get("CatalogId") or default_catalog_id,
        database=properties["DatabaseName"],
        table=properties["TableName"],
        dataset=properties.get("Dataset"),
        manifest_bucket=split[0],
        manifest_prefix=split[1],
    )
