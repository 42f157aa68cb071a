"""One construct per Forecast export kind, all sharing one implementation driven by ``kinds.py``."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from aws_cdk import CfnElement, CustomResource, Duration, Fn, RemovalPolicy, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct, Node

from forecast_export_provider import kinds
from forecast_export_provider.constants import SERVICE_TIMEOUT_SECONDS
from forecast_export_provider.kinds import ExportKind
from forecast_export_provider.validation import Problem, find_problems

from ._checks import prefix_problems, raise_if_any, removal_policy_problems
from .destination import ExportDestination
from .provider import ForecastExportProvider

if TYPE_CHECKING:
    from .query import BacktestDataset, ExportTable, ExportWorkGroup, IExportDatabase


class ExportFormat(enum.Enum):
    """The format Forecast writes the exported files in."""

    CSV = "CSV"
    PARQUET = "PARQUET"


@runtime_checkable
class IForecastExport(Protocol):
    """An export of any kind, defined in this app (:class:`ForecastExportJob`, ...) or imported
    by ARN (:meth:`ForecastExportBase.from_export_arn`, an :class:`ImportedForecastExport`).

    Code that only refers to an export (an output, a policy, a table over its files) takes this
    interface, so that both kinds of export serve.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    @property
    def kind(self) -> ExportKind:
        """Which of the four export kinds this is."""
        ...

    @property
    def export_arn(self) -> str:
        """The export's ARN."""
        ...

    @property
    def export_name(self) -> str:
        """The export's name."""
        ...

    @property
    def destination(self) -> ExportDestination | None:
        """Where the export's files are, if known (an imported export: only when given)."""
        ...

    @property
    def export_prefix(self) -> str | None:
        """The export's key prefix relative to ``destination.prefix``, if known."""
        ...

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the export's files (needs a known destination)."""
        ...


class ImportedForecastExport(Construct):
    """An export defined elsewhere, known by its ARN; made by ``<ExportClass>.from_export_arn``.

    It has the ARN, the name (read from the ARN, or given) and the kind. Its destination and
    prefix are known only when given to ``from_export_arn``; without them :meth:`grant_read`
    raises. It has no status, path or source attributes, and nothing in this app waits for it.

    :param kind: the export's kind.
    :param export_arn: the export's ARN.
    :param export_name: the export's name.
    :param destination: the destination it wrote to. Default: unknown.
    :param export_prefix: its key prefix relative to ``destination.prefix``. Default: unknown.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: ExportKind,
        export_arn: str,
        export_name: str,
        destination: ExportDestination | None = None,
        export_prefix: str | None = None,
    ) -> None:
        problems = prefix_problems("export_prefix", export_prefix) if export_prefix is not None else []
        if export_prefix is not None and destination is None:
            problems.append("export_prefix needs destination; pass both or neither")
        if destination is not None and not isinstance(destination, ExportDestination):
            problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        raise_if_any(f"ImportedForecastExport {scope.node.path}/{id}", problems)
        super().__init__(scope, id)
        self._kind = kind
        self._export_arn = export_arn
        self._export_name = export_name
        self._destination = destination
        self._export_prefix = export_prefix if export_prefix is not None or destination is None else ""

    @property
    def kind(self) -> ExportKind:
        """Which of the four export kinds this is."""
        return self._kind

    @property
    def export_arn(self) -> str:
        """The export's ARN, as given."""
        return self._export_arn

    @property
    def export_name(self) -> str:
        """The export's name, given or read from the ARN."""
        return self._export_name

    @property
    def destination(self) -> ExportDestination | None:
        """The destination it wrote to, or None when not given."""
        return self._destination

    @property
    def export_prefix(self) -> str | None:
        """Its key prefix relative to ``destination.prefix`` (``''`` when only the destination was
        given), or None without a destination."""
        return self._export_prefix

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read this export's files, as :meth:`ForecastExportBase.grant_read` does.

        :raises ValueError: when the export was imported without a destination.
        """
        if self._destination is None or self._export_prefix is None:
            raise ValueError(
                f"ImportedForecastExport {self.node.path}: its files' location is unknown; pass destination= "
                "(and export_prefix=) to from_export_arn, or grant on the bucket yourself"
            )
        return self._destination.grant_read(grantee, self._export_prefix)


def _props_by_property(kind: ExportKind, source_prop: str) -> dict[str, str]:
    """Which construct prop sets each property path of ``kind``'s custom resource."""
    return {
        kind.name_property: "export_name",
        kind.source_property: source_prop,
        "source": source_prop,  # the validation's name for a missing or ambiguous source property
        "Destination": "destination",
        "Destination.S3Config.Path": "prefix",
        "Destination.S3Config.RoleArn": "destination.role",
        "Destination.S3Config.KMSKeyArn": "destination.encryption_key",
        "Format": "format",
        "Tags": "tags",
    }


