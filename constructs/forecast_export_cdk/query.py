"""Query the exports: a Glue database, a Glue table per export dataset, and an Athena workgroup.

* :class:`ExportDatabase` - a Glue database for the tables (or an existing one, imported by name).
* :class:`ExportTable` - a ``Custom::ForecastExportTable``: the provider reads the export's files
  once it is ACTIVE and catalogs them as a Glue table that Athena can query.
* :class:`ExportWorkGroup` - an Athena workgroup whose encrypted results go to the destination
  bucket, with its settings enforced and a bytes-scanned limit per query.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aws_cdk import (
    Acknowledgment,
    Arn,
    ArnFormat,
    CustomResource,
    Duration,
    Names,
    RemovalPolicy,
    Size,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from forecast_export_provider import kinds
from forecast_export_provider.constants import SERVICE_TIMEOUT_SECONDS
from forecast_export_provider.kinds import ExportKind

from ._asset import LAYER_INSTALL_COMMAND, parquet_reader_layer
from ._checks import prefix_problems, raise_if_any, removal_policy_problems
from .destination import ExportDestination
from .provider import ForecastExportProvider

if TYPE_CHECKING:
    from .exports import IForecastExport

TABLE_RESOURCE_TYPE = "Custom::ForecastExportTable"
MANIFEST_ROOT = "athena/tables/"
"""Where, relative to the destination bucket's root, the tables' symlink manifests go."""
DEFAULT_RESULTS_PREFIX = "athena-results/"
DEFAULT_RESULTS_EXPIRATION = Duration.days(30)
DEFAULT_BYTES_SCANNED_CUTOFF = Size.gibibytes(10)
MIN_BYTES_SCANNED_CUTOFF = 10_000_000
"""Athena's lower bound for ``BytesScannedCutoffPerQuery`` (10 MB)."""
MAX_GLUE_NAME_LENGTH = 255

_GLUE_NAME = re.compile(r"[a-z0-9_]+")
_WORK_GROUP_NAME = re.compile(r"[a-zA-Z0-9._-]{1,128}")

