"""AWS CDK constructs for Amazon Forecast export jobs.

* :class:`ExportDestination` - the S3 bucket, KMS key and IAM role Forecast writes exports with.
* :class:`ForecastExportJob`, :class:`PredictorBacktestExportJob`, :class:`ExplainabilityExport`,
  :class:`WhatIfForecastExport` - one export each, backed by a custom resource.
* :class:`ForecastExportProvider` - the stack's single Lambda function behind those resources.
"""

from .destination import ExportDestination
from .exports import (
    ExplainabilityExport,
    ExportFormat,
    ForecastExportBase,
    ForecastExportJob,
    IForecastExport,
    ImportedForecastExport,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)
from .provider import (
    POLL_INTERVAL_SECONDS,
    SERVICE_TIMEOUT_SECONDS,
    TOTAL_WAIT_SECONDS,
    ForecastExportProvider,
)

__all__ = [
    "POLL_INTERVAL_SECONDS",
    "SERVICE_TIMEOUT_SECONDS",
    "TOTAL_WAIT_SECONDS",
    "ExplainabilityExport",
    "ExportDestination",
    "ExportFormat",
    "ForecastExportBase",
    "ForecastExportJob",
    "ForecastExportProvider",
    "IForecastExport",
    "ImportedForecastExport",
    "PredictorBacktestExportJob",
    "WhatIfForecastExport",
]