def _prop_of_path(props: Mapping[str, str], path: str) -> str:
    """The prop of the longest table entry that ``path`` lies under; else the path's first segment."""
    segments = re.split(r"[.\[]", path)
    for length in range(len(segments), 0, -1):
        prop = props.get(".".join(segments[:length]))
        if prop is not None:
            return prop
    return segments[0]


def _safe_segment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", text)[:48] or "export"


class ForecastExportBase(Construct):
    """The shared implementation of the four export constructs; use one of its subclasses.

    Everything that differs between the kinds is read from the subclass's :attr:`KIND`.
    """

    KIND: ClassVar[ExportKind]
    SOURCE_PROP: ClassVar[str]
    """The construct prop that carries the source ARN(s), e.g. ``forecast_arn``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source: str | Sequence[str],
        destination: ExportDestination,
        export_name: str | None = None,
        prefix: str | None = None,
        format: ExportFormat | str | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        kind = self.KIND
        super().__init__(scope, id)

        what = f"{type(self).__name__} {self.node.path}"
        # Wrong types make the properties impossible to build: report those first, on their own.
        type_problems: list[str] = []
        if not isinstance(destination, ExportDestination):
            type_problems.append(f"destination must be an ExportDestination; got {type(destination).__name__}")
        if tags is not None and not isinstance(tags, Mapping):
            type_problems.append(f"tags must be a mapping of key to value; got {type(tags).__name__}")
        if kind.source_is_list and isinstance(source, str):
            type_problems.append(f"{self.SOURCE_PROP} must be a list of ARNs; got the string {source!r}")
        if not kind.source_is_list and not isinstance(source, str):
            type_problems.append(f"{self.SOURCE_PROP} must be one ARN string; got {type(source).__name__}")
        raise_if_any(what, type_problems)

        problems = prefix_problems("prefix", prefix) if prefix is not None else []
        problems += removal_policy_problems("removal_policy", removal_policy)
        prefix_ok = prefix is None or not prefix_problems("prefix", prefix)
        source_is_list_token = kind.source_is_list and not isinstance(source, str) and Token.is_unresolved(list(source))

        self.export_prefix: str = (
            prefix if prefix is not None else f"{kind.arn_resource_type}/{_safe_segment(id)}-{self.node.addr[:8]}/"
        )
        """This export's key prefix, relative to the destination's ``prefix``."""
        self.destination = destination
        """Where this export writes."""
        format_value = format.value if isinstance(format, ExportFormat) else format
        properties: dict[str, Any] = {}
        if export_name is not None:
            properties[kind.name_property] = export_name
        properties[kind.source_property] = (
            (source if source_is_list_token else list(source)) if kind.source_is_list else source
        )
        s3_config: dict[str, str] = {
            # With a bad prefix (reported above) the destination's own path stands in.
            "Path": destination.s3_path(self.export_prefix if prefix_ok else ""),
            "RoleArn": destination.role.role_arn,
        }
        if destination.encryption_key is not None:
            s3_config["KMSKeyArn"] = destination.encryption_key.key_arn
        properties["Destination"] = {"S3Config": s3_config}
        if format_value is not None:
            properties["Format"] = format_value
        tag_items = list((tags or {}).items())
        if tag_items:
            properties["Tags"] = [{"Key": key, "Value": value} for key, value in tag_items]
        problems += [
            self._describe(problem, tag_items) for problem in find_problems(properties, skip=Token.is_unresolved)
        ]
        raise_if_any(what, problems)

        provider = ForecastExportProvider.of(self)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=kind.resource_type,
            properties=properties,
            removal_policy=removal_policy,
            service_timeout=Duration.seconds(SERVICE_TIMEOUT_SECONDS),
        )
        """The custom resource (``Custom::...``) behind this export."""
        self._properties: Mapping[str, Any] = properties
        # Policies that grant what the first request needs but that the resource does not
        # reference: the function's self-invoke policy, the Forecast role's policy and the bucket
        # policy. (The function, role, key and bucket are referenced, hence waited for anyway.)
        cfn_resource = self.resource.node.default_child
        assert isinstance(cfn_resource, CfnElement)
        own_policies = provider.grant_export(
            kind,
            source,
            destination,
            resource=cfn_resource,
            export_name=export_name,
            source_is_list_token=source_is_list_token,
        )
        self.resource.node.add_dependency(provider.invoke_policy, *own_policies, *destination.policies())

    def _describe(self, problem: Problem, tag_items: Sequence[tuple[str, str]]) -> str:
        """One line of the synth-time error: the prop, the CloudFormation property, the rule, the value."""
        path = problem.property
        indexed = re.fullmatch(r"([A-Za-z]+)\[(\d+)\](.*)", path)
        if indexed and indexed.group(1) == "Tags":
            position = int(indexed.group(2))
            key = tag_items[position][0] if position < len(tag_items) else position
            prop = f"tags[{key!r}]" + (" (value)" if indexed.group(3) == ".Value" else "")
        elif indexed and indexed.group(1) == self.KIND.source_property:
            prop = f"{self.SOURCE_PROP}[{indexed.group(2)}]"
        else:
            prop = _prop_of_path(_props_by_property(self.KIND, self.SOURCE_PROP), path)
        return f"{prop} ({path}) {problem.rule}; got {problem.value}"

    @property
    def kind(self) -> ExportKind:
        """Which of the four export kinds this is."""
        return self.KIND

    @property
    def export_arn(self) -> str:
        """The export's ARN (``Ref``)."""
        return self.resource.ref

    @property
    def export_name(self) -> str:
        """The export's name, given or generated (``Fn::GetAtt Name``)."""
        return self.resource.get_att_string("Name")

    @property
    def status(self) -> str:
        """The export's status once created, ``ACTIVE`` (``Fn::GetAtt Status``)."""
        return self.resource.get_att_string("Status")

    @property
    def destination_path(self) -> str:
        """The S3 path the export was written to (``Fn::GetAtt DestinationPath``)."""
        return self.resource.get_att_string("DestinationPath")

    @property
    def source_arn(self) -> str:
        """The source ARN; for what-if exports the ARNs joined by commas (``Fn::GetAtt SourceArn``)."""
        return self.resource.get_att_string("SourceArn")

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read this export's files: ``s3:GetObject`` under its prefix,
        ``s3:ListBucket`` limited to that prefix and ``kms:Decrypt`` on the destination key."""
        return self.destination.grant_read(grantee, self.export_prefix)

    @property
    def given_export_name(self) -> str | None:
        """The ``export_name`` prop, or None when the provider generates the name."""
        name = self._properties.get(self.KIND.name_property)
        return name if isinstance(name, str) else None

    @property
    def format(self) -> str:
        """The ``Format`` the export writes: ``CSV`` (the default), ``PARQUET``, or a token known at deploy time."""
        value = self._properties.get("Format", ExportFormat.CSV.value)
        return str(value)

    @property
    def source_property_value(self) -> str | list[str]:
        """The source ARN (what-if forecast exports: the list) as passed to the custom resource."""
        value: str | list[str] = self._properties[self.KIND.source_property]
        return value

    def on_state_change(
        self,
        id: str,
        *,
        target: events.IRuleTarget | None = None,
        description: str | None = None,
        rule_name: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule on Forecast's state-change events of this export, created before it.

        The rule matches source ``aws.forecast``, the kind's documented ``detail-type`` values
        (``STATE_CHANGE_DETAIL_TYPES``) and this export's ARN in ``resources``: exactly for a
        named export, by prefix (up to the generated name's stable part) otherwise.

        :param target: where matching events go. Default: none (add with ``rule.add_target``).
        :param description: the rule's description. Default: one naming the export.
        :param rule_name: the rule's name. Default: generated by CloudFormation.
        """
        from .notifications import state_change_rule

        return state_change_rule(self, id, target=target, description=description, rule_name=rule_name)

    def add_table(
        self,
        id: str,
        *,
        database: IExportDatabase,
        table_name: str | None = None,
        dataset: BacktestDataset | str | None = None,
        workgroup: ExportWorkGroup | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> ExportTable:
        """Catalog this export as a Glue table in ``database`` (see :class:`ExportTable`).

        :param dataset: for a predictor backtest export, which dataset; required there.
            Default: none.
        """
        from .query import ExportTable

        return ExportTable(
            self,
            id,
            export=self,
            database=database,
            table_name=table_name,
            dataset=dataset,
            workgroup=workgroup,
            removal_policy=removal_policy,
        )

    def add_tables(
        self,
        id: str,
        *,
        database: IExportDatabase,
        table_name: str | None = None,
        workgroup: ExportWorkGroup | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> list[ExportTable]:
        """One table per dataset of this export: one, or two for a predictor backtest export
        (``forecasted-values`` then ``accuracy-metrics-values``, construct ids ``<id>ForecastedValues``
        and ``<id>AccuracyMetricsValues``).

        :param table_name: the table's name; for a backtest export, the stem of both names
            (``<stem>_forecasted_values``, ``<stem>_accuracy_metrics_values``). Default: generated.
        """
        from .query import BacktestDataset

        if self.KIND is not kinds.PREDICTOR_BACKTEST_EXPORT:
            return [
                self.add_table(
                    id, database=database, table_name=table_name, workgroup=workgroup, removal_policy=removal_policy
                )
            ]
        tables = []
        for dataset in BacktestDataset:
            suffix = dataset.value.replace("-", "_")
            tables.append(
                self.add_table(
                    id + "".join(word.capitalize() for word in dataset.value.split("-")),
                    database=database,
                    table_name=f"{table_name}_{suffix}" if table_name is not None else None,
                    dataset=dataset,
                    workgroup=workgroup,
                    removal_policy=removal_policy,
                )
            )
        return tables

    @classmethod
    def from_export_arn(
        cls,
        scope: Construct,
        id: str,
        export_arn: str,
        *,
        export_name: str | None = None,
        destination: ExportDestination | None = None,
        export_prefix: str | None = None,
    ) -> ImportedForecastExport:
        """Refer to an existing export of this kind by its ARN.

        The result shares :class:`IForecastExport` with the exports defined in this app.

        :param export_name: the export's name. Default: the last segment of a literal ARN; for an
            ARN only known at deploy time, the segment the kind's ARN format puts the name in
            (what-if forecast exports: required then).
        :param destination: the destination the export wrote to; with it, ``grant_read`` works.
            Default: unknown.
        :param export_prefix: the export's key prefix relative to ``destination.prefix``, ``''`` or
            ending in ``/``. Default: ``''`` with a destination.
        """
        kind = cls.KIND
        if export_name is None:
            if not Token.is_unresolved(export_arn):
                if not kind.is_export_arn(export_arn):
                    raise ValueError(
                        f"{cls.__name__}.from_export_arn: {export_arn!r} is not the ARN of a {kind.title} "
                        f"(arn:<partition>:forecast:<region>:<account>:{kind.arn_resource_type}/...)"
                    )
                export_name = export_arn.rsplit("/", 1)[-1]
            elif kind.key in _NAME_SEGMENT:
                export_name = Fn.select(_NAME_SEGMENT[kind.key], Fn.split("/", export_arn))
            else:
                raise ValueError(
                    f"{cls.__name__}.from_export_arn: pass export_name with an ARN that is only known at deploy time"
                )
        return ImportedForecastExport(
            scope,
            id,
            kind=kind,
            export_arn=export_arn,
            export_name=export_name,
            destination=destination,
            export_prefix=export_prefix,
        )


# Where the name sits in the ARN's resource part split at "/" (``<type>/<source name>/<export
# name>``) for the kinds whose exports are nested under their source's name.
_NAME_SEGMENT = {
    kinds.FORECAST_EXPORT.key: 2,
    kinds.PREDICTOR_BACKTEST_EXPORT.key: 2,
    kinds.EXPLAINABILITY_EXPORT.key: 2,
}

if TYPE_CHECKING:

    def _both_are_exports(owned: ForecastExportBase, imported: ImportedForecastExport) -> list[IForecastExport]:
        """Never called: mypy checks here that both kinds of export implement the shared interface."""
        return [owned, imported]


class ForecastExportJob(ForecastExportBase):
    """Exports a forecast to S3 (``Custom::ForecastExportJob``).

    :param forecast_arn: ARN of the forecast to export.
    :param destination: the :class:`ExportDestination` to write to.
    :param export_name: the export's name (``^[a-zA-Z][a-zA-Z0-9_]*$``, 1..63). Changing it replaces
        the export. Default: the provider generates a unique, valid name.
    :param prefix: key prefix of this export, relative to the destination's prefix; ``''`` or
        ending in ``/``. Default: ``<export type>/<construct id>-<hash>/``, unique per construct.
    :param format: :class:`ExportFormat` of the exported files. Default: Forecast's default, CSV.
    :param tags: tags of the export in Forecast, key to value (at most 50; keys must not start with
        ``aws:``). Changing them updates the export in place. Default: none.
    :param removal_policy: what happens to the export in Forecast when it leaves the stack:
        ``DESTROY`` deletes the export job (never the exported S3 objects, which stay in the
        destination), ``RETAIN`` keeps it. Default: ``DESTROY``.
    """

    KIND = kinds.FORECAST_EXPORT
    SOURCE_PROP = "forecast_arn"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        forecast_arn: str,
        destination: ExportDestination,
        export_name: str | None = None,
        prefix: str | None = None,
        format: ExportFormat | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            id,
            source=forecast_arn,
            destination=destination,
            export_name=export_name,
            prefix=prefix,
            format=format,
            tags=tags,
            removal_policy=removal_policy,
        )


class PredictorBacktestExportJob(ForecastExportBase):
    """Exports a predictor's backtest forecasts and accuracy metrics to S3
    (``Custom::PredictorBacktestExportJob``).

    :param predictor_arn: ARN of the predictor whose backtest results to export.
    :param destination: the :class:`ExportDestination` to write to.
    :param export_name: the export's name (``^[a-zA-Z][a-zA-Z0-9_]*$``, 1..63). Changing it replaces
        the export. Default: the provider generates a unique, valid name.
    :param prefix: key prefix of this export, relative to the destination's prefix; ``''`` or
        ending in ``/``. Default: ``<export type>/<construct id>-<hash>/``, unique per construct.
    :param format: :class:`ExportFormat` of the exported files. Default: Forecast's default, CSV.
    :param tags: tags of the export in Forecast, key to value (at most 50; keys must not start with
        ``aws:``). Changing them updates the export in place. Default: none.
    :param removal_policy: what happens to the export in Forecast when it leaves the stack:
        ``DESTROY`` deletes the export job (never the exported S3 objects, which stay in the
        destination), ``RETAIN`` keeps it. Default: ``DESTROY``.
    """

    KIND = kinds.PREDICTOR_BACKTEST_EXPORT
    SOURCE_PROP = "predictor_arn"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        predictor_arn: str,
        destination: ExportDestination,
        export_name: str | None = None,
        prefix: str | None = None,
        format: ExportFormat | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            id,
            source=predictor_arn,
            destination=destination,
            export_name=export_name,
            prefix=prefix,
            format=format,
            tags=tags,
            removal_policy=removal_policy,
        )


