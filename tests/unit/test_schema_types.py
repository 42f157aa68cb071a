"""The Glue type declared for each Parquet type, the columns a table declares, and the CSV header's
edge cases: what a query over the export table depends on."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecast_export_provider.schema import (
    MAX_COMMENT_LENGTH,
    MAX_NAME_LENGTH,
    Column,
    ParquetField,
    SchemaError,
    athena_name,
    athena_names,
    csv_columns,
    csv_header,
    is_measure,
    parquet_columns,
    parquet_fields,
)


def _parquet(table: pa.Table) -> io.BytesIO:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    return buffer


def _declared(array: pa.Array) -> str:
    (field,) = parquet_fields(_parquet(pa.table({"value": array})))
    return field.type


@pytest.mark.parametrize(
    ("arrow_type", "glue_type"),
    [
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.string_view(), "string"),
        (pa.float64(), "double"),
        (pa.float32(), "float"),
        (pa.int64(), "bigint"),
        (pa.int32(), "int"),
        (pa.int16(), "smallint"),
        (pa.int8(), "tinyint"),
        (pa.uint8(), "smallint"),
        (pa.uint16(), "int"),
        (pa.uint32(), "bigint"),
        (pa.bool_(), "boolean"),
        (pa.date32(), "date"),
        (pa.timestamp("us"), "timestamp"),
        (pa.binary(), "binary"),
        (pa.large_binary(), "binary"),
        (pa.decimal128(10, 2), "decimal(10,2)"),
        (pa.decimal128(38, 9), "decimal(38,9)"),
    ],
    ids=str,
)
def test_each_parquet_type_is_declared_as_the_glue_type_that_reads_it(arrow_type: pa.DataType, glue_type: str) -> None:
    assert _declared(pa.array([None], arrow_type)) == glue_type


def test_a_dictionary_encoded_column_is_declared_as_its_values_type() -> None:
    assert _declared(pa.array(["a", "b", "a"]).dictionary_encode()) == "string"
    assert _declared(pa.array([1, 2, 1], pa.int16()).dictionary_encode()) == "smallint"


@pytest.mark.parametrize(("arrow_type", "shown"), [(pa.uint64(), "UInt64"), (pa.float16(), "Float16")], ids=str)
def test_a_type_no_athena_column_can_hold_is_refused_naming_the_column_and_the_type(
    arrow_type: pa.DataType, shown: str
) -> None:
    with pytest.raises(SchemaError) as caught:
        _declared(pa.array([None], arrow_type))
    assert str(caught.value) == f"column 'value' has type {shown}, which an Athena table cannot declare"


def test_an_unreadable_parquet_file_is_refused_with_the_reader_s_reason_cut_short() -> None:
    with pytest.raises(SchemaError) as caught:
        parquet_fields(io.BytesIO(b"PAR1" + b"x" * 400 + b"PAR1"))
    message = str(caught.value)
    assert message.startswith("is not a readable Parquet file (") and message.endswith(")")
    assert len(message) <= len("is not a readable Parquet file ()") + 80


def test_parquet_columns_declare_the_safe_name_the_file_type_and_the_original_name() -> None:
    fields = [ParquetField("Item Id", "string"), ParquetField("p50", "double"), ParquetField("item_id", "bigint")]
    assert parquet_columns(fields) == [
        Column("item_id", "string", "Item Id"),
        Column("p50", "double", "p50"),
        Column("item_id_2", "bigint", "item_id"),
    ]


def test_a_column_s_comment_is_its_original_name_cut_to_glue_s_limit() -> None:
    original = "x" * 300
    (column,) = csv_columns([original])
    assert column.glue() == {"Name": "x" * MAX_NAME_LENGTH, "Type": "string", "Comment": "x" * MAX_COMMENT_LENGTH}


def test_a_csv_header_of_blank_cells_is_no_header() -> None:
    with pytest.raises(SchemaError, match=r"^has no header row$"):
        csv_header(b" , ,\t\n1,2,3\n")
    with pytest.raises(SchemaError, match=r"^has no header row$"):
        csv_header(b"")


def test_the_csv_header_reads_only_the_first_row_with_backslash_escapes() -> None:
    assert csv_header(b'item_id,a\\,b,"q""uote"\nx,y,z\n') == ["item_id", "a,b", 'q"uote']


def test_a_csv_head_cut_inside_a_character_still_gives_the_header() -> None:
    head = "item_id,größe\nx,y".encode()
    assert csv_header(head + "é".encode()[:1]) == ["item_id", "größe"]


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("9", "col_9"),
        ("_9lives", "col_9lives"),
        ("a" * 254 + "_b", "a" * 254),
        ("Ω", "col"),
        ("ﬁle", "file"),
    ],
)
def test_names_start_with_a_letter_and_never_end_with_an_underscore(original: str, expected: str) -> None:
    assert athena_name(original) == expected


def test_a_numbered_suffix_of_a_long_name_keeps_it_within_the_limit() -> None:
    names = athena_names(["b" * 300] * 12)
    assert names[1] == "b" * (MAX_NAME_LENGTH - 2) + "_2"
    assert names[11] == "b" * (MAX_NAME_LENGTH - 3) + "_12"
    assert all(len(name) == MAX_NAME_LENGTH for name in names)


@pytest.mark.parametrize(
    "name", ["p99_5", "wql_0_1_2", "mean_wql", "mse", "mae", "impactscore", "store_impact_score", "x_p10_5"]
)
def test_more_measures_are_recognised_by_name(name: str) -> None:
    assert is_measure(name)


@pytest.mark.parametrize("name", ["p", "pp10", "mean_value", "wql_x"])
def test_names_that_only_resemble_measures_are_not_measures(name: str) -> None:
    assert not is_measure(name)


def test_a_header_with_text_after_a_closing_quote_is_read_as_the_table_s_serde_reads_it() -> None:
    assert csv_header(b'"item"_id,b\n') == ["item_id", "b"]


def test_an_unreadable_parquet_file_is_refused_with_the_reader_s_own_words() -> None:
    with pytest.raises(SchemaError) as caught:
        parquet_fields(io.BytesIO(b"item_id,p50\na,1\n"))
    assert "(None)" not in str(caught.value) and len(str(caught.value)) > len("is not a readable Parquet file ()")


def test_a_list_of_decimals_is_refused_not_declared_as_a_decimal() -> None:
    with pytest.raises(SchemaError, match="'value' has type List"):
        _declared(pa.array([[None]], pa.list_(pa.decimal128(10, 2))))
