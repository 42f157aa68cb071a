#!/usr/bin/env python3
"""Example app: one export destination and one export of each kind, each cataloged for Athena.

    cdk synth
    cdk deploy --parameters ForecastArn=arn:aws:forecast:<region>:<account>:forecast/<name> \\
               --parameters PredictorArn=... --parameters ExplainabilityArn=... \\
               --parameters WhatIfForecastArns=<arn>,<arn>

The parameters' defaults are syntactically valid placeholders, so that synthesis needs no input;
deploying with them fails in Forecast, which knows no such resources.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from forecast_export_cdk import (
    ExplainabilityExport,
    ExportDatabase,
    ExportDestination,
    ExportFormat,
    ExportWorkGroup,
    ForecastExportJob,
    PredictorBacktestExportJob,
    WhatIfForecastExport,
)

_ARN_PATTERN = r"^arn:aws[a-z-]*:forecast:[a-z0-9-]+:\d{12}:{}/.+$"


class ForecastExportsExample(cdk.Stack):
    """One destination and one export of each of the four kinds."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]

        def arn_parameter(name: str, resource_type: str, description: str) -> cdk.CfnParameter:
            return cdk.CfnParameter(
                self,
                name,
                type="String",
                description=description,
                default=f"arn:aws:forecast:us-east-1:111122223333:{resource_type}/example",
                allowed_pattern=_ARN_PATTERN.replace("{}", resource_type),
                constraint_description=f"must be the ARN of a Forecast {resource_type}",
            )

        forecast_arn = arn_parameter("ForecastArn", "forecast", "ARN of the forecast to export")
        predictor_arn = arn_parameter(
            "PredictorArn", "predictor", "ARN of the predictor whose backtest results to export"
        )
        explainability_arn = arn_parameter(
            "ExplainabilityArn", "explainability", "ARN of the explainability resource to export"
        )
        what_if_arns = cdk.CfnParameter(
            self,
            "WhatIfForecastArns",
            type="CommaDelimitedList",
            description="ARNs of the what-if forecasts to export, separated by commas",
            default="arn:aws:forecast:us-east-1:111122223333:what-if-forecast/example",
        )

        destination = ExportDestination(self, "Destination")

        exports = {
            "Forecast": ForecastExportJob(
                self,
                "ForecastExport",
                forecast_arn=forecast_arn.value_as_string,
                destination=destination,
                tags={"project": "forecast-exports-example"},
            ),
            "PredictorBacktest": PredictorBacktestExportJob(
                self,
                "PredictorBacktestExport",
                predictor_arn=predictor_arn.value_as_string,
                destination=destination,
                format=ExportFormat.PARQUET,
            ),
            "Explainability": ExplainabilityExport(
                self,
                "ExplainabilityExport",
                explainability_arn=explainability_arn.value_as_string,
                destination=destination,
            ),
            "WhatIfForecast": WhatIfForecastExport(
                self,
                "WhatIfForecastExport",
                what_if_forecast_arns=what_if_arns.value_as_list,
                destination=destination,
            ),
        }
        for name, export in exports.items():
            cdk.CfnOutput(self, f"{name}ExportArn", value=export.export_arn)
            cdk.CfnOutput(self, f"{name}ExportPath", value=export.destination_path)
        cdk.CfnOutput(self, "DestinationBucketName", value=destination.bucket.bucket_name)

        # Query the exports: a Glue table per export dataset (two for the backtest export) in one
        # database, an Athena workgroup, and each export's state changes sent to an SNS topic.
        database = ExportDatabase(self, "ExportsDatabase", database_name="forecast_exports")
        workgroup = ExportWorkGroup(self, "ExportsWorkGroup", destination=destination)
        topic_key = kms.Key(
            self,
            "StateChangeTopicKey",
            description="Encrypts the export state-change notifications",
            enable_key_rotation=True,
        )
        # EventBridge publishes to an encrypted topic only if it may use the topic's key.
        topic_key.grant(iam.ServicePrincipal("events.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        topic = sns.Topic(self, "StateChangeTopic", master_key=topic_key, enforce_ssl=True)
        table_names = {
            "Forecast": ["forecast"],
            "PredictorBacktest": ["backtest_forecasted_values", "backtest_accuracy_metrics_values"],
            "Explainability": ["explainability"],
            "WhatIfForecast": ["what_if_forecast"],
        }
        for name, export in exports.items():
            stem = "backtest" if name == "PredictorBacktest" else table_names[name][0]
            tables = export.add_tables("Table", database=database, table_name=stem, workgroup=workgroup)
            for table, table_name in zip(tables, table_names[name], strict=True):
                output = "".join(word.capitalize() for word in table_name.split("_"))
                cdk.CfnOutput(self, f"{output}TableName", value=table.table_name)
            # on_state_change makes the export wait for the topic's policy, which lets EventBridge publish.
            export.on_state_change("StateChange", target=events_targets.SnsTopic(topic))
        cdk.CfnOutput(self, "DatabaseName", value=database.database_name)
        cdk.CfnOutput(self, "WorkGroupName", value=workgroup.work_group_name)
        cdk.CfnOutput(self, "StateChangeTopicArn", value=topic.topic_arn)


def main() -> None:
    app = cdk.App()
    ForecastExportsExample(app, "ForecastExportsExample")
    app.synth()


if __name__ == "__main__":
    main()
