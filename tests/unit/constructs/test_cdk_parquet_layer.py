"""The Parquet reader layer: added to the provider only for tables that may read Parquet, and a
synth-time error naming the table and the install command when its distribution is missing."""

from __future__ import annotations

import sys

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from forecast_export_cdk import ExportDatabase, ExportDestination, ExportFormat, ExportTable, ForecastExportJob
from tests.unit.constructs.cdk_test_support import FORECAST_ARN, new_app

IMPORTED_EXPORT_ARN = "arn:aws:forecast:eu-west-1:111122223333:forecast-export-job/demand/last_year"


def _stack_with_tables(*formats: ExportFormat | None) -> tuple[cdk.Stack, list[ExportTable]]:
    stack = cdk.Stack(new_app(), "Tables")
    destination = ExportDestination(stack, "Destination")
    database = ExportDatabase(stack, "Database", database_name="forecasts")
    tables = []
    for index, export_format in enumerate(formats):
        export = ForecastExportJob(
            stack, f"Export{index}", forecast_arn=FORECAST_ARN, destination=destination, format=export_format
        )
        tables.append(export.add_table(f"Table{index}", database=database))
    return stack, tables


def test_a_stack_whose_tables_read_csv_only_has_no_layer() -> None:
    stack, _ = _stack_with_tables(None, ExportFormat.CSV)
    template = assertions.Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::LayerVersion", 0)
    [function] = template.find_resources("AWS::Lambda::Function").values()
    assert "Layers" not in function["Properties"]


def test_parquet_tables_share_one_layer_that_matches_the_function() -> None:
    stack, _ = _stack_with_tables(ExportFormat.PARQUET, ExportFormat.PARQUET, None)
    template = assertions.Template.from_stack(stack)
    [(layer_id, layer)] = template.find_resources("AWS::Lambda::LayerVersion").items()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.14"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "python3.14", "Architectures": ["arm64"], "Layers": [{"Ref": layer_id}]},
    )


def test_a_table_over_an_imported_export_of_unknown_format_gets_the_layer() -> None:
    stack, _ = _stack_with_tables()
    destination = stack.node.find_child("Destination")
    assert isinstance(destination, ExportDestination)
    imported = ForecastExportJob.from_export_arn(
        stack, "Imported", IMPORTED_EXPORT_ARN, destination=destination, export_prefix="old/"
    )
    database = stack.node.find_child("Database")
    assert isinstance(database, ExportDatabase)
    ExportTable(stack, "ImportedTable", export=imported, database=database)
    assertions.Template.from_stack(stack).resource_count_is("AWS::Lambda::LayerVersion", 1)


def test_a_parquet_table_without_the_layer_installed_fails_at_synth_naming_the_table_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/design.md, fault table: a Parquet table in an environment without the reader."""
    monkeypatch.setitem(sys.modules, "forecast_export_parquet_layer", None)  # import raises ImportError
    with pytest.raises(ValueError) as raised:
        _stack_with_tables(None, ExportFormat.PARQUET)
    message = str(raised.value)
    assert "ExportTable Tables/Export1/Table1" in message
    assert 'pip install "forecast-export-cdk[parquet]"' in message
    assert "Table0" not in message