class ExplainabilityExport(ForecastExportBase):
    """Exports an explainability resource to S3 (``Custom::ExplainabilityExport``).

    :param explainability_arn: ARN of the explainability resource to export.
    :param destination: the :class:`ExportDestination` to write to.
    :param export_name: the export's name (``^[a-zA-Z][a-zA-Z0-9_]*$``, 1..63). Changing it replaces
        the export. Default: the provider generates a unique, valid name.
    :param prefix: key prefix of this export, relative to the destination's prefix; ``''`` or
        ending in ``/``. Default: ``<export type>/<construct id>-<hash>/``, unique per construct.
    :param format: :class:`ExportFormat` of the exported files. Default: Forecast's default, CSV.
    :param tags: tags of the export in Forecast, key to value (at most 50; keys must not start with
        ``aws:``). Changing them updates the export in place. Default: none.
    :param removal_policy: what happens to the export in Forecast when it leaves the stack:
        ``DESTROY`` deletes the export job (never the exported S3 objects, which stay in the
        destination), ``RETAIN`` keeps it. Default: ``DESTROY``.
    """

    KIND = kinds.EXPLAINABILITY_EXPORT
    SOURCE_PROP = "explainability_arn"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        explainability_arn: str,
        destination: ExportDestination,
        export_name: str | None = None,
        prefix: str | None = None,
        format: ExportFormat | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            id,
            source=explainability_arn,
            destination=destination,
            export_name=export_name,
            prefix=prefix,
            format=format,
            tags=tags,
            removal_policy=removal_policy,
        )