# What the provider needs to build and remove one table (see the table resource's interface).
PROVIDER_GLUE_ACTIONS = (
    "glue:CreateTable",
    "glue:DeleteTable",
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:UpdateTable",
)
PROVIDER_MANIFEST_ACTIONS = ("s3:DeleteObject", "s3:PutObject")
PROVIDER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# What one Athena query of a table needs.
QUERY_GLUE_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)
QUERY_ATHENA_ACTIONS = (
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
QUERY_RESULTS_ACTIONS = ("s3:GetObject", "s3:PutObject")
QUERY_RESULTS_KEY_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")


class BacktestDataset(enum.Enum):
    """The two datasets (sub-folders) of a predictor backtest export."""

    FORECASTED_VALUES = "forecasted-values"
    ACCURACY_METRICS_VALUES = "accuracy-metrics-values"


def glue_name_problems(prop: str, value: object) -> list[str]:
    """Why ``value`` is not a Glue name that Athena accepts unquoted (tokens pass)."""
    if not isinstance(value, str):
        return [f"{prop} must be a string; got {value!r}"]
    if Token.is_unresolved(value):
        return []
    if not 1 <= len(value) <= MAX_GLUE_NAME_LENGTH or not _GLUE_NAME.fullmatch(value):
        return [
            f"{prop} must be 1 to {MAX_GLUE_NAME_LENGTH} lowercase letters, digits and underscores "
            f"(Athena-safe); got {value!r}: use e.g. {athena_safe_name(value) or 'forecast_exports'!r}"
        ]
    return []


def athena_safe_name(text: str, max_length: int = MAX_GLUE_NAME_LENGTH) -> str:
    """``text`` lowercased with every run of other characters than ``[a-z0-9]`` made one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:max_length]


def _generated_glue_name(scope: Construct) -> str:
    # Unique per construct path in the app; the hash keeps two stacks' names apart.
    return athena_safe_name(Names.unique_resource_name(scope, max_length=MAX_GLUE_NAME_LENGTH, separator="_"))


def _prefix_condition(prefixes: Sequence[str]) -> dict[str, Any]:
    return {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}


def _acknowledge(policy: Construct, finding: str, reason: str) -> None:
    Validations.of(policy).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=reason))


# ---------------------------------------------------------------------------------- database


@runtime_checkable
class IExportDatabase(Protocol):
    """A Glue database that export tables can be cataloged in."""

    @property
    def database_name(self) -> str: ...

    @property
    def database_arn(self) -> str: ...

    @property
    def catalog_id(self) -> str: ...

    @property
    def catalog_arn(self) -> str: ...


class _DatabaseAttributes:
    _name: str
    _catalog_id: str
    _region: str
    _partition: str

    @property
    def database_name(self) -> str:
        """The database's name."""
        return self._name

    @property
    def catalog_id(self) -> str:
        """The AWS account id of the Glue Data Catalog that holds the database."""
        return self._catalog_id

    @property
    def catalog_arn(self) -> str:
        """``arn:<partition>:glue:<region>:<catalog id>:catalog``."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:catalog"

    @property
    def database_arn(self) -> str:
        """``arn:<partition>:glue:<region>:<catalog id>:database/<name>``."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:database/{self._name}"

    def table_arn(self, table_name: str) -> str:
        """The ARN of table ``table_name`` in this database."""
        return f"arn:{self._partition}:glue:{self._region}:{self._catalog_id}:table/{self._name}/{table_name}"


class ImportedExportDatabase(_DatabaseAttributes, Construct):
    """A Glue database defined elsewhere (see :meth:`ExportDatabase.from_database_name`)."""

    def __init__(
        self, scope: Construct, id: str, *, database_name: str, catalog_id: str, region: str, partition: str
    ) -> None:
        super().__init__(scope, id)
        self._name = database_name
        self._catalog_id = catalog_id
        self._region = region
        self._partition = partition


class ExportDatabase(_DatabaseAttributes, Construct):
    """A Glue database for the export tables (``AWS::Glue::Database``, construct id ``Resource``).

    :param database_name: the database's name: 1..255 lowercase letters, digits and underscores,
        so that Athena accepts it unquoted. Changing it replaces the database. Default: generated
        from the construct path, e.g. ``stack_exports_1a2b3c4d``.
    :param description: the database's description. Default: a sentence naming the library.
    :param removal_policy: what happens to the database when it leaves the stack. Deleting a Glue
        database deletes the catalog entries of all its tables, never data in S3. Default:
        ``RemovalPolicy.DESTROY``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        database_name: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        problems = glue_name_problems("database_name", database_name) if database_name is not None else []
        problems += removal_policy_problems("removal_policy", removal_policy)
        raise_if_any(f"ExportDatabase {scope.node.path}/{id}", problems)
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = database_name if database_name is not None else _generated_glue_name(self)
        self.resource = glue.CfnDatabase(
            self,
            "Resource",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=name,
                description=description or "Amazon Forecast exports, cataloged by forecast-export-cdk",
            ),
        )
        """The ``AWS::Glue::Database`` resource."""
        self.resource.apply_removal_policy(removal_policy)
        # Ref is the name: tables that use it wait for the database.
        self._name = self.resource.ref
        self._catalog_id = stack.account
        self._region = stack.region
        self._partition = stack.partition

    @classmethod
    def from_database_name(
        cls, scope: Construct, id: str, database_name: str, *, catalog_id: str | None = None
    ) -> ImportedExportDatabase:
        """Refer to an existing Glue database of the stack's region by name.

        :param catalog_id: the account id of its Data Catalog. Default: the stack's account.
        """
        raise_if_any(f"ExportDatabase.from_database_name {id}", glue_name_problems("database_name", database_name))
        stack = Stack.of(scope)
        return ImportedExportDatabase(
            scope,
            id,
            database_name=database_name,
            catalog_id=catalog_id or stack.account,
            region=stack.region,
            partition=stack.partition,
        )

    @classmethod
    def from_database_arn(cls, scope: Construct, id: str, database_arn: str) -> ImportedExportDatabase:
        """Refer to an existing Glue database by ARN (``arn:<partition>:glue:<region>:<account>:database/<name>``).

        The provider creates tables in its own region: the database must be in the stack's region.
        """
        stack = Stack.of(scope)
        parts = Arn.split(database_arn, ArnFormat.SLASH_RESOURCE_NAME)
        problems: list[str] = []
        if not Token.is_unresolved(database_arn):
            if parts.service != "glue" or parts.resource != "database" or not parts.resource_name:
                problems.append(f"database_arn must be a Glue database ARN; got {database_arn!r}")
            elif not Token.is_unresolved(stack.region) and parts.region != stack.region:
                problems.append(
                    f"database_arn must be in the stack's region {stack.region}; got {parts.region!r}: "
                    "the provider creates tables in its own region"
                )
            else:
                problems += glue_name_problems("database_arn (name)", parts.resource_name)
        raise_if_any(f"ExportDatabase.from_database_arn {id}", problems)
        return ImportedExportDatabase(
            scope,
            id,
            database_name=parts.resource_name or "",
            catalog_id=parts.account or stack.account,
            region=parts.region or stack.region,
            partition=parts.partition or stack.partition,
        )


# ---------------------------------------------------------------------------------- workgroup


class ExportWorkGroup(Construct):
    """An Athena workgroup for querying the exports (``AWS::Athena::WorkGroup``, id ``Resource``).

    Query results go to the destination bucket under ``results_prefix``, encrypted with the
    destination's KMS key (SSE-KMS; SSE-S3 when the destination has no key). The workgroup's
    settings are enforced (clients cannot override the location or encryption), each query stops
    after ``bytes_scanned_cutoff_per_query``, CloudWatch metrics are published and the engine
    version is chosen by Athena (``AUTO``).

    :param destination: the :class:`ExportDestination` whose bucket and key hold the results.
    :param work_group_name: the workgroup's name (``[a-zA-Z0-9._-]``, 1..128). Changing it replaces
        the workgroup. Default: generated from the construct path.
    :param results_prefix: key prefix of the results, relative to the bucket's root; ends in ``/``.
        Default: ``athena-results/``.
    :param bytes_scanned_cutoff_per_query: the most data one query may scan (at least 10 MB).
        Default: 10 GiB.
    :param recursive_delete: delete the workgroup with its saved queries and query history when
        it leaves the stack. Without it, CloudFormation cannot delete a workgroup that has run a
        query. Results in S3 are never deleted. Default: True.
    :param description: the workgroup's description. Default: a sentence naming the library.
    :param results_expiration: how long query results stay in a bucket the destination created
        (a lifecycle rule on ``results_prefix``, older versions included); None keeps them. With an
        existing bucket, its own lifecycle rules apply. Default: 30 days.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        destination: ExportDestination,
        work_group_name: str | None = None,
        results_prefix: str = DEFAULT_RESULTS_PREFIX,
        bytes_scanned_cutoff_per_query: Size = DEFAULT_BYTES_SCANNED_CUTOFF,
        recursive_delete: bool = True,
        description: str | None = None,
        results_expiration: Duration | None = DEFAULT_RESULTS_EXPIRATION,
    ) -> None:
        problems: list[str] = []
        if not isinstance(destination, ExportDestination):
            problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        if (
            work_group_name is not None
            and not Token.is_unresolved(work_group_name)
            and not _WORK_GROUP_NAME.fullmatch(work_group_name)
        ):
            problems.append(
                f"work_group_name must be 1 to 128 letters, digits, '.', '_' or '-'; got {work_group_name!r}"
            )
        problems += prefix_problems("results_prefix", results_prefix)
        if results_prefix == "":
            problems.append(
                "results_prefix must not be empty: results need a prefix of their own, e.g. 'athena-results/'"
            )
        if not isinstance(bytes_scanned_cutoff_per_query, Size):
            problems.append(
                f"bytes_scanned_cutoff_per_query must be a Size, e.g. Size.gibibytes(10); "
                f"got {bytes_scanned_cutoff_per_query!r}"
            )
        elif bytes_scanned_cutoff_per_query.to_bytes() < MIN_BYTES_SCANNED_CUTOFF:
            problems.append(
                f"bytes_scanned_cutoff_per_query must be at least 10 MB ({MIN_BYTES_SCANNED_CUTOFF} bytes), "
                f"Athena's minimum; got {bytes_scanned_cutoff_per_query.to_bytes():.0f} bytes"
            )
        raise_if_any(f"ExportWorkGroup {scope.node.path}/{id}", problems)
        super().__init__(scope, id)
        stack = Stack.of(self)

        self.destination = destination
        """The destination whose bucket and key hold the results."""
        self.bucket: s3.IBucket = destination.bucket
        """The bucket of the results."""
        self.encryption_key: kms.IKey | None = destination.encryption_key
        """The key that encrypts the results, or None (SSE-S3)."""
        self.results_prefix: str = results_prefix
        """The results' key prefix, relative to the bucket's root."""
        self.results_location = f"s3://{self.bucket.bucket_name}/{results_prefix}"
        """``s3://<bucket>/<results_prefix>``."""
        if results_expiration is not None and isinstance(self.bucket, s3.Bucket):
            self.bucket.add_lifecycle_rule(
                id=f"ExpireQueryResults{Names.node_unique_id(self.node)}"[:255],
                prefix=results_prefix,
                expiration=results_expiration,
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        name = work_group_name or Names.unique_resource_name(self, max_length=128, separator="-")
        if self.encryption_key is not None:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(
                encryption_option="SSE_KMS", kms_key=self.encryption_key.key_arn
            )
        else:
            encryption = athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
        self.resource = athena.CfnWorkGroup(
            self,
            "Resource",
            name=name,
            description=description or "Queries of Amazon Forecast exports (forecast-export-cdk)",
            state="ENABLED",
            recursive_delete_option=recursive_delete,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                bytes_scanned_cutoff_per_query=int(bytes_scanned_cutoff_per_query.to_bytes()),
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version="AUTO"),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location, encryption_configuration=encryption
                ),
            ),
        )
        """The ``AWS::Athena::WorkGroup`` resource."""
        self.work_group_name: str = self.resource.ref
        """The workgroup's name (``Ref``)."""
        self.work_group_arn: str = stack.format_arn(
            service="athena",
            resource="workgroup",
            resource_name=self.work_group_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        """``arn:<partition>:athena:<region>:<account>:workgroup/<name>``."""

    def grant_use(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run queries in this workgroup and write and read their results.

        Grants the Athena query actions on the workgroup, ``s3:PutObject``/``s3:GetObject`` on the
        results prefix, ``s3:GetBucketLocation`` on the bucket, and ``kms:GenerateDataKey``,
        ``kms:Encrypt`` and ``kms:Decrypt`` on the key. Reading the tables is
        :meth:`ExportTable.grant_query`'s part.
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(QUERY_ATHENA_ACTIONS), resource_arns=[self.work_group_arn]
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(QUERY_RESULTS_ACTIONS),
                resource_arns=[self.bucket.arn_for_objects(f"{self.results_prefix}*")],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["s3:GetBucketLocation"], resource_arns=[self.bucket.bucket_arn]
            )
        )
        if self.encryption_key is not None:
            grant = grant.combine(self.destination.grant_key(grantee, *QUERY_RESULTS_KEY_ACTIONS, "kms:Decrypt"))
        return grant


