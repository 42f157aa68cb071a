"""An ACTIVE export's data as a table sees it: its folder, format, own data files and the columns they share."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import IO, TYPE_CHECKING, Any, cast

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from ..resource import Failure
from ..schema import Column, SchemaError, csv_columns, csv_header, parquet_columns, parquet_fields
from .aws_calls import OwnedBuckets, error_of
from .export_files import DataFile, run_files
from .properties import TableSpec
from .s3_ranged import RangedObject

if TYPE_CHECKING:
    from types_boto3_forecast import ForecastServiceClient

READ_WORKERS = 16
"""Data files whose headers or footers are read at the same time."""
HEAD_BYTES = 64 * 1024
"""Bytes read from the start of a CSV file (its header)."""


@dataclass(frozen=True)
class ExportData:
    """An ACTIVE export's data: where it is, its format, its data files and the columns they share."""

    location: str
    format: str
    files: tuple[DataFile, ...]
    columns: tuple[Column, ...]


class ExportReader:
    """Describes an export and reads its own files' schema; clients from outside."""

    def __init__(self, *, s3: OwnedBuckets, forecast: ForecastServiceClient) -> None:
        self.s3 = s3
        self.forecast = forecast

    def read(self, spec: TableSpec) -> ExportData:
        """Describe the export, pick its own data files and read the schema they share."""
        kind, name = spec.kind, spec.export_name
        description = self._describe(spec)
        status = description.get("Status")
        if status != "ACTIVE":
            raise Failure(f"ExportArn: {kind.title} {name} is {status}; a table needs an ACTIVE export")
        path = description["Destination"]["S3Config"]["Path"]
        export_format = (description.get("Format") or "CSV").upper()
        bucket, _, prefix = path[len("s3://") :].partition("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if spec.dataset:
            prefix += spec.dataset + "/"
        location = f"s3://{bucket}/{prefix}"
        if spec.location.startswith(location) or location.startswith(spec.location):
            raise Failure(
                f"ManifestLocation {spec.location} overlaps the export's data at {location}; use a separate prefix"
            )
        files = run_files(
            self.s3.list(bucket, prefix, delimiter="/"),
            bucket=bucket,
            prefix=prefix,
            export_name=name,
            export_format=export_format,
            created=description["CreationTime"],
        )
        if not files:
            raise Failure(
                f"{kind.title} {name} has no data files under {location} "
                f"(none named {name}_<timestamp>_part<N> written since the export's creation)"
            )
        columns = self._columns(export_format, files)
        return ExportData(location, export_format, tuple(files), tuple(columns))

    def _describe(self, spec: TableSpec) -> dict[str, Any]:
        kind = spec.kind
        operation = kind.describe_operation
        try:
            response: dict[str, Any] = getattr(self.forecast, xform_name(operation))(
                **{kind.arn_property: spec.export_arn}
            )
            return response
        except ClientError as error:
            code, message = error_of(error)
            if code == "ResourceNotFoundException":
                raise Failure(f"ExportArn {spec.export_arn}: no such {kind.title}") from None
            raise Failure(f"{operation} failed: {code}: {message}") from None
        except BotoCoreError as error:
            raise Failure(f"{operation} failed: {error}") from None

    def _columns(self, export_format: str, files: Sequence[DataFile]) -> list[Column]:
        reader = self._csv_schema if export_format == "CSV" else self._parquet_schema
        with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(files))) as pool:
            schemas = list(pool.map(reader, files))
        first_file, first = files[0], schemas[0]
        for file, schema in zip(files, schemas, strict=True):
            if schema != first:
                raise Failure(
                    f"{export_format} files differ in columns: {tail(first_file.key)} has {_brief(first)} "
                    f"but {tail(file.key)} has {_brief(schema)}"
                )
        if export_format == "CSV":
            return csv_columns([str(name) for name in first])
        return parquet_columns(first)

    def _csv_schema(self, file: DataFile) -> tuple[Any, ...]:
        head = self.s3.get_range(file.bucket, file.key, f"bytes=0-{HEAD_BYTES - 1}")
        try:
            return tuple(csv_header(head))
        except SchemaError as error:
            raise Failure(f"CSV file {file.uri} {error}") from None

    def _parquet_schema(self, file: DataFile) -> tuple[Any, ...]:
        fetch = partial(self.s3.get_range, file.bucket, file.key)
        try:
            return tuple(parquet_fields(cast("IO[bytes]", RangedObject(fetch, file.size))))
        except SchemaError as error:
            raise Failure(f"Parquet file {tail(file.key)} {error}") from None
        except ImportError:
            raise Failure(
                "Parquet tables need the provider's Parquet reader layer: synthesize with forecast-export-cdk[parquet]"
            ) from None


def tail(key: str) -> str:
    """The end of an object key's last segment, short enough for a Reason."""
    return key.rsplit("/", 1)[-1][-60:]


def _brief(schema: Sequence[Any]) -> str:
    names = [f"{item.name}:{item.type}" if hasattr(item, "type") else str(item) for item in schema]
    text = ",".join(names)
    return f"[{text[:40]}...]" if len(text) > 40 else f"[{text}]"
