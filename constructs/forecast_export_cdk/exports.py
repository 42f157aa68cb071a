"""The four export constructs, one per Forecast export kind, and the props they share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import RemovalPolicy
from constructs import Construct
from typing_extensions import TypedDict, Unpack

from forecast_export_provider import kinds

from .destination import ExportDestination
from .export_interface import ExportFormat
from .owned_export import OwnedForecastExport


class _ExportPropsRequired(TypedDict):
    # Required[...] is not seen under ``from __future__ import annotations``: the required key has a base of its own.
    destination: ExportDestination


class ExportProps(_ExportPropsRequired, total=False):
    """The props every export construct takes besides its source ARN(s), keyword-only.

    :param destination: the :class:`ExportDestination` to write to. Required.
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

    export_name: str | None
    prefix: str | None
    format: ExportFormat | None
    tags: Mapping[str, str] | None
    removal_policy: RemovalPolicy


class ForecastExportJob(OwnedForecastExport):
    """Exports a forecast to S3 (``Custom::ForecastExportJob``).

    :param forecast_arn: ARN of the forecast to export.
    :param props: the props every export takes (:class:`ExportProps`): ``destination`` (required),
        ``export_name``, ``prefix``, ``format``, ``tags``, ``removal_policy``.
    """

    KIND = kinds.FORECAST_EXPORT
    SOURCE_PROP = "forecast_arn"

    def __init__(self, scope: Construct, id: str, *, forecast_arn: str, **props: Unpack[ExportProps]) -> None:
        super().__init__(scope, id, source=forecast_arn, **props)


class PredictorBacktestExportJob(OwnedForecastExport):
    """Exports a predictor's backtest forecasts and accuracy metrics to S3
    (``Custom::PredictorBacktestExportJob``).

    :param predictor_arn: ARN of the predictor whose backtest results to export.
    :param props: the props every export takes (:class:`ExportProps`): ``destination`` (required),
        ``export_name``, ``prefix``, ``format``, ``tags``, ``removal_policy``.
    """

    KIND = kinds.PREDICTOR_BACKTEST_EXPORT
    SOURCE_PROP = "predictor_arn"

    def __init__(self, scope: Construct, id: str, *, predictor_arn: str, **props: Unpack[ExportProps]) -> None:
        super().__init__(scope, id, source=predictor_arn, **props)


class ExplainabilityExport(OwnedForecastExport):
    """Exports an explainability resource to S3 (``Custom::ExplainabilityExport``).

    :param explainability_arn: ARN of the explainability resource to export.
    :param props: the props every export takes (:class:`ExportProps`): ``destination`` (required),
        ``export_name``, ``prefix``, ``format``, ``tags``, ``removal_policy``.
    """

    KIND = kinds.EXPLAINABILITY_EXPORT
    SOURCE_PROP = "explainability_arn"

    def __init__(self, scope: Construct, id: str, *, explainability_arn: str, **props: Unpack[ExportProps]) -> None:
        super().__init__(scope, id, source=explainability_arn, **props)


class WhatIfForecastExport(OwnedForecastExport):
    """Exports one or more what-if forecasts to S3 (``Custom::WhatIfForecastExport``).

    :param what_if_forecast_arns: ARNs of the what-if forecasts to export (1 to 50), or a list
        token such as a ``CommaDelimitedList`` parameter's ``value_as_list``.
    :param props: the props every export takes (:class:`ExportProps`): ``destination`` (required),
        ``export_name``, ``prefix``, ``format``, ``tags``, ``removal_policy``.
    """

    KIND = kinds.WHAT_IF_FORECAST_EXPORT
    SOURCE_PROP = "what_if_forecast_arns"

    def __init__(
        self, scope: Construct, id: str, *, what_if_forecast_arns: Sequence[str], **props: Unpack[ExportProps]
    ) -> None:
        super().__init__(scope, id, source=what_if_forecast_arns, **props)
