"""AWS CDK constructs for Amazon Forecast export jobs.

* :class:`ExportDestination` - the S3 bucket, KMS key and IAM role Forecast writes exports with.
* :class:`ForecastExportJob`, :class:`PredictorBacktestExportJob`, :class:`ExplainabilityExport`,
  :class:`WhatIfForecastExport` - one export each, backed by a custom resource.
* :class:`ForecastExportProvider` - the stack's single Lambda function behind those resources.
* :class:`ExportDatabase`, :class:`ExportTable`, :class:`ExportWorkGroup` - Glue tables over the
  exports and an Athena workgroup to query them (see docs/querying.md).
"""

from forecast_export_provider.constants import POLL_INTERVAL_SECONDS, SERVICE_TIMEOUT_SECONDS, TOTAL_WAIT_SECONDS

from .database import ExportDatabase, IExportDatabase, ImportedExportDatabase
from .destination import ExportDestination
from .export_base import ForecastExport
from .export_interface import ExportFormat, IForecastExport
from .exports import (
    ExplainabilityExport,
    ExportProps,
    ForecastExportJob,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)
from .imported_export import ImportedForecastExport
from .notifications import STATE_CHANGE_DETAIL_TYPES
from .owned_export import OwnedForecastExport
from .provider import ForecastExportProvider
from .table import BacktestDataset, ExportTable
from .workgroup import ExportWorkGroup

ForecastExportBase = OwnedForecastExport
"""The former name of :class:`OwnedForecastExport`, kept importable."""

__version__ = "0.2.0"
"""The distribution's version; pyproject.toml reads it from here."""

__all__ = [
    "POLL_INTERVAL_SECONDS",
    "SERVICE_TIMEOUT_SECONDS",
    "STATE_CHANGE_DETAIL_TYPES",
    "TOTAL_WAIT_SECONDS",
    "BacktestDataset",
    "ExplainabilityExport",
    "ExportDatabase",
    "ExportDestination",
    "ExportFormat",
    "ExportProps",
    "ExportTable",
    "ExportWorkGroup",
    "ForecastExport",
    "ForecastExportBase",
    "ForecastExportJob",
    "ForecastExportProvider",
    "IExportDatabase",
    "IForecastExport",
    "ImportedExportDatabase",
    "ImportedForecastExport",
    "OwnedForecastExport",
    "PredictorBacktestExportJob",
    "WhatIfForecastExport",
]
