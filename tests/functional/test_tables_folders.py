"""A table reads exactly its export's rows from the folders users really have, read back by DuckDB.

Rows of the fault table in docs/design.md, "Faults of the table resource".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forecast_export_provider.tables import FAILED, SUCCESS, TableResource
from tests.functional.test_tables_exports import (
    ACCOUNT,
    BACKTEST_ACCURACY_METRICS,
    BUCKET,
    DATABASE,
    FORECAST,
    REGION,
    Dataset,
    World,
    expected_rows,
    query_as_declared,
    run_stamp,
    same_rows,
    started_world,
)
from tests.functional.test_tables_lifecycle import properties
from tests.properties import table_request

SHARED = f"s3://{BUCKET}/exports/shared/"
NOT_DEFINED = "not defined"


@pytest.fixture
def world() -> Iterator[World]:
    yield from started_world()


def resource(world: World) -> TableResource:
    return TableResource(
        glue=world.glue, s3=world.s3, forecast=world.forecast, account_id=ACCOUNT, partition="aws", region=REGION
    )


def created_at(world: World, export_arn: str) -> dt.datetime:
    created: dt.datetime = world.forecast.describe_forecast_export_job(ForecastExportJobArn=export_arn)["CreationTime"]
    return created


def other_rows(label: str) -> Dataset:
    """FORECAST's columns with rows that are not the export's: any of them in a result is a wrong row."""
    return Dataset(FORECAST.columns, tuple((f"{label}_{row[0]}", *row[1:]) for row in FORECAST.rows))


@pytest.mark.parametrize("file_format", ["CSV", "PARQUET"])
def test_a_shared_folder_with_a_neighbour_an_earlier_run_and_folder_markers_reads_only_the_export(
    world: World, tmp_path: Path, file_format: str
) -> None:
    """Fault table: files of another export whose name starts with this one's, an earlier run of the
    same name, and folder markers, in the export's folder."""
    world.make_export(
        "forecast_export", "sales_v2", path=SHARED, file_format=file_format, datasets={None: other_rows("v2")}
    )
    export_arn = world.make_export("forecast_export", "sales", path=SHARED, file_format=file_format)
    earlier = run_stamp(created_at(world, export_arn), seconds_later=-86400)
    world.put_parts("exports/shared/", "sales", other_rows("earlier"), file_format, 2, earlier)
    world.s3.put_object(Bucket=BUCKET, Key="exports/shared/", Body=b"")
    world.s3.put_object(Bucket=BUCKET, Key=f"athena/tables/{DATABASE}/daily/", Body=b"")

    outcome = resource(world).create(table_request(properties(export_arn)))

    assert outcome.status == SUCCESS, outcome.reason
    rows = query_as_declared(world.s3, world.glue, DATABASE, "daily", tmp_path)
    assert same_rows(rows, expected_rows(FORECAST, file_format))


def test_an_export_without_a_data_file_of_its_own_fails_even_beside_other_files(world: World) -> None:
    """Fault table: an export whose folder holds only its markers and zero-byte parts, beside other exports."""
    world.make_export("forecast_export", "sales_v2", path=SHARED)
    export_arn = world.make_export("forecast_export", "sales", path=SHARED, parts=0)

    outcome = resource(world).create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert f"sales has no data files under {SHARED}" in outcome.reason
    assert world.glue.get_tables(DatabaseName=DATABASE)["TableList"] == []


def _metrics_with_not_defined(value: Any) -> Dataset:
    """Accuracy metrics whose first row has no WAPE and MAPE (an item whose actuals are all zero)."""
    first, *rest = BACKTEST_ACCURACY_METRICS.rows
    wape, mape = BACKTEST_ACCURACY_METRICS.names.index("WAPE"), BACKTEST_ACCURACY_METRICS.names.index("MAPE")
    first = tuple(value if index in (wape, mape) else cell for index, cell in enumerate(first))
    return Dataset(BACKTEST_ACCURACY_METRICS.columns, (first, *rest))


@pytest.mark.parametrize(("file_format", "written"), [("CSV", NOT_DEFINED), ("PARQUET", None)])
def test_a_metric_forecast_could_not_compute_reads_as_null_in_a_numeric_column(
    world: World, tmp_path: Path, file_format: str, written: Any
) -> None:
    """Fault table: ``not defined`` as the first value of a metric column (CSV; Parquet stores a null)."""
    data = _metrics_with_not_defined(written)
    export_arn = world.make_export("forecast_export", "metrics", file_format=file_format, datasets={None: data})

    outcome = resource(world).create(table_request(properties(export_arn)))

    assert outcome.status == SUCCESS, outcome.reason
    columns = world.glue.get_table(DatabaseName=DATABASE, Name="daily")["Table"]["StorageDescriptor"]["Columns"]
    assert {column["Name"]: column["Type"] for column in columns}["wape"] == "double"
    rows = query_as_declared(world.s3, world.glue, DATABASE, "daily", tmp_path)
    expected = [
        tuple(None if value == NOT_DEFINED else value for value in row) for row in expected_rows(data, file_format)
    ]
    assert same_rows(rows, expected)


def opencsv_fields(line: str, separator: str, quote: str, escape: str) -> list[str]:
    """One line split as OpenCSVSerde's parser (opencsv 2.3 ``CSVParser.parseLine``) splits it.

    An escape character keeps the next character only when that is a quote or an escape character
    (and is dropped otherwise); a doubled quote inside quotes is one quote.
    """
    fields: list[str] = []
    value: list[str] = []
    in_quotes = in_field = False
    index = 0
    while index < len(line):
        char = line[index]
        following = line[index + 1] if index + 1 < len(line) else ""
        if char == escape:
            if (in_quotes or in_field) and following in (quote, escape):
                value.append(following)
                index += 1
        elif char == quote:
            if (in_quotes or in_field) and following == quote:
                value.append(following)
                index += 1
            else:
                in_quotes = not in_quotes
                if index > 2 and line[index - 1] != separator and following not in ("", separator):
                    value.append(char)
            in_field = not in_field
        elif char == separator and not in_quotes:
            fields.append("".join(value))
            value, in_field = [], False
        else:
            value.append(char)
            in_field = True
        index += 1
    fields.append("".join(value))
    return fields


def test_dimension_values_with_a_double_quote_or_a_backslash_read_back_as_written_in_csv(world: World) -> None:
    """Fault table: a dimension value holding ``"`` or ``\\`` under the table's quote and escape characters."""
    written = [r'12" pizza', "C:\\stores\\", 'say "hi"\\']
    rows = tuple((value, "north", *FORECAST.rows[0][2:]) for value in written)
    export_arn = world.make_export("forecast_export", "pizza", datasets={None: Dataset(FORECAST.columns, rows)})
    assert resource(world).create(table_request(properties(export_arn))).status == SUCCESS
    table = world.glue.get_table(DatabaseName=DATABASE, Name="daily")["Table"]
    serde = table["StorageDescriptor"]["SerdeInfo"]["Parameters"]
    part = next(key for key in world.objects("exports/pizza/") if key.endswith("_part0.csv"))
    text = world.s3.get_object(Bucket=BUCKET, Key=part)["Body"].read().decode()

    lines = text.splitlines()[int(table["Parameters"]["skip.header.line.count"]) :]
    read = [opencsv_fields(line, serde["separatorChar"], serde["quoteChar"], serde["escapeChar"])[0] for line in lines]

    assert sorted(read) == sorted(written[0::2])  # parts=2: part0 holds rows 0 and 2
