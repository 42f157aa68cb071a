"""``Custom::ForecastExportTable``: a Glue table over an ACTIVE export's files, free of CloudFormation wiring.

The table's LOCATION is a prefix that holds one symlink manifest (``symlink.txt``) listing the
export's data files, so that Athena reads data only (no zero-byte parts, no ``_CHECK`` or
``_SUCCESS`` markers). The schema comes from the files: the CSV header, or the Parquet footer, of
every data file, which must all agree. See docs/design.md, "Tables over exports".

The clients (boto3 ``glue``, ``s3`` and ``forecast``) come from outside, built with connect and
read timeouts (:data:`CLIENT_CONFIG`); nothing here waits for long.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, cast

from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .kinds import PREDICTOR_BACKTEST_EXPORT, SOURCE_PROPERTIES, ExportKind, kind_of_arn
from .schema import (
    CSV_ESCAPE,
    CSV_QUOTE,
    CSV_SEPARATOR,
    Column,
    SchemaError,
    csv_columns,
    csv_header,
    parquet_columns,
    parquet_fields,
)
from .validation import S3_BUCKET, InvalidProperties, Problem, shorten, show

SUCCESS = "SUCCESS"
FAILED = "FAILED"

RESOURCE_TYPE = "Custom::ForecastExportTable"
DATASETS = ("forecasted-values", "accuracy-metrics-values")
MANIFEST_NAME = "symlink.txt"
OWNER_PARAMETER = "forecast_export_table"
"""Glue table parameter that marks a table as made by this provider (value: the export ARN)."""

SYMLINK_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16
)
"""The configuration the entrypoint should give the glue, s3 and forecast clients it passes in."""

READ_WORKERS = 16
"""Data files whose headers or footers are read at the same time."""
HEAD_BYTES = 64 * 1024
"""Bytes read from the start of a CSV file (its header) or the end of a Parquet file (its footer)."""

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
_TABLE_ARN = re.compile(r"arn:(aws[a-z-]*):glue:([a-z0-9-]+):(\d{12}):table/([a-z0-9_]{1,255})/([a-z0-9_]{1,255})")

logger = logging.getLogger(__name__)


# Requests and outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRequest:
    """What a table request carries: desired properties, previous ones (Update) and the physical id."""

    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any] = field(default_factory=dict)
    physical_id: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> TableRequest:
        return cls(
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
            physical_id=event.get("PhysicalResourceId"),
        )


@dataclass(frozen=True)
class TableOutcome:
    """SUCCESS with the physical id and ``Fn::GetAtt`` data, or FAILED with a Reason under 256 characters."""

    status: str
    physical_id: str
    data: dict[str, str] = field(default_factory=dict)
    reason: str = ""


class _Failure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_table_request(properties: Mapping[str, Any]) -> bool:
    """True for ``Custom::ForecastExportTable`` properties: TableName and ExportArn, no export source."""
    return (
        "TableName" in properties
        and "ExportArn" in properties
        and not any(key in properties for key in SOURCE_PROPERTIES)
    )


# Validation --------------------------------------------------------------------------------------------


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
    if location is not None and _split_s3(location) is None:
        add("ManifestLocation", location, "must be s3://bucket/prefix/ (a prefix that ends with /)")
    catalog_id = present("CatalogId")
    if catalog_id is not None and not (isinstance(catalog_id, str) and _CATALOG_ID.fullmatch(catalog_id)):
        add("CatalogId", catalog_id, "must be a 12-digit AWS account id")
    return problems


def _split_s3(value: object) -> tuple[str, str] | None:
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


def parse_table(properties: Mapping[str, Any], default_catalog_id: str) -> TableSpec:
    """Validate ``properties`` and return the table they describe; raises :class:`InvalidProperties`."""
    problems = find_table_problems(properties)
    if problems:
        raise InvalidProperties(problems)
    kind = kind_of_arn(properties["ExportArn"])
    split = _split_s3(properties["ManifestLocation"])
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


# The table -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataFile:
    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ExportData:
    """An ACTIVE export's data: where it is, its format, its data files and the columns they share."""

    location: str
    format: str
    files: tuple[DataFile, ...]
    columns: tuple[Column, ...]


