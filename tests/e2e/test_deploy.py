"""Opt-in: deploy the example stack to a real AWS account, check the exports, then destroy it.

Amazon Forecast accepts no new customers, so this needs an account that already uses Forecast and
has a forecast, a predictor, an explainability and what-if forecasts to export. See README.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest

from .cloud_assembly import REPO

pytestmark = pytest.mark.deploy

PARAMETERS = {
    "ForecastArn": "FORECAST_E2E_FORECAST_ARN",
    "PredictorArn": "FORECAST_E2E_PREDICTOR_ARN",
    "ExplainabilityArn": "FORECAST_E2E_EXPLAINABILITY_ARN",
    "WhatIfForecastArns": "FORECAST_E2E_WHAT_IF_FORECAST_ARNS",
}
STACK = "ForecastExportsExample"
EXPORTS = ("Forecast", "PredictorBacktest", "Explainability", "WhatIfForecast")
CDK = REPO / "tools" / "cdk-cli" / "node_modules" / ".bin" / "cdk"


def deploy_settings() -> dict[str, str]:
    """The parameters to deploy with, or a skip that says what is missing."""
    if os.environ.get("FORECAST_E2E_DEPLOY") != "1":
        pytest.skip("real deployment is opt-in: set FORECAST_E2E_DEPLOY=1 and the FORECAST_E2E_* ARNs (README)")
    missing = [variable for variable in PARAMETERS.values() if not os.environ.get(variable)]
    if missing:
        pytest.skip("set " + ", ".join(missing) + " to ARNs of existing Forecast resources")
    if boto3.Session().get_credentials() is None:
        pytest.skip("no AWS credentials in the environment")
    if not CDK.exists():
        pytest.skip("the pinned CDK CLI is not installed: run `make synth` once")
    return {parameter: os.environ[variable] for parameter, variable in PARAMETERS.items()}


def cdk(*arguments: str) -> None:
    subprocess.run([str(CDK), *arguments, "--no-notices"], cwd=REPO, check=True)


def test_deploy_the_example_stack_and_find_the_exported_files(tmp_path: Path) -> None:
    parameters = deploy_settings()
    outputs_file = tmp_path / "outputs.json"
    try:
        cdk(
            "deploy",
            STACK,
            "--require-approval",
            "never",
            "--outputs-file",
            str(outputs_file),
            *[argument for name, value in parameters.items() for argument in ("--parameters", f"{name}={value}")],
        )
        outputs = json.loads(outputs_file.read_text())[STACK]
        forecast = boto3.client("forecast")
        s3 = boto3.client("s3")
        for export in EXPORTS:
            arn, path = outputs[f"{export}ExportArn"], outputs[f"{export}ExportPath"]
            noun = {
                "Forecast": "forecast_export_job",
                "PredictorBacktest": "predictor_backtest_export_job",
                "Explainability": "explainability_export",
                "WhatIfForecast": "what_if_forecast_export",
            }[export]
            arn_key = "".join(part.capitalize() for part in noun.split("_")) + "Arn"
            description = getattr(forecast, f"describe_{noun}")(**{arn_key: arn})
            assert description["Status"] == "ACTIVE", (export, description.get("Message"))
            bucket, _, prefix = path.removeprefix("s3://").partition("/")
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
            assert listed.get("KeyCount", 0) > 0, f"no objects under {path}"
    finally:
        cdk("destroy", STACK, "--force")
