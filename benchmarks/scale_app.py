#!/usr/bin/env python3
"""A stack with 100 exports, 25 of each kind, sharing one destination (for the scale run)."""

from __future__ import annotations

import aws_cdk as cdk

from forecast_export_cdk import (
    ExplainabilityExport,
    ExportDestination,
    ForecastExportJob,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)

STACK = "ForecastExportsAtScale"
PER_KIND = 25
SOURCE = "arn:aws:forecast:us-east-1:123456789012"


def build(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, STACK)
    destination = ExportDestination(stack, "Destination")
    for i in range(PER_KIND):
        ForecastExportJob(stack, f"Forecast{i}", forecast_arn=f"{SOURCE}:forecast/demand_{i}", destination=destination)
        PredictorBacktestExportJob(
            stack, f"Backtest{i}", predictor_arn=f"{SOURCE}:predictor/demand_{i}", destination=destination
        )
        ExplainabilityExport(
            stack, f"Explainability{i}", explainability_arn=f"{SOURCE}:explainability/why_{i}", destination=destination
        )
        WhatIfForecastExport(
            stack,
            f"WhatIf{i}",
            what_if_forecast_arns=[
                f"{SOURCE}:what-if-forecast/pricing/up_{i}",
                f"{SOURCE}:what-if-forecast/pricing/down_{i}",
            ],
            destination=destination,
        )
    return stack


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
