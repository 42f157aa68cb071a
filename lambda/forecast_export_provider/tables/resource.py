"""``Custom::ForecastExportTable``: a Glue table over an ACTIVE export's own files, free of CloudFormation wiring.

The table's LOCATION is a prefix that holds one symlink manifest (``symlink.txt``) listing the
export's data files, so that Athena reads data only. The clients (boto3 ``glue``, ``s3`` and
``forecast``) come from outside, built with connect and read timeouts (``CLIENT_CONFIG``); nothing
here waits for long. See docs/design.md, "Tables over exports".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..resource import Failure, Invocation, Outcome, Request, Status
from ..schema import CSV_ESCAPE, CSV_QUOTE, CSV_SEPARATOR
from ..validation import InvalidProperties, shorten
from .aws_calls import OwnedBuckets, call, error_of
from .export_data import ExportData, ExportReader, tail
from .ownership import EARLIER_MARK, Mark, Owner, Relation, relation, with_mark
from .properties import MANIFEST_NAME, TableSpec, parse_table, split_s3

if TYPE_CHECKING:
    from types_boto3_forecast import ForecastServiceClient
    from types_boto3_glue import GlueClient
    from types_boto3_glue.type_defs import SerDeInfoTypeDef, TableInputTypeDef
    from types_boto3_s3 import S3Client

SUCCESS = Status.SUCCESS
FAILED = Status.FAILED

SYMLINK_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

_TABLE_ARN = re.compile(r"arn:(aws[a-z-]*):glue:([a-z0-9-]+):(\d{12}):table/([a-z0-9_]{1,255})/([a-z0-9_]{1,255})")

logger = logging.getLogger(__name__)


class TableResource:
    """Create, Update and Delete of ``Custom::ForecastExportTable``; stateless, clients from outside."""

    def __init__(
        self,
        *,
        glue: GlueClient,
        s3: S3Client,
        forecast: ForecastServiceClient,
        account_id: str,
        partition: str,
        region: str,
    ) -> None:
        self.glue = glue
        self.s3 = OwnedBuckets(s3, account_id)
        self.exports = ExportReader(s3=self.s3, forecast=forecast)
        self.account_id = account_id
        self.partition = partition
        self.region = region

    def run(self, request: Request, state: Mapping[str, Any] | None, invocation: Invocation) -> Outcome:
        """Create, update or delete the table: quick, so settled in one invocation (``state`` is always None)."""
        actions = {"Create": self.create, "Update": self.update, "Delete": self.delete}
        return actions[request.request_type](request)

    # Lifecycle

    def create(self, request: Request) -> Outcome:
        """Make the table, or adopt the one that this stack made for it (a repeated delivery, a moved resource)."""
        try:
            spec = self._parse(request.properties)
        except (InvalidProperties, Failure) as error:
            return self._failed(str(error), _not_created(request.properties))
        try:
            return self._create_or_adopt(spec, _owner(request))
        except Failure as failure:
            # Something may have been written: the table's ARN lets the rollback Delete look and remove it.
            physical_id = self.table_arn(spec) if failure.touched else _not_created(request.properties)
            return self._failed(failure.reason, physical_id)

    def update(self, request: Request) -> Outcome:
        """Update the table in place; a new DatabaseName, TableName or CatalogId makes a new table."""
        current = request.physical_id or ""
        try:
            spec = self._parse(request.properties)
            if self.table_arn(spec) != current:
                old_location = request.old_properties.get("ManifestLocation")
                if old_location == request.properties["ManifestLocation"] and _TABLE_ARN.fullmatch(current):
                    raise Failure(
                        f"ManifestLocation {old_location} must change with DatabaseName/TableName/CatalogId: "
                        "the old table's Delete removes its manifest"
                    )
                return self._create_or_adopt(spec, _owner(request))
            return self._update_in_place(spec, _owner(request))
        except (InvalidProperties, Failure) as error:
            return self._failed(str(error), current)

    def delete(self, request: Request) -> Outcome:
        """Remove the table and its manifest while the mark names this resource; the export's data stays."""
        physical_id = request.physical_id or ""
        match = _TABLE_ARN.fullmatch(physical_id)
        if match is None:
            return Outcome(SUCCESS, physical_id)
        catalog_id, database, table = match.group(3), match.group(4), match.group(5)
        owner = _owner(request)
        try:
            found = self._get_table(catalog_id, database, table)
            if found is None:
                self._remove_manifest_left_by_a_failed_create(request, physical_id)
                return Outcome(SUCCESS, physical_id)
            mark = Mark.of(found)
            related = relation(found, owner)
            if mark is None or related is Relation.FOREIGN:
                logger.warning("Table %s.%s was not made by this stack; leaving it", database, table)
            elif related is Relation.SIBLING:
                if mark.previous in (owner.logical_id, EARLIER_MARK):
                    self._update_table(catalog_id, database, with_mark(found, Mark(mark.export_arn, mark.owner)))
                logger.info("Table %s.%s belongs to %s now; leaving it", database, table, _logical_id(mark))
            elif related is Relation.MINE and mark.previous is not None:
                # A rollback of a move: the resource that had the table before still exists.
                previous = None if mark.previous == EARLIER_MARK else Owner(owner.stack_id, mark.previous)
                self._update_table(catalog_id, database, with_mark(found, Mark(mark.export_arn, previous)))
                logger.info("Handed table %s.%s back to %s", database, table, mark.previous)
            else:
                self._remove(catalog_id, database, table, found)
        except Failure as failure:
            return self._failed(failure.reason, physical_id)
        return Outcome(SUCCESS, physical_id)

    def table_arn(self, spec: TableSpec) -> str:
        return f"arn:{self.partition}:glue:{self.region}:{spec.catalog_id}:table/{spec.database}/{spec.table}"

    # Steps

    def _parse(self, properties: Mapping[str, Any]) -> TableSpec:
        spec = parse_table(properties, self.account_id)
        account, region = spec.export_account_and_region
        if (account, region) != (self.account_id, self.region):
            raise Failure(
                f"ExportArn {spec.export_arn} is in account {account}, region {region}; a table reads exports "
                f"of the provider's own account {self.account_id} and region {self.region} only"
            )
        return spec

    def _create_or_adopt(self, spec: TableSpec, owner: Owner) -> Outcome:
        self._require_database(spec)
        found = self._get_table(spec.catalog_id, spec.database, spec.table)
        related = relation(found, owner)
        if found is not None and not self._may_adopt(found, related, spec):
            where = found.get("StorageDescriptor", {}).get("Location") or "no location"
            raise Failure(
                f"Glue table {spec.database}.{spec.table} already exists ({where}) and was not made by this "
                f"stack for {spec.location}; choose another TableName"
            )
        self._require_manifest_prefix_free(spec)
        export = self.exports.read(spec)
        mark = Mark(spec.export_arn, owner, self._previous_owner(found, related))
        table_input = self._table_input(spec, export, mark)
        self._write_manifest(spec, export)
        if found is None:
            self._create_table(spec, table_input, owner)
            logger.info("Created table %s.%s", spec.database, spec.table)
        else:
            try:
                self._update_table(spec.catalog_id, spec.database, table_input)
            except Failure as failure:
                raise Failure(failure.reason, touched=True) from None
            self._remove_old_manifest(found, spec)
            logger.info("Adopted table %s.%s (%s)", spec.database, spec.table, related.value if related else "")
        return self._succeeded(spec, export)

    @staticmethod
    def _may_adopt(found: Mapping[str, Any], related: Relation | None, spec: TableSpec) -> bool:
        if related in (Relation.MINE, Relation.SIBLING):
            return True
        if related is Relation.EARLIER_MARK:
            # An earlier version's mark names no stack: adopt only the table of the same export and location.
            mark = Mark.of(found)
            location = found.get("StorageDescriptor", {}).get("Location")
            return mark is not None and mark.export_arn == spec.export_arn and location == spec.location
        return False

    @staticmethod
    def _previous_owner(found: Mapping[str, Any] | None, related: Relation | None) -> str | None:
        mark = Mark.of(found) if found is not None else None
        if mark is None:
            return None
        if related is Relation.SIBLING and mark.owner is not None:
            return mark.owner.logical_id
        if related is Relation.EARLIER_MARK:
            return EARLIER_MARK
        return mark.previous

    def _create_table(self, spec: TableSpec, table_input: TableInputTypeDef, owner: Owner) -> None:
        """CreateTable; when its answer is lost (a retry meets AlreadyExists, a timeout), look before answering."""
        try:
            call(
                "CreateTable",
                lambda: self.glue.create_table(
                    CatalogId=spec.catalog_id, DatabaseName=spec.database, TableInput=table_input
                ),
            )
            return
        except Failure as failure:
            error = failure
        try:
            found = self._get_table(spec.catalog_id, spec.database, spec.table)
        except Failure:
            raise Failure(error.reason, touched=True) from None
        if relation(found, owner) is Relation.MINE:
            logger.info("CreateTable's answer was lost, but the table is there: %s", error.reason)
            return
        try:
            self.s3.delete(spec.manifest_bucket, spec.manifest_key)
        except Failure:
            raise Failure(error.reason, touched=True) from None
        raise error

    def _update_in_place(self, spec: TableSpec, owner: Owner) -> Outcome:
        self._require_database(spec)
        found = self._get_table(spec.catalog_id, spec.database, spec.table)
        if found is None:
            return self._create_or_adopt(spec, owner)
        related = relation(found, owner)
        mark = Mark.of(found)
        if mark is None or related is Relation.FOREIGN:
            raise Failure(f"Glue table {spec.database}.{spec.table} was replaced by a table this stack did not make")
        if related is Relation.SIBLING:
            raise Failure(
                f"Glue table {spec.database}.{spec.table} belongs to {_logical_id(mark)} of this stack now; "
                "give this resource another TableName or remove it"
            )
        self._require_manifest_prefix_free(spec)
        export = self.exports.read(spec)
        old = split_s3(found.get("StorageDescriptor", {}).get("Location"))
        moved = old != (spec.manifest_bucket, spec.manifest_prefix)
        previous = mark.previous if related is Relation.MINE else None
        table_input = self._table_input(spec, export, Mark(spec.export_arn, owner, previous))
        self._write_manifest(spec, export)
        try:
            self._update_table(spec.catalog_id, spec.database, table_input)
        except Failure:
            if moved:
                self.s3.delete(spec.manifest_bucket, spec.manifest_key)
            raise
        self._remove_old_manifest(found, spec)
        logger.info("Updated table %s.%s", spec.database, spec.table)
        return self._succeeded(spec, export)

    def _remove(self, catalog_id: str, database: str, table: str, found: Mapping[str, Any]) -> None:
        manifest = split_s3(found.get("StorageDescriptor", {}).get("Location"))
        if manifest is not None:
            self.s3.delete(manifest[0], manifest[1] + MANIFEST_NAME)
        call(
            "DeleteTable",
            lambda: self.glue.delete_table(CatalogId=catalog_id, DatabaseName=database, Name=table),
            ignore=frozenset({"EntityNotFoundException"}),
        )
        logger.info("Deleted table %s.%s", database, table)

    def _remove_manifest_left_by_a_failed_create(self, request: Request, physical_id: str) -> None:
        """A Create that failed after writing its manifest answers the table's ARN; its table may not exist."""
        try:
            spec = parse_table(request.properties, self.account_id)
        except InvalidProperties:
            return
        if self.table_arn(spec) == physical_id:
            self.s3.delete(spec.manifest_bucket, spec.manifest_key)

    def _remove_old_manifest(self, found: Mapping[str, Any], spec: TableSpec) -> None:
        old = split_s3(found.get("StorageDescriptor", {}).get("Location"))
        if old is not None and old != (spec.manifest_bucket, spec.manifest_prefix):
            self.s3.delete(old[0], old[1] + MANIFEST_NAME)

    # The manifest and the table

    def _require_manifest_prefix_free(self, spec: TableSpec) -> None:
        """Athena reads every object under LOCATION as a manifest: the prefix must hold this table's only.

        A zero-byte folder marker (``prefix/``, as the S3 console makes) reads as an empty manifest: allowed.
        """
        for item in self.s3.list(spec.manifest_bucket, spec.manifest_prefix, delimiter=None, limit=3):
            key = item["Key"]
            if key == spec.manifest_key or (key.endswith("/") and int(item.get("Size", 0)) == 0):
                continue
            raise Failure(
                f"ManifestLocation {spec.location} holds other objects ({tail(key)}); "
                "give a prefix that holds only this table's manifest"
            )

    def _write_manifest(self, spec: TableSpec, export: ExportData) -> None:
        body = "".join(file.uri + "\n" for file in export.files).encode()
        self.s3.put(spec.manifest_bucket, spec.manifest_key, body, "text/plain")

    def _table_input(self, spec: TableSpec, export: ExportData, mark: Mark) -> TableInputTypeDef:
        parameters = {
            "EXTERNAL": "TRUE",
            "classification": export.format.lower(),
            **mark.parameters(),
            "forecast_export_data_location": export.location,
        }
        if export.format == "CSV":
            # An empty value in a double column would fail the query under OpenCSVSerde: read it as NULL.
            parameters.update({"skip.header.line.count": "1", "use.null.for.invalid.data": "true"})
            serde: SerDeInfoTypeDef = {
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
            "Description": f"Data of {spec.kind.title} {spec.export_name}"[:2048],
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

    def _succeeded(self, spec: TableSpec, export: ExportData) -> Outcome:
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
        return Outcome(SUCCESS, arn, data)

    @staticmethod
    def _failed(reason: str, physical_id: str) -> Outcome:
        short = shorten(reason)
        logger.info("Table request failed: %s", short)
        return Outcome(FAILED, physical_id, reason=short)

    # AWS calls

    def _require_database(self, spec: TableSpec) -> None:
        try:
            self.glue.get_database(CatalogId=spec.catalog_id, Name=spec.database)
        except ClientError as error:
            code, message = error_of(error)
            if code == "EntityNotFoundException":
                raise Failure(
                    f"DatabaseName {spec.database}: no such Glue database in catalog {spec.catalog_id}"
                ) from None
            raise Failure(f"GetDatabase failed: {code}: {message}") from None
        except BotoCoreError as error:
            raise Failure(f"GetDatabase failed: {error}") from None

    def _get_table(self, catalog_id: str, database: str, table: str) -> dict[str, Any] | None:
        response = call(
            "GetTable",
            lambda: self.glue.get_table(CatalogId=catalog_id, DatabaseName=database, Name=table),
            ignore=frozenset({"EntityNotFoundException"}),
        )
        return None if response is None else dict(response["Table"])

    def _update_table(self, catalog_id: str, database: str, table_input: TableInputTypeDef) -> None:
        call(
            "UpdateTable",
            lambda: self.glue.update_table(CatalogId=catalog_id, DatabaseName=database, TableInput=table_input),
        )


def _logical_id(mark: Mark) -> str:
    return mark.owner.logical_id if mark.owner is not None else "an earlier version's resource"


def _not_created(properties: Mapping[str, Any]) -> str:
    """The physical id of a table that was not created: never a table ARN, so Delete does nothing."""
    database, table = properties.get("DatabaseName"), properties.get("TableName")
    if isinstance(database, str) and isinstance(table, str):
        return f"not-created:{database[:255]}.{table[:255]}"
    return "not-created"


def _owner(request: Request) -> Owner:
    """Who asks: the stack and the logical resource that a table's mark names."""
    return Owner(request.stack_id, request.logical_id)