class TableResource:
    """Create, Update and Delete of ``Custom::ForecastExportTable``; stateless, clients from outside."""

    def __init__(self, *, glue: Any, s3: Any, forecast: Any, account_id: str, partition: str, region: str) -> None:
        self.glue = glue
        self.s3 = s3
        self.forecast = forecast
        self.account_id = account_id
        self.partition = partition
        self.region = region

    # Lifecycle

    def create(self, request: TableRequest) -> TableOutcome:
        """Make the table, or adopt the one that an earlier delivery of this request made."""
        try:
            spec = parse_table(request.properties, self.account_id)
        except InvalidProperties as error:
            return self._failed(str(error), _not_created(request.properties))
        try:
            return self._create_or_adopt(spec)
        except _Failure as failure:
            return self._failed(failure.reason, _not_created(request.properties))

    def update(self, request: TableRequest) -> TableOutcome:
        """Update the table in place; a new DatabaseName, TableName or CatalogId makes a new table."""
        current = request.physical_id or ""
        try:
            spec = parse_table(request.properties, self.account_id)
            if self.table_arn(spec) != current:
                old_location = request.old_properties.get("ManifestLocation")
                if old_location == request.properties["ManifestLocation"] and _TABLE_ARN.fullmatch(current):
                    raise _Failure(
                        f"ManifestLocation {old_location} must change with DatabaseName/TableName/CatalogId: "
                        "the old table's Delete removes its manifest"
                    )
                return self._create_or_adopt(spec)
            return self._update_in_place(spec)
        except InvalidProperties as error:
            return self._failed(str(error), current)
        except _Failure as failure:
            return self._failed(failure.reason, current)

    def delete(self, request: TableRequest) -> TableOutcome:
        """Remove the table and its manifest; the export's data stays. Gone already, or no table ARN: SUCCESS."""
        physical_id = request.physical_id or ""
        match = _TABLE_ARN.fullmatch(physical_id)
        if match is None:
            return TableOutcome(SUCCESS, physical_id)
        catalog_id, database, table = match.group(3), match.group(4), match.group(5)
        try:
            found = self._get_table(catalog_id, database, table)
            if found is None:
                return TableOutcome(SUCCESS, physical_id)
            if OWNER_PARAMETER not in (found.get("Parameters") or {}):
                logger.warning("Table %s.%s was not made by this provider; leaving it", database, table)
                return TableOutcome(SUCCESS, physical_id)
            manifest = _split_s3(found.get("StorageDescriptor", {}).get("Location"))
            if manifest is not None:
                self._s3("DeleteObject", Bucket=manifest[0], Key=manifest[1] + MANIFEST_NAME, ignore={"NoSuchBucket"})
            self._glue(
                "DeleteTable",
                CatalogId=catalog_id,
                DatabaseName=database,
                Name=table,
                ignore={"EntityNotFoundException"},
            )
        except _Failure as failure:
            return self._failed(failure.reason, physical_id)
        logger.info("Deleted table %s.%s", database, table)
        return TableOutcome(SUCCESS, physical_id)

    def table_arn(self, spec: TableSpec) -> str:
        return f"arn:{self.partition}:glue:{self.region}:{spec.catalog_id}:table/{spec.database}/{spec.table}"

    # Steps

    def _create_or_adopt(self, spec: TableSpec) -> TableOutcome:
        self._require_database(spec)
        found = self._get_table(spec.catalog_id, spec.database, spec.table)
        if found is not None and not self._is_ours_at(found, spec.location):
            where = found.get("StorageDescriptor", {}).get("Location") or "no location"
            raise _Failure(
                f"Glue table {spec.database}.{spec.table} already exists ({where}) and was not made for "
                f"{spec.location}; choose another TableName"
            )
        export = self.read_export(spec)
        self._write_manifest(spec, export)
        table_input = self._table_input(spec, export)
        try:
            if found is None:
                self._glue("CreateTable", CatalogId=spec.catalog_id, DatabaseName=spec.database, TableInput=table_input)
            else:
                self._glue("UpdateTable", CatalogId=spec.catalog_id, DatabaseName=spec.database, TableInput=table_input)
        except _Failure:
            if found is None:
                self._s3("DeleteObject", Bucket=spec.manifest_bucket, Key=spec.manifest_key, ignore={"NoSuchBucket"})
            raise
        logger.info("%s table %s.%s", "Created" if found is None else "Adopted", spec.database, spec.table)
        return self._succeeded(spec, export)

    def _update_in_place(self, spec: TableSpec) -> TableOutcome:
        self._require_database(spec)
        found = self._get_table(spec.catalog_id, spec.database, spec.table)
        if found is None:
            return self._create_or_adopt(spec)
        if OWNER_PARAMETER not in (found.get("Parameters") or {}):
            raise _Failure(
                f"Glue table {spec.database}.{spec.table} was replaced by a table this provider did not make"
            )
        export = self.read_export(spec)
        old = _split_s3(found.get("StorageDescriptor", {}).get("Location"))
        moved = old != (spec.manifest_bucket, spec.manifest_prefix)
        self._write_manifest(spec, export)
        try:
            self._glue(
                "UpdateTable",
                CatalogId=spec.catalog_id,
                DatabaseName=spec.database,
                TableInput=self._table_input(spec, export),
            )
        except _Failure:
            if moved:
                self._s3("DeleteObject", Bucket=spec.manifest_bucket, Key=spec.manifest_key, ignore={"NoSuchBucket"})
            raise
        if old is not None and moved:
            self._s3("DeleteObject", Bucket=old[0], Key=old[1] + MANIFEST_NAME, ignore={"NoSuchBucket"})
        logger.info("Updated table %s.%s", spec.database, spec.table)
        return self._succeeded(spec, export)

    # The export's files

    def read_export(self, spec: TableSpec) -> ExportData:
        """Describe the export, list its data files and read the schema they share."""
        kind = spec.kind
        description = self._describe_export(spec)
        status = description.get("Status")
        name = spec.export_arn.rsplit("/", 1)[-1]
        if status != "ACTIVE":
            raise _Failure(f"ExportArn: {kind.title} {name} is {status}; a table needs an ACTIVE export")
        path = description["Destination"]["S3Config"]["Path"]
        export_format = (description.get("Format") or "CSV").upper()
        bucket, _, prefix = path[len("s3://") :].partition("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if spec.dataset:
            prefix += spec.dataset + "/"
        location = f"s3://{bucket}/{prefix}"
        manifest_location = spec.location
        if manifest_location.startswith(location) or location.startswith(manifest_location):
            raise _Failure(
                f"ManifestLocation {manifest_location} overlaps the export's data at {location}; use a separate prefix"
            )
        self._require_manifest_prefix_free(spec)
        files = self._data_files(bucket, prefix, name)
        if not files:
            raise _Failure(f"{kind.title} {name} has no data files under {location}")
        columns = self._columns(export_format, files)
        return ExportData(location, export_format, tuple(files), tuple(columns))

    def _describe_export(self, spec: TableSpec) -> dict[str, Any]:
        kind = spec.kind
        operation = kind.describe_operation
        try:
            response: dict[str, Any] = getattr(self.forecast, xform_name(operation))(
                **{kind.arn_property: spec.export_arn}
            )
            return response
        except ClientError as error:
            code, message = _error_of(error)
            if code == "ResourceNotFoundException":
                raise _Failure(f"ExportArn {spec.export_arn}: no such {kind.title}") from None
            raise _Failure(f"{operation} failed: {code}: {message}") from None
        except BotoCoreError as error:
            raise _Failure(f"{operation} failed: {error}") from None

    def _data_files(self, bucket: str, prefix: str, export_name: str) -> list[DataFile]:
        """The export's data files directly under ``prefix``: non-empty, not markers, not folders.

        Forecast names its files ``<export name>_<timestamp>_<part>``; when such files are present,
        files of other exports written to the same path are left out.
        """
        files = [
            DataFile(bucket, item["Key"], int(item["Size"]))
            for item in self._list(bucket, prefix, delimiter="/")
            if _is_data_file(item["Key"][len(prefix) :], int(item["Size"]))
        ]
        own = [file for file in files if file.key[len(prefix) :].startswith(export_name + "_")]
        return sorted(own or files, key=lambda file: file.key)

    def _columns(self, export_format: str, files: Sequence[DataFile]) -> list[Column]:
        reader = self._csv_schema if export_format == "CSV" else self._parquet_schema
        with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(files))) as pool:
            schemas = list(pool.map(reader, files))
        first_file, first = files[0], schemas[0]
        for file, schema in zip(files, schemas, strict=True):
            if schema != first:
                raise _Failure(
                    f"{export_format} files differ in columns: {_tail(first_file.key)} has {_brief(first)} "
                    f"but {_tail(file.key)} has {_brief(schema)}"
                )
        if export_format == "CSV":
            return csv_columns([str(name) for name in first])
        return parquet_columns(first)

    def _csv_schema(self, file: DataFile) -> tuple[Any, ...]:
        head = self._get_range(file, f"bytes=0-{HEAD_BYTES - 1}")
        try:
            return tuple(csv_header(head))
        except SchemaError as error:
            raise _Failure(f"CSV file {file.uri} {error}") from None

    def _parquet_schema(self, file: DataFile) -> tuple[Any, ...]:
        try:
            return tuple(parquet_fields(cast("IO[bytes]", _RangedObject(self, file))))
        except SchemaError as error:
            raise _Failure(f"Parquet file {_tail(file.key)} {error}") from None
        except ImportError:
            raise _Failure(
                "Parquet tables need the provider's Parquet reader layer: synthesize with forecast-export-cdk[parquet]"
            ) from None

    # The manifest and the table

    def _require_manifest_prefix_free(self, spec: TableSpec) -> None:
        """Athena reads every object under LOCATION as a manifest: the prefix must hold this table's only."""
        for item in self._list(spec.manifest_bucket, spec.manifest_prefix, delimiter=None, limit=2):
            if item["Key"] != spec.manifest_key:
                raise _Failure(
                    f"ManifestLocation {spec.location} holds other objects ({_tail(item['Key'])}); "
                    "give a prefix that holds only this table's manifest"
                )

    def _write_manifest(self, spec: TableSpec, export: ExportData) -> None:
        body = "".join(file.uri + "\n" for file in export.files).encode()
        self._s3("PutObject", Bucket=spec.manifest_bucket, Key=spec.manifest_key, Body=body, ContentType="text/plain")

    def _table_input(self, spec: TableSpec, export: ExportData) -> dict[str, Any]:
        parameters = {
            "EXTERNAL": "TRUE",
            "classification": export.format.lower(),
            OWNER_PARAMETER: spec.export_arn,
            "forecast_export_data_location": export.location,
        }
        if export.format == "CSV":
            # An empty value in a double column would fail the query under OpenCSVSerde: read it as NULL.
            parameters.update({"skip.header.line.count": "1", "use.null.for.invalid.data": "true"})
            serde = {
                "SerializationLibrary": CSV_SERDE,
                "Parameters": {"separatorChar": CSV_SEPARATOR, "quoteChar": CSV_QUOTE, "escapeChar": CSV_ESCAPE},
            }
            output_format = TEXT_OUTPUT_FORMAT
        else:
            # Columns are renamed, so Athena must read them by position, in the file's order.
            serde = {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"parquet.column.index.access": "true"}}
            output_format = PARQUET_OUTPUT_FORMAT
        return {
            "Name": spec.table,
            "Description": f"Data of {spec.kind.title} {spec.export_arn.rsplit('/', 1)[-1]}"[:2048],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
            "StorageDescriptor": {
                "Columns": [column.glue() for column in export.columns],
                "Location": spec.location,
                "InputFormat": SYMLINK_INPUT_FORMAT,
                "OutputFormat": output_format,
                "SerdeInfo": serde,
            },
        }

    def _succeeded(self, spec: TableSpec, export: ExportData) -> TableOutcome:
        arn = self.table_arn(spec)
        data = {
            "TableName": spec.table,
            "DatabaseName": spec.database,
            "TableArn": arn,
            "Location": spec.location,
            "DataLocation": export.location,
            "Format": export.format,
            "ColumnCount": str(len(export.columns)),
        }
        return TableOutcome(SUCCESS, arn, data)

    @staticmethod
    def _failed(reason: str, physical_id: str) -> TableOutcome:
        short = shorten(reason)
        logger.info("Table request failed: %s", short)
        return TableOutcome(FAILED, physical_id, reason=short)

    # AWS calls

    def _require_database(self, spec: TableSpec) -> None:
        try:
            self.glue.get_database(CatalogId=spec.catalog_id, Name=spec.database)
        except ClientError as error:
            code, message = _error_of(error)
            if code == "EntityNotFoundException":
                raise _Failure(
                    f"DatabaseName {spec.database}: no such Glue database in catalog {spec.catalog_id}"
                ) from None
            raise _Failure(f"GetDatabase failed: {code}: {message}") from None
        except BotoCoreError as error:
            raise _Failure(f"GetDatabase failed: {error}") from None

    def _get_table(self, catalog_id: str, database: str, table: str) -> dict[str, Any] | None:
        response = self._glue(
            "GetTable", CatalogId=catalog_id, DatabaseName=database, Name=table, ignore={"EntityNotFoundException"}
        )
        return None if response is None else dict(response["Table"])

    @staticmethod
    def _is_ours_at(table: Mapping[str, Any], location: str) -> bool:
        made_here = OWNER_PARAMETER in (table.get("Parameters") or {})
        return made_here and table.get("StorageDescriptor", {}).get("Location") == location

    def _list(
        self, bucket: str, prefix: str, *, delimiter: str | None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = delimiter
        if limit:
            params["MaxKeys"] = limit
        while True:
            page = self._s3("ListObjectsV2", **params)
            assert page is not None
            yield from page.get("Contents", [])
            if limit or not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def _get_range(self, file: DataFile, byte_range: str) -> bytes:
        response = self._s3("GetObject", Bucket=file.bucket, Key=file.key, Range=byte_range)
        assert response is not None
        body: bytes = response["Body"].read()
        return body

    def _glue(
        self, operation: str, *, ignore: frozenset[str] | set[str] = frozenset(), **params: Any
    ) -> dict[str, Any] | None:
        return _call(self.glue, operation, ignore, params)

    def _s3(
        self, operation: str, *, ignore: frozenset[str] | set[str] = frozenset(), **params: Any
    ) -> dict[str, Any] | None:
        return _call(self.s3, operation, ignore, params)


class _RangedObject(io.RawIOBase):
    """A read-only, seekable view of an S3 object that fetches only the byte ranges read.

    The last :data:`HEAD_BYTES` are fetched once, so reading a Parquet footer costs one GET.
    """

    def __init__(self, resource: TableResource, file: DataFile) -> None:
        super().__init__()
        self._resource = resource
        self._file = file
        self._position = 0
        self._tail_start = max(0, file.size - HEAD_BYTES)
        self._tail: bytes | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._file.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._file.size, self._position + len(view))
        if end <= self._position:
            return 0
        if self._position >= self._tail_start:
            if self._tail is None:
                self._tail = self._resource._get_range(self._file, f"bytes={self._tail_start}-{self._file.size - 1}")
            chunk = self._tail[self._position - self._tail_start : end - self._tail_start]
        else:
            chunk = self._resource._get_range(self._file, f"bytes={self._position}-{end - 1}")
        view[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def _call(
    client: Any, operation: str, ignore: frozenset[str] | set[str], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """One AWS call; an error code in ``ignore`` answers None, any other error is a failure with AWS's message."""
    try:
        response: dict[str, Any] = getattr(client, xform_name(operation))(**params)
        return response
    except ClientError as error:
        code, message = _error_of(error)
        if code in ignore:
            return None
        raise _Failure(f"{operation} failed: {code}: {message}") from None
    except BotoCoreError as error:
        raise _Failure(f"{operation} failed: {error}") from None


def _error_of(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return str(details.get("Code", "Unknown")), str(details.get("Message", ""))


def _is_data_file(name: str, size: int) -> bool:
    return (
        size > 0
        and bool(name)
        and "/" not in name
        and not name.startswith(("_", "."))
        and not name.endswith("$folder$")
    )


def _not_created(properties: Mapping[str, Any]) -> str:
    """The physical id of a table that was not created: never a table ARN, so Delete does nothing."""
    database, table = properties.get("DatabaseName"), properties.get("TableName")
    if isinstance(database, str) and isinstance(table, str):
        return f"not-created:{database[:255]}.{table[:255]}"
    return "not-created"


def _tail(key: str) -> str:
    return key.rsplit("/", 1)[-1][-60:]


def _brief(schema: Sequence[Any]) -> str:
    names = [f"{item.name}:{item.type}" if hasattr(item, "type") else str(item) for item in schema]
    text = ",".join(names)
    return f"[{text[:40]}...]" if len(text) > 40 else f"[{text}]"
