"""Column names, the measure rule and schema reading for the export tables."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecast_export_provider.schema import (
    SchemaError,
    athena_name,
    athena_names,
    csv_columns,
    csv_header,
    is_measure,
    parquet_columns,
    parquet_fields,
)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("wQL[0.9]", "wql_0_9"),
        ("Average wQL", "average_wql"),
        ("item_id", "item_id"),
        ("price-NormalizedImpactScore", "price_normalizedimpactscore"),
        ("Baseline_p50", "baseline_p50"),
        ("__weird__  name__", "weird_name"),
        ("2nd store", "col_2nd_store"),
        ("[]", "col"),
        ("", "col"),
        ("Größe", "groe"),
        ("Café-Region", "cafe_region"),
    ],
)
def test_names_become_lowercase_letters_digits_and_underscores(original: str, expected: str) -> None:
    assert athena_name(original) == expected


def test_names_that_collide_get_numbered_suffixes_in_order() -> None:
    assert athena_names(["wQL[0.9]", "wql_0_9", "WQL 0.9", "other"]) == ["wql_0_9", "wql_0_9_2", "wql_0_9_3", "other"]


def test_long_names_are_cut_to_255_characters_and_stay_unique() -> None:
    names = athena_names(["a" * 300, "A" * 300])
    assert [len(name) for name in names] == [255, 255]
    assert names[0] != names[1]


@pytest.mark.parametrize(
    "name",
    ["p10", "p50", "p99.5", "mean", "target_value", "wQL[0.1]", "Average wQL", "RMSE", "WAPE", "MAPE", "MASE",
     "price-NormalizedImpactScore", "price-ImpactScore", "Baseline_p50", "price_cut_p90", "Baseline_mean"],
)  # fmt: skip
def test_measures_are_recognised_by_name(name: str) -> None:
    assert is_measure(name)


@pytest.mark.parametrize(
    "name",
    ["item_id", "store", "date", "timestamp", "backtest_window", "backtestwindow_start_time", "workforce_type",
     "location", "p50_label_text", "price", "people"],
)  # fmt: skip
def test_identifiers_dimensions_dates_and_windows_are_not_measures(name: str) -> None:
    assert not is_measure(name)


def test_csv_columns_declare_measures_double_and_everything_else_string() -> None:
    columns = csv_columns(["item_id", "date", "wQL[0.5]", "Average wQL"])
    assert [(c.name, c.type, c.original) for c in columns] == [
        ("item_id", "string", "item_id"),
        ("date", "string", "date"),
        ("wql_0_5", "double", "wQL[0.5]"),
        ("average_wql", "double", "Average wQL"),
    ]
    assert columns[2].glue() == {"Name": "wql_0_5", "Type": "double", "Comment": "wQL[0.5]"}


def test_the_csv_header_is_parsed_with_quotes_and_a_byte_order_mark() -> None:
    head = '\ufeffitem_id,"store, region",p50\n"a,1",x,1.0\n'.encode()
    assert csv_header(head) == ["item_id", "store, region", "p50"]


def test_an_empty_csv_head_has_no_header() -> None:
    with pytest.raises(SchemaError):
        csv_header(b"\n")


def _parquet(table: pa.Table) -> io.BytesIO:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    return buffer


def test_parquet_fields_keep_the_file_order_and_the_file_types() -> None:
    table = pa.table(
        {
            "item_id": pa.array(["a"]),
            "p50": pa.array([1.0]),
            "count": pa.array([1], pa.int64()),
            "date": pa.array([0], pa.timestamp("ms")),
            "ratio": pa.array([1.0], pa.float32()),
            "wQL[0.5]": pa.array(["0.1"]),
        }
    )
    fields = parquet_fields(_parquet(table))
    assert [(f.name, f.type) for f in fields] == [
        ("item_id", "string"),
        ("p50", "double"),
        ("count", "bigint"),
        ("date", "timestamp"),
        ("ratio", "float"),
        ("wQL[0.5]", "string"),  # a measure stored as text stays text: declaring double would fail the query
    ]
    assert [c.name for c in parquet_columns(fields)] == ["item_id", "p50", "count", "date", "ratio", "wql_0_5"]


def test_a_nested_parquet_column_is_refused_with_its_name() -> None:
    with pytest.raises(SchemaError, match="'tags'"):
        parquet_fields(_parquet(pa.table({"tags": pa.array([[1, 2]])})))


def test_a_file_that_is_not_parquet_is_refused() -> None:
    with pytest.raises(SchemaError, match="not a readable Parquet file"):
        parquet_fields(io.BytesIO(b"item_id,p50\na,1\n"))


def test_importing_the_table_code_does_not_import_the_parquet_library() -> None:
    code = "import sys, forecast_export_provider.tables; print(any(m.startswith('arro3') for m in sys.modules))"
    package_root = Path(__file__).resolve().parents[2] / "lambda"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=package_root)
    assert result.stdout.strip() == "False"
