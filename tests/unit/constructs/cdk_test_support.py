"""Builders and helpers for the construct tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import assertions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from forecast_export_cdk import (
    ExplainabilityExport,
    ExportDestination,
    ExportFormat,
    ForecastExportJob,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "111122223333"
REGION = "eu-west-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
FORECAST_ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/demand"
PREDICTOR_ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/demand"
EXPLAINABILITY_ARN = f"arn:aws:forecast:{REGION}:{ACCOUNT}:explainability/demand"
WHAT_IF_ARNS = [f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast/promo{i}" for i in (1, 2)]


def recommended_context() -> dict[str, Any]:
    """The feature flags of the project's cdk.json, as ``cdk synth`` would pass them."""
    context: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
    return context


def new_app(outdir: Path | None = None) -> cdk.App:
    return cdk.App(context=recommended_context(), outdir=str(outdir) if outdir else None)


@dataclass
class Synthesized:
    stack: cdk.Stack
    template: assertions.Template
    raw: dict[str, Any]
    outdir: Path
    handles: dict[str, Any]


def synthesize(app: cdk.App, stack: cdk.Stack, outdir: Path, handles: dict[str, Any]) -> Synthesized:
    assembly = app.synth()
    raw = assembly.get_stack_artifact(stack.artifact_id).template
    return Synthesized(stack, assertions.Template.from_json(raw), raw, outdir, handles)


def build_example(outdir: Path) -> Synthesized:
    """The example app's stack, synthesized with cdk.json's flags and cdk-nag's AwsSolutions pack."""
    import app as example_app

    app = new_app(outdir)
    stack = example_app.ForecastExportsExample(app, "ForecastExportsExample")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return synthesize(app, stack, outdir, {})


def build_custom(outdir: Path) -> Synthesized:
    """Literal ARNs, explicit settings, existing resources and a reader, in one stack."""
    app = new_app(outdir)
    stack = cdk.Stack(app, "Custom", env=ENV)
    new = ExportDestination(
        stack,
        "New",
        prefix="exports/",
        bucket_name="forecast-exports-example",
        key_alias="alias/forecast-exports",
        role_name="forecast-export-writer",
    )
    existing_key = kms.Key.from_key_arn(
        stack, "ExistingKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    existing_bucket = s3.Bucket.from_bucket_attributes(
        stack, "ExistingBucket", bucket_name="existing-exports", encryption_key=existing_key
    )
    existing_role = iam.Role.from_role_arn(
        stack, "ExistingRole", f"arn:aws:iam::{ACCOUNT}:role/existing-forecast-writer"
    )
    reused = ExportDestination(stack, "Reused", bucket=existing_bucket, role=existing_role, prefix="")
    key_only = ExportDestination(stack, "KeyOnly", encryption_key=existing_key)
    forecast = ForecastExportJob(
        stack,
        "Forecast",
        forecast_arn=FORECAST_ARN,
        destination=new,
        export_name="demand_export",
        prefix="daily/",
        format=ExportFormat.PARQUET,
        tags={"team": "planning", "cost-center": "42"},
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    backtest = PredictorBacktestExportJob(stack, "Backtest", predictor_arn=PREDICTOR_ARN, destination=reused)
    explainability = ExplainabilityExport(
        stack, "Explainability", explainability_arn=EXPLAINABILITY_ARN, destination=key_only
    )
    what_if = WhatIfForecastExport(stack, "WhatIf", what_if_forecast_arns=WHAT_IF_ARNS, destination=new)
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    grant = forecast.grant_read(reader)
    handles = {
        "new": new,
        "reused": reused,
        "key_only": key_only,
        "forecast": forecast,
        "backtest": backtest,
        "explainability": explainability,
        "what_if": what_if,
        "reader": reader,
        "grant": grant,
    }
    return synthesize(app, stack, outdir, handles)


def build_many(outdir: Path) -> Synthesized:
    """Ten exports (of all kinds) over two destinations in one stack."""
    app = new_app(outdir)
    stack = cdk.Stack(app, "Many", env=ENV)
    destinations = [ExportDestination(stack, f"Destination{i}") for i in range(2)]
    for i in range(10):
        destination = destinations[i % 2]
        match i % 4:
            case 0:
                ForecastExportJob(stack, f"Export{i}", forecast_arn=FORECAST_ARN, destination=destination)
            case 1:
                PredictorBacktestExportJob(stack, f"Export{i}", predictor_arn=PREDICTOR_ARN, destination=destination)
            case 2:
                ExplainabilityExport(
                    stack, f"Export{i}", explainability_arn=EXPLAINABILITY_ARN, destination=destination
                )
            case _:
                WhatIfForecastExport(stack, f"Export{i}", what_if_forecast_arns=WHAT_IF_ARNS, destination=destination)
    return synthesize(app, stack, outdir, {"destinations": destinations})


def statements_of(raw: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    """The statements of an IAM policy resource (or a role's trust policy, or a key policy)."""
    properties = raw["Resources"][logical_id]["Properties"]
    document = properties.get("PolicyDocument") or properties.get("KeyPolicy") or properties["AssumeRolePolicyDocument"]
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def logical_id(synthesized: Synthesized, construct: Any) -> str:
    child = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    return synthesized.stack.resolve(child.logical_id)  # type: ignore[no-any-return]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
