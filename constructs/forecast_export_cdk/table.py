"""A Glue table over one export's files: a ``Custom::ForecastExportTable`` that the provider serves."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from aws_cdk import Acknowledgment, ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from forecast_export_provider import kinds
from forecast_export_provider.constants import SERVICE_TIMEOUT_SECONDS
from forecast_export_provider.kinds import ExportKind

from ._asset import LAYER_INSTALL_COMMAND, parquet_reader_layer
from ._checks import prefix_problems, raise_if_any, removal_policy_problems, warn
from .database import IExportDatabase, generated_glue_name, glue_name_problems
from .destination import ExportDestination
from .export_interface import IForecastExport
from .provider import ForecastExportProvider
from .workgroup import ExportWorkGroup

TABLE_RESOURCE_TYPE = "Custom::ForecastExportTable"
MANIFEST_ROOT = "athena/tables/"
"""Where, relative to the destination bucket's root, the tables' symlink manifests go."""

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


class BacktestDataset(enum.Enum):
    """The two datasets (sub-folders) of a predictor backtest export."""

    FORECASTED_VALUES = "forecasted-values"
    ACCURACY_METRICS_VALUES = "accuracy-metrics-values"


def _prefix_condition(prefixes: Sequence[str]) -> dict[str, Any]:
    return {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}


def _acknowledge(policy: Construct, finding: str, reason: str) -> None:
    Validations.of(policy).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=reason))


def _may_be_parquet(export: IForecastExport) -> bool:
    """Whether a table over ``export`` may read Parquet: its format is PARQUET or not known at synth time."""
    export_format = export.format
    if export_format is None:
        return True  # imported without a format: not known here
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
        what = f"ExportTable {scope.node.path}/{id}"
        problems: list[str] = []
        kind: ExportKind | None = None
        if not isinstance(export, IForecastExport):
            problems.append(f"export must be an export construct or from_export_arn(...); got {type(export).__name__}")
        else:
            kind = export.kind
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
        if destination is None and kind is not None:
            destination = export.destination
        if export_prefix is None and kind is not None:
            export_prefix = export.export_prefix
        if destination is None or export_prefix is None:
            problems.append(
                "destination and export_prefix are required for an export imported without them: "
                "pass the ExportDestination it wrote to and its prefix relative to destination.prefix"
            )
        problems += removal_policy_problems("removal_policy", removal_policy)
        reads_parquet = kind is not None and _may_be_parquet(export)
        if reads_parquet and parquet_reader_layer() is None:
            problems.append(
                "the export's files are Parquet (or of a format known only at deploy time), which the provider "
                f"reads with the Parquet reader layer, not installed here: {LAYER_INSTALL_COMMAND}"
            )
        raise_if_any(what, problems)
        assert kind is not None
        super().__init__(scope, id)

        assert isinstance(destination, ExportDestination) and isinstance(export_prefix, str)
        name = table_name if table_name is not None else generated_glue_name(self)

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
            if export.format is None or Token.is_unresolved(export.format):
                warn(
                    self,
                    "formatUnknown",
                    "the export's format is not known at synth time, so the provider gets the Parquet reader "
                    "layer in case the files are Parquet. For a CSV export, pass format=ExportFormat.CSV "
                    "(to the export, or to from_export_arn for an imported one) to leave the layer out.",
                )
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
        policy = self._grant_provider(provider, name)
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

    def _grant_provider(self, provider: ForecastExportProvider, table_name: str) -> iam.ManagedPolicy:
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
        if self.export.imported:
            # Exports defined in this app already let the provider describe their kind's exports.
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