# ---------------------------------------------------------------------------------- table


def _may_be_parquet(export: object) -> bool:
    """Whether a table over ``export`` may read Parquet: its format is PARQUET or not known at synth time."""
    export_format = getattr(export, "format", None)
    if not isinstance(export_format, str):
        return True  # an imported export: its format is not known here
    return Token.is_unresolved(export_format) or export_format != "CSV"


class ExportTable(Construct):
    """A Glue table over one export's files (``Custom::ForecastExportTable``, id ``Resource``).

    Once the export is ACTIVE the provider reads its files (CSV header or Parquet schema), writes a
    symlink manifest of the data files under ``s3://<bucket>/athena/tables/<database>/<table>/``
    and creates the table there, so that Athena reads exactly the export's data files. The table
    resource takes the export's ARN (``Ref``), so CloudFormation creates it after the export.

    :param export: the export to catalog: an export construct of this app, or one imported with
        ``from_export_arn``.
    :param database: the :class:`ExportDatabase` (or an imported one) that holds the table.
    :param table_name: the table's name: 1..255 lowercase letters, digits and underscores.
        Changing it replaces the table. Default: generated from the construct path (with a hash).
    :param dataset: for a predictor backtest export, which of its two datasets the table
        catalogs (:class:`BacktestDataset`); required there and not allowed for other kinds.
        Default: none.
    :param workgroup: the :class:`ExportWorkGroup` that :meth:`grant_query` grants the use of
        when it is not given one. Default: none (grants cover the table only).
    :param destination: the destination the export wrote to. Default: the export's own (an
        export imported without one: required).
    :param export_prefix: the export's key prefix relative to ``destination.prefix`` (``''`` or
        ending in ``/``). Default: the export's own (an export imported without one: required).
    :param removal_policy: what happens to the table when it leaves the stack: ``DESTROY`` deletes
        the catalog entry and the manifest, never the export's files. Default: ``DESTROY``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        export: IForecastExport,
        database: IExportDatabase,
        table_name: str | None = None,
        dataset: BacktestDataset | str | None = None,
        workgroup: ExportWorkGroup | None = None,
        destination: ExportDestination | None = None,
        export_prefix: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        from .exports import ForecastExportBase, IForecastExport

        what = f"ExportTable {scope.node.path}/{id}"
        problems: list[str] = []
        owned = isinstance(export, ForecastExportBase)
        kind: ExportKind | None = None
        if not isinstance(export, IForecastExport):
            problems.append(f"export must be an export construct or from_export_arn(...); got {type(export).__name__}")
        else:
            found = getattr(export, "kind", None)
            kind = found if isinstance(found, ExportKind) else kinds.kind_of_arn(export.export_arn)
            if kind is None:
                problems.append("export must say its kind: import it with <ExportClass>.from_export_arn(...)")
        if not isinstance(database, IExportDatabase):
            problems.append(
                f"database must be an ExportDatabase or ExportDatabase.from_database_name(...); "
                f"got {type(database).__name__}"
            )
        if table_name is not None:
            problems += glue_name_problems("table_name", table_name)
        dataset_value = dataset.value if isinstance(dataset, BacktestDataset) else dataset
        datasets = [d.value for d in BacktestDataset]
        if kind is kinds.PREDICTOR_BACKTEST_EXPORT and dataset_value not in datasets:
            problems.append(
                f"dataset must be one of BacktestDataset.FORECASTED_VALUES, BacktestDataset.ACCURACY_METRICS_VALUES "
                f"for a predictor backtest export; got {dataset!r}: or use export.add_tables(...) for both"
            )
        if kind is not None and kind is not kinds.PREDICTOR_BACKTEST_EXPORT and dataset is not None:
            problems.append(f"dataset applies to predictor backtest exports only; omit it for a {kind.title}")
        if workgroup is not None and not isinstance(workgroup, ExportWorkGroup):
            problems.append(f"workgroup must be an ExportWorkGroup; got {type(workgroup).__name__}")
        if destination is not None and not isinstance(destination, ExportDestination):
            problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        if export_prefix is not None:
            problems += prefix_problems("export_prefix", export_prefix)
        # An export of this app knows where its files are; an imported one may (from_export_arn's
        # destination and export_prefix), else they are props of the table.
        if destination is None:
            destination = getattr(export, "destination", None)
        if export_prefix is None:
            export_prefix = getattr(export, "export_prefix", None)
        if destination is None or export_prefix is None:
            problems.append(
                "destination and export_prefix are required for an export imported without them: "
                "pass the ExportDestination it wrote to and its prefix relative to destination.prefix"
            )
        problems += removal_policy_problems("removal_policy", removal_policy)
        reads_parquet = _may_be_parquet(export)
        if reads_parquet and parquet_reader_layer() is None:
            problems.append(
                "the export's files are Parquet (or of a format known only at deploy time), which the provider "
                f"reads with the Parquet reader layer, not installed here: {LAYER_INSTALL_COMMAND}"
            )
        raise_if_any(what, problems)
        assert kind is not None
        super().__init__(scope, id)

        assert isinstance(destination, ExportDestination) and isinstance(export_prefix, str)
        name = table_name if table_name is not None else _generated_glue_name(self)

        self.export = export
        """The export this table catalogs."""
        self.kind: ExportKind = kind
        self.dataset: BacktestDataset | None = BacktestDataset(dataset_value) if dataset_value else None
        """The backtest dataset this table catalogs, or None for other kinds."""
        self.database = database
        """The database that holds the table."""
        self.workgroup = workgroup
        """The workgroup :meth:`grant_query` grants by default, or None."""
        self.destination = destination
        """Where the export's files (and the table's manifest) are."""
        self.data_prefix: str = f"{destination.prefix}{export_prefix}"
        """The export's key prefix in the bucket (the table reads the data files under it)."""
        self.manifest_prefix: str = f"{MANIFEST_ROOT}{database.database_name}/{name}/"
        """The key prefix of the table's symlink manifest, the table's LOCATION."""

        provider = ForecastExportProvider.of(self)
        if reads_parquet:
            provider.add_parquet_reader()
        properties: dict[str, Any] = {
            "ExportArn": export.export_arn,
            "DatabaseName": database.database_name,
            "TableName": name,
        }
        if self.dataset is not None:
            properties["Dataset"] = self.dataset.value
        properties["ManifestLocation"] = f"s3://{destination.bucket.bucket_name}/{self.manifest_prefix}"
        properties["CatalogId"] = database.catalog_id
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=TABLE_RESOURCE_TYPE,
            properties=properties,
            removal_policy=removal_policy,
            service_timeout=Duration.seconds(SERVICE_TIMEOUT_SECONDS),
        )
        """The custom resource (``Custom::ForecastExportTable``) behind this table."""
        policy = self._grant_provider(provider, owned, name)
        # Neither policy is referenced by the resource: without these the first request could
        # run before the permissions exist.
        self.resource.node.add_dependency(policy, provider.invoke_policy)
        self._glue_table_arn = self._database_attribute_arn(name)

    def _database_attribute_arn(self, table_name: str) -> str:
        stack = Stack.of(self)
        return stack.format_arn(
            service="glue",
            resource="table",
            account=self.database.catalog_id,
            resource_name=f"{self.database.database_name}/{table_name}",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def _grant_provider(self, provider: ForecastExportProvider, owned: bool, table_name: str) -> iam.ManagedPolicy:
        """Add what the provider needs for this table to the stack's shared table policy."""
        policy = _tables_policy(provider)
        bucket = self.destination.bucket
        statements = [
            iam.PolicyStatement(
                actions=list(PROVIDER_GLUE_ACTIONS),
                resources=[
                    self.database.catalog_arn,
                    self.database.database_arn,
                    self._database_attribute_arn(table_name),
                ],
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions=_prefix_condition([self.data_prefix]),
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{self.data_prefix}*")]),
            iam.PolicyStatement(
                actions=list(PROVIDER_MANIFEST_ACTIONS),
                resources=[bucket.arn_for_objects(f"{self.manifest_prefix}*")],
            ),
        ]
        key = self.destination.encryption_key
        if key is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=list(PROVIDER_KEY_ACTIONS),
                    resources=[key.key_arn],
                    conditions=self.destination.key_conditions(),
                )
            )
        if not owned:
            # Exports of this stack already let the provider describe their kind's exports.
            statements.append(
                iam.PolicyStatement(
                    actions=[f"forecast:{self.kind.describe_operation}"], resources=[self.export.export_arn]
                )
            )
        for statement in statements:
            policy.add_statements(statement)
        reason = (
            "The export's files have names Forecast chooses under the export's prefix, and the "
            "table's manifest is written under a prefix owned by this table alone; each object "
            "statement is limited to that prefix of the destination bucket."
        )
        for prefix in (self.data_prefix, self.manifest_prefix):
            _acknowledge(policy, f"Resource::{nag_text(self, bucket.arn_for_objects(f'{prefix}*'))}", reason)
        return policy

    @property
    def table_name(self) -> str:
        """The table's name (``Fn::GetAtt TableName``)."""
        return self.resource.get_att_string("TableName")

    @property
    def table_arn(self) -> str:
        """The table's ARN, ``arn:<partition>:glue:<region>:<account>:table/<database>/<table>`` (``Ref``)."""
        return self.resource.ref

    @property
    def database_name(self) -> str:
        """The database's name (``Fn::GetAtt DatabaseName``)."""
        return self.resource.get_att_string("DatabaseName")

    @property
    def location(self) -> str:
        """The table's LOCATION, its manifest folder ``s3://...`` (``Fn::GetAtt Location``)."""
        return self.resource.get_att_string("Location")

    @property
    def data_location(self) -> str:
        """The S3 folder of the export's data files (``Fn::GetAtt DataLocation``)."""
        return self.resource.get_att_string("DataLocation")

    def grant_query(self, grantee: iam.IGrantable, *, workgroup: ExportWorkGroup | None = None) -> iam.Grant:
        """Let ``grantee`` query this table with Athena: exactly what a query needs.

        * ``glue:GetDatabase``, ``GetTable``, ``GetTables``, ``GetPartition``, ``GetPartitions`` on
          the catalog, the database and the table;
        * ``s3:GetObject`` on the export's files and on the table's manifest,
          ``s3:ListBucket`` on the bucket limited by ``s3:prefix`` to those two prefixes,
          ``s3:GetBucketLocation`` on the bucket, ``kms:Decrypt`` on the destination key;
        * with a workgroup (``workgroup``, else the table's own): :meth:`ExportWorkGroup.grant_use`.

        :param workgroup: the workgroup to grant. Default: the table's ``workgroup``, if any.
        """
        bucket = self.destination.bucket
        glue_resources = [self.database.catalog_arn, self.database.database_arn, self._glue_table_arn]
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(QUERY_GLUE_ACTIONS), resource_arns=glue_resources
        )
        prefixes = [self.data_prefix, self.manifest_prefix]
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:GetObject"],
                resource_arns=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:ListBucket"],
                resource_arns=[bucket.bucket_arn],
                conditions=_prefix_condition(prefixes),
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["s3:GetBucketLocation"], resource_arns=[bucket.bucket_arn]
            )
        )
        if self.destination.encryption_key is not None:
            grant = grant.combine(self.destination.grant_key(grantee, "kms:Decrypt"))
        chosen = workgroup or self.workgroup
        if chosen is not None:
            grant = grant.combine(chosen.grant_use(grantee))
        return grant


