"""The example app's stack: resources, outputs, cdk-nag's AwsSolutions pack, cfn-lint, the asset."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from cfnlint.api import lint_file

import forecast_export_cdk
from forecast_export_cdk._asset import ASSET_PACKAGES, staged_asset_directory
from forecast_export_provider import kinds as export_kinds
from forecast_export_provider.naming import generated_name_head, legacy_name_head
from tests.unit.constructs.cdk_test_support import REPO, Synthesized

pytestmark = pytest.mark.xdist_group("example")

KINDS = {
    "Custom::ForecastExportJob": "ForecastArn",
    "Custom::PredictorBacktestExportJob": "PredictorArn",
    "Custom::ExplainabilityExport": "ExplainabilityArn",
    "Custom::WhatIfForecastExport": "WhatIfForecastArns",
}


def test_one_destination_and_one_export_of_each_kind(example: Synthesized) -> None:
    for resource_type, source_parameter in KINDS.items():
        example.template.resource_count_is(resource_type, 1)
        example.template.has_resource_properties(resource_type, {source_parameter: {"Ref": source_parameter}})
    example.template.resource_count_is("AWS::S3::Bucket", 2)  # exports and their access logs
    keys = example.template.find_resources("AWS::KMS::Key")
    # The destination's key, and the provider's key for its dead-letter queue.
    assert len([key for key in keys if key.startswith("DestinationKey")]) == 1
    assert len([key for key in keys if key.startswith("ForecastExportProviderDeadLetterKey")]) == 1
    example.template.resource_count_is("AWS::Lambda::Function", 1)


def test_parameters_have_valid_placeholder_defaults(example: Synthesized) -> None:
    parameters = example.raw["Parameters"]
    assert parameters["WhatIfForecastArns"]["Type"] == "CommaDelimitedList"
    for name, resource_type in [
        ("ForecastArn", "forecast"),
        ("PredictorArn", "predictor"),
        ("ExplainabilityArn", "explainability"),
    ]:
        parameter = parameters[name]
        assert parameter["Type"] == "String"
        assert f":{resource_type}/" in parameter["Default"]
        assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"])
    assert ":what-if-forecast/" in parameters["WhatIfForecastArns"]["Default"]


def test_outputs_name_each_export_arn_and_path(example: Synthesized) -> None:
    outputs = example.raw["Outputs"]
    for name in ("Forecast", "PredictorBacktest", "Explainability", "WhatIfForecast"):
        assert "Ref" in outputs[f"{name}ExportArn"]["Value"]
        assert outputs[f"{name}ExportPath"]["Value"]["Fn::GetAtt"][1] == "DestinationPath"
    assert "DestinationBucketName" in outputs


def test_cdk_nag_aws_solutions_reports_nothing_unacknowledged(example: Synthesized) -> None:
    # Synthesis raises on any unacknowledged error; warnings would still land in the report.
    report_path = example.outdir / "validation-report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text())
        violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
        assert violations == []
    annotations = (
        [
            entry
            for entries in json.loads((example.outdir / "ForecastExportsExample.metadata.json").read_text()).values()
            for entry in entries
            if entry["type"] in ("aws:cdk:error", "aws:cdk:warning")
        ]
        if (example.outdir / "ForecastExportsExample.metadata.json").exists()
        else []
    )
    assert annotations == []


def test_acknowledged_findings_are_few_narrow_and_explained(example: Synthesized) -> None:
    acknowledged: dict[str, dict[str, str]] = {}
    for node in example.stack.node.find_all():
        for entry in node.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule_id, reason in entry.data.items():
                    if "AwsSolutions" in rule_id:
                        acknowledged.setdefault(node.node.path, {})[rule_id.split("::", 1)[-1]] = reason
    # Only IAM wildcard findings, each with its own reason, on the two policies that have them.
    # Besides those: the dead-letter queue, which is itself the last stop and has no DLQ (SQS3).
    dead_letter_queue = "ForecastExportsExample/ForecastExportProvider/DeadLetterQueue"
    assert sorted(acknowledged.pop(dead_letter_queue)) == ["AwsSolutions-SQS3"]
    # And the tables' provider policy: objects under each of the 4 exports' prefixes (the backtest
    # export's two tables share one) and under each of the 5 tables' manifest prefixes.
    table_rules = acknowledged.pop("ForecastExportsExample/ForecastExportProvider/TablesPolicy")
    assert len(table_rules) == 4 + 5 and all(rule.endswith("/*]") for rule in table_rules)
    assert set(acknowledged) == {
        "ForecastExportsExample/ForecastExportProvider/Role/DefaultPolicy",
        "ForecastExportsExample/Destination/Role/DefaultPolicy",
    }
    rules = {rule_id: reason for by_rule in acknowledged.values() for rule_id, reason in by_rule.items()}
    assert all(rule_id.startswith("AwsSolutions-IAM5[") for rule_id in rules)
    assert all(len(reason) > 60 for reason in rules.values())
    assert sorted(acknowledged["ForecastExportsExample/Destination/Role/DefaultPolicy"]) == [
        "AwsSolutions-IAM5[Action::s3:Get*]",
        "AwsSolutions-IAM5[Resource::<DestinationBucketDE0A4D37.Arn>/forecast-exports/*]",
    ]
    provider_rules = sorted(acknowledged["ForecastExportsExample/ForecastExportProvider/Role/DefaultPolicy"])
    partition_region_account = "arn:<AWS::Partition>:forecast:<AWS::Region>:<AWS::AccountId>"
    # Each export's generated names: its folder (a source known at deploy time: any), then this
    # stack's and logical id's head. Never a whole export type, never every what-if forecast.
    exports = {
        lid: resource["Type"]
        for lid, resource in example.raw["Resources"].items()
        if resource["Type"] in {kind.resource_type for kind in export_kinds.KINDS}
    }
    kinds = {kind.resource_type: kind for kind in export_kinds.KINDS}
    # With the folder "*", the earlier releases' names (16 "?") are a finding too.
    expected = ["AwsSolutions-IAM5[Resource::*]"]
    for lid, type_ in exports.items():
        kind = kinds[type_]
        folder = f"{partition_region_account}:{kind.arn_resource_type}/{'' if kind.source_is_list else '*/'}"
        expected.append(f"AwsSolutions-IAM5[Resource::{folder}{generated_name_head('ForecastExportsExample', lid)}*]")
        if not kind.source_is_list:
            expected.append(f"AwsSolutions-IAM5[Resource::{folder}{legacy_name_head(lid)}{'?' * 16}]")
    assert provider_rules == sorted(expected)


def test_cfn_lint_finds_no_errors_or_warnings(example: Synthesized) -> None:
    matches = lint_file(example.outdir / "ForecastExportsExample.template.json")
    assert [str(match) for match in matches] == []


def _asset_directory(example: Synthesized) -> Path:
    code = example.template.find_resources("AWS::Lambda::Function")
    (function,) = code.values()
    key = function["Properties"]["Code"]["S3Key"]
    return example.outdir / f"asset.{key.removesuffix('.zip')}"


def test_asset_holds_the_provider_and_crhelper_and_nothing_else(example: Synthesized) -> None:
    asset = _asset_directory(example)
    assert sorted(path.name for path in asset.iterdir()) == sorted(ASSET_PACKAGES)
    assert (asset / "forecast_export_provider" / "entrypoint.py").is_file()
    assert (asset / "crhelper" / "resource_helper.py").is_file()
    assert not list(asset.rglob("__pycache__")) and not list(asset.rglob("*.pyc"))
    assert sum(path.stat().st_size for path in asset.rglob("*") if path.is_file()) < 512 * 1024
    example.template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "forecast_export_provider.entrypoint.handler"}
    )


def test_the_example_with_parquet_tables_gives_the_function_one_parquet_reader_layer(example: Synthesized) -> None:
    layers = example.template.find_resources("AWS::Lambda::LayerVersion")
    [(layer_id, layer)] = layers.items()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.14"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    example.template.has_resource_properties("AWS::Lambda::Function", {"Layers": [{"Ref": layer_id}]})
    key = layer["Properties"]["Content"]["S3Key"]
    with zipfile.ZipFile(example.outdir / f"asset.{key.removesuffix('.zip')}.zip") as archive:
        names = set(archive.namelist())
        # The reader is built for the function's platform (arm64: ELF machine 183), not this one.
        library = archive.read("python/arro3/io/_io.abi3.so")
    assert int.from_bytes(library[18:20], "little") == 183
    assert {"python/arro3_core-0.9.1.dist-info/METADATA", "python/arro3_io-0.9.1.dist-info/RECORD"} <= names


def test_asset_hash_is_deterministic(example: Synthesized, tmp_path: Path) -> None:
    # A second, independent staging of the same packages has the same fingerprint.
    again = staged_asset_directory.__wrapped__()
    assert cdk.FileSystem.fingerprint(again) == cdk.FileSystem.fingerprint(staged_asset_directory())
    assert cdk.FileSystem.fingerprint(again) == _asset_directory(example).name.removeprefix("asset.")


def test_wheel_contains_both_packages_and_type_markers(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        (source / name).write_bytes((REPO / name).read_bytes())
    for tree in ("constructs", "lambda"):
        shutil.copytree(REPO / tree, source / tree, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    # One source for the version: the wheel's is the package's __version__.
    assert wheel.name.startswith(f"forecast_export_cdk-{forecast_export_cdk.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("forecast_export_cdk", "forecast_export_provider"):
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names
    assert "forecast_export_cdk/exports.py" in names
    assert "forecast_export_provider/kinds.py" in names
    assert not any(name.startswith(("tests/", "constructs/", "lambda/")) for name in names)


def test_function_settings(example: Synthesized) -> None:
    example.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Timeout": 900,
            "MemorySize": 256,
            "Environment": {
                "Variables": {"TOTAL_WAIT_SECONDS": "3480", "POLL_INTERVAL_SECONDS": "4.5", "LOG_LEVEL": "INFO"}
            },
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("ForecastExportProviderLogGroup")}},
        },
    )
    example.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_every_export_is_cataloged_watched_and_named_in_the_outputs(example: Synthesized) -> None:
    example.template.resource_count_is("AWS::Glue::Database", 1)
    example.template.resource_count_is("AWS::Athena::WorkGroup", 1)
    example.template.resource_count_is("AWS::Events::Rule", 4)
    tables = example.template.find_resources("Custom::ForecastExportTable")
    assert sorted(t["Properties"]["TableName"] for t in tables.values()) == [
        "backtest_accuracy_metrics_values",
        "backtest_forecasted_values",
        "explainability",
        "forecast",
        "what_if_forecast",
    ]
    resources = example.raw["Resources"]
    exports = {lid: r for lid, r in resources.items() if r["Type"] in KINDS}
    for table in tables.values():
        assert table["Properties"]["ExportArn"]["Ref"] in exports
    (topic_id,) = example.template.find_resources("AWS::SNS::Topic")
    example.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    rules = example.template.find_resources("AWS::Events::Rule")
    for rule_id, rule in rules.items():
        assert rule["Properties"]["EventPattern"]["source"] == ["aws.forecast"]
        assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": topic_id}
        # Each rule (and the topic with its policy) exists before the export it watches.
        (export,) = [r for r in exports.values() if rule_id in r["DependsOn"]]
        assert topic_id in export["DependsOn"]
    outputs = example.raw["Outputs"]
    for name in (
        "ForecastTableName",
        "BacktestForecastedValuesTableName",
        "BacktestAccuracyMetricsValuesTableName",
        "ExplainabilityTableName",
        "WhatIfForecastTableName",
        "DatabaseName",
        "WorkGroupName",
        "StateChangeTopicArn",
    ):
        assert name in outputs