class WhatIfForecastExport(ForecastExportBase):
    """Exports one or more what-if forecasts to S3 (``Custom::WhatIfForecastExport``).

    :param what_if_forecast_arns: ARNs of the what-if forecasts to export (1 to 50), or a list
        token such as a ``CommaDelimitedList`` parameter's ``value_as_list``.
    :param destination: the :class:`ExportDestination` to write to.
    :param export_name: the export's name (``^[a-zA-Z][a-zA-Z0-9_]*$``, 1..63). Changing it replaces
        the export. Default: the provider generates a unique, valid name.
    :param prefix: key prefix of this export, relative to the destination's prefix; ``''`` or
        ending in ``/``. Default: ``<export type>/<construct id>-<hash>/``, unique per construct.
    :param format: :class:`ExportFormat` of the exported files. Default: Forecast's default, CSV.
    :param tags: tags of the export in Forecast, key to value (at most 50; keys must not start with
        ``aws:``). Changing them updates the export in place. Default: none.
    :param removal_policy: what happens to the export in Forecast when it leaves the stack:
        ``DESTROY`` deletes the export job (never the exported S3 objects, which stay in the
        destination), ``RETAIN`` keeps it. Default: ``DESTROY``.
    """

    KIND = kinds.WHAT_IF_FORECAST_EXPORT
    SOURCE_PROP = "what_if_forecast_arns"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        what_if_forecast_arns: Sequence[str],
        destination: ExportDestination,
        export_name: str | None = None,
        prefix: str | None = None,
        format: ExportFormat | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(
            scope,
            id,
            source=what_if_forecast_arns,
            destination=destination,
            export_name=export_name,
            prefix=prefix,
            format=format,
            tags=tags,
            removal_policy=removal_policy,
        )