def _tables_policy(provider: ForecastExportProvider) -> iam.ManagedPolicy:
    """A policy of the provider's role for one more table's permissions.

    Managed policies, not more inline ones: a role's inline policies share one size limit (10,240
    characters) with the provider's own default policy, while each managed policy has 6,144 of its
    own. A new policy is started every :data:`TABLES_PER_POLICY` tables so that none outgrows it.
    """
    index = 1
    while True:
        policy_id = _TABLES_POLICY_ID if index == 1 else f"{_TABLES_POLICY_ID}{index}"
        existing = provider.node.try_find_child(policy_id)
        if existing is None:
            policy = iam.ManagedPolicy(
                provider,
                policy_id,
                roles=[provider.role],
                description="Lets the Forecast export provider catalog exports as Glue tables",
            )
            policy._forecast_export_tables = 0  # type: ignore[attr-defined]
            break
        assert isinstance(existing, iam.ManagedPolicy)
        if existing._forecast_export_tables < TABLES_PER_POLICY:  # type: ignore[attr-defined]
            policy = existing
            break
        index += 1
    policy._forecast_export_tables += 1  # type: ignore[attr-defined]
    return policy


TABLES_PER_POLICY = 6
"""How many tables' provider permissions share one managed policy (each adds about 700 characters)."""
_TABLES_POLICY_ID = "TablesPolicy"


def nag_text(scope: Construct, value: str) -> str:
    """``value`` as cdk-nag writes it in a finding id: references as ``<LogicalId>`` or
    ``<LogicalId.Attribute>``, pseudo parameters as ``<AWS::Region>``."""
    resolved = Stack.of(scope).resolve(value)
    parts = resolved["Fn::Join"][1] if isinstance(resolved, dict) and "Fn::Join" in resolved else [resolved]
    text = []
    for part in parts:
        if isinstance(part, dict) and "Ref" in part:
            text.append(f"<{part['Ref']}>")
        elif isinstance(part, dict) and "Fn::GetAtt" in part:
            text.append(f"<{'.'.join(part['Fn::GetAtt'])}>")
        else:
            text.append(str(part))
    return "".join(text)
