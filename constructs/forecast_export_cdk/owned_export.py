"""The base of the four export constructs defined in this app: one implementation, driven by ``kinds.py``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from aws_cdk import CfnElement, CustomResource, Duration, Fn, RemovalPolicy, Token
from constructs import Construct

from forecast_export_provider import kinds
from forecast_export_provider.constants import SERVICE_TIMEOUT_SECONDS
from forecast_export_provider.kinds import ExportKind
from forecast_export_provider.validation import Problem, find_problems

from ._checks import prefix_problems, raise_if_any, removal_policy_problems
from .destination import ExportDestination
from .export_base import ForecastExport
from .export_interface import ExportFormat
from .imported_export import ImportedForecastExport
from .notifications import export_arn_pattern
from .provider import ForecastExportProvider


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


class OwnedForecastExport(ForecastExport):
    """The base of the four export constructs defined in this app (:class:`ForecastExportJob`,
    :class:`PredictorBacktestExportJob`, :class:`ExplainabilityExport`, :class:`WhatIfForecastExport`),
    each backed by a custom resource; use one of them.

    Everything that differs between the kinds is read from the subclass's :attr:`KIND`.
    """

    destination: ExportDestination
    """Where this export writes."""
    export_prefix: str
    """This export's key prefix, relative to the destination's ``prefix``."""

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
        super().__init__(scope, id, kind=kind)

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

        self.export_prefix = (
            prefix if prefix is not None else f"{kind.arn_resource_type}/{_safe_segment(id)}-{self.node.addr[:8]}/"
        )
        self.destination = destination
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

    @property
    def imported(self) -> bool:
        """False: this app defines the export."""
        return False

    def _state_change_arn_pattern(self) -> list[Any]:
        return export_arn_pattern(self.resource, self.KIND, self.source_property_value, self.given_export_name)

    def _state_change_waiter(self) -> CustomResource | None:
        return self.resource

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
        format: ExportFormat | str | None = None,
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
        :param format: the format of its files; with ``CSV``, a table over it needs no Parquet reader.
            Default: unknown.
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
            format=format,
        )


# Where the name sits in the ARN's resource part split at "/" (``<type>/<source name>/<export
# name>``) for the kinds whose exports are nested under their source's name.
_NAME_SEGMENT = {
    kinds.FORECAST_EXPORT.key: 2,
    kinds.PREDICTOR_BACKTEST_EXPORT.key: 2,
    kinds.EXPLAINABILITY_EXPORT.key: 2,
}
