"""The four Forecast export kinds, described as data.

Everything that differs between the kinds is a name: the API operations, the property keys,
the ARN resource types and the List filter key. One code path serves all four.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExportKind:
    """Names that describe one kind of Forecast export."""

    key: str
    """Short identifier, e.g. ``forecast_export``."""
    title: str
    """Human-readable name used in messages."""
    resource_type: str
    """The CloudFormation resource type the CDK constructs emit."""
    noun: str
    """The API's noun: ``ForecastExportJob`` makes Create/Describe/DeleteForecastExportJob."""
    list_noun: str
    """The List operation's noun, e.g. ``ForecastExportJobs``."""
    name_property: str
    arn_property: str
    """The export ARN's key in Create, Describe and List answers."""
    source_property: str
    source_is_list: bool
    list_key: str
    """The key of the summaries in the List answer."""
    source_filter_key: str | None
    """The List filter key that selects by source, or None where the List API has none."""
    arn_resource_type: str
    """The resource type in the export's ARN, e.g. ``forecast-export-job``."""
    source_arn_resource_type: str
    """The resource type in the source's ARN, e.g. ``forecast``."""
    stoppable: bool
    """Whether StopResource accepts exports of this kind."""
    folders: tuple[str, ...] = ()
    """The folders under Path in which Forecast writes the export's files (a backtest's datasets)."""

    @property
    def create_operation(self) -> str:
        return f"Create{self.noun}"

    @property
    def describe_operation(self) -> str:
        return f"Describe{self.noun}"

    @property
    def delete_operation(self) -> str:
        return f"Delete{self.noun}"

    @property
    def list_operation(self) -> str:
        return f"List{self.list_noun}"

    def is_export_arn(self, value: object) -> bool:
        """True when ``value`` looks like an ARN of an export of this kind."""
        if not isinstance(value, str):
            return False
        parts = value.split(":", 5)
        return (
            len(parts) == 6
            and parts[0] == "arn"
            and parts[2] == "forecast"
            and parts[5].startswith(self.arn_resource_type + "/")
        )


FORECAST_EXPORT = ExportKind(
    key="forecast_export",
    title="forecast export job",
    resource_type="Custom::ForecastExportJob",
    noun="ForecastExportJob",
    list_noun="ForecastExportJobs",
    name_property="ForecastExportJobName",
    arn_property="ForecastExportJobArn",
    source_property="ForecastArn",
    source_is_list=False,
    list_key="ForecastExportJobs",
    source_filter_key="ForecastArn",
    arn_resource_type="forecast-export-job",
    source_arn_resource_type="forecast",
    stoppable=True,
)

PREDICTOR_BACKTEST_EXPORT = ExportKind(
    key="predictor_backtest_export",
    title="predictor backtest export job",
    resource_type="Custom::PredictorBacktestExportJob",
    noun="PredictorBacktestExportJob",
    list_noun="PredictorBacktestExportJobs",
    name_property="PredictorBacktestExportJobName",
    arn_property="PredictorBacktestExportJobArn",
    source_property="PredictorArn",
    source_is_list=False,
    list_key="PredictorBacktestExportJobs",
    source_filter_key="PredictorArn",
    arn_resource_type="predictor-backtest-export-job",
    source_arn_resource_type="predictor",
    stoppable=True,
    folders=("forecasted-values", "accuracy-metrics-values"),
)

EXPLAINABILITY_EXPORT = ExportKind(
    key="explainability_export",
    title="explainability export",
    resource_type="Custom::ExplainabilityExport",
    noun="ExplainabilityExport",
    list_noun="ExplainabilityExports",
    name_property="ExplainabilityExportName",
    arn_property="ExplainabilityExportArn",
    source_property="ExplainabilityArn",
    source_is_list=False,
    list_key="ExplainabilityExports",
    source_filter_key="ResourceArn",
    arn_resource_type="explainability-export",
    source_arn_resource_type="explainability",
    stoppable=True,
)

WHAT_IF_FORECAST_EXPORT = ExportKind(
    key="what_if_forecast_export",
    title="what-if forecast export",
    resource_type="Custom::WhatIfForecastExport",
    noun="WhatIfForecastExport",
    list_noun="WhatIfForecastExports",
    name_property="WhatIfForecastExportName",
    arn_property="WhatIfForecastExportArn",
    source_property="WhatIfForecastArns",
    source_is_list=True,
    list_key="WhatIfForecastExports",
    source_filter_key=None,
    arn_resource_type="what-if-forecast-export",
    source_arn_resource_type="what-if-forecast",
    stoppable=False,
)

KINDS: tuple[ExportKind, ...] = (
    FORECAST_EXPORT,
    PREDICTOR_BACKTEST_EXPORT,
    EXPLAINABILITY_EXPORT,
    WHAT_IF_FORECAST_EXPORT,
)

KINDS_BY_KEY: dict[str, ExportKind] = {kind.key: kind for kind in KINDS}

SOURCE_PROPERTIES: tuple[str, ...] = tuple(kind.source_property for kind in KINDS)


def kinds_in(properties: Mapping[str, Any]) -> list[ExportKind]:
    """The kinds whose source property is present in ``properties``."""
    return [kind for kind in KINDS if kind.source_property in properties]


def kind_of_arn(arn: object) -> ExportKind | None:
    """The kind whose export ARN shape ``arn`` has, if any."""
    return next((kind for kind in KINDS if kind.is_export_arn(arn)), None)
