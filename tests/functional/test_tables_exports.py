"""Export files shaped like each kind's, an S3/Glue/Forecast world to put them in, and an independent reader.

:func:`query_as_declared` reads an export's files with DuckDB exactly as a Glue table declares them,
the way Athena would: every object under LOCATION is a symlink manifest; only the files it lists
are read; CSV with the declared separator, quote, escape and header skip, columns by position,
cast to the declared types (an empty value in a double column fails the query unless the table
says ``use.null.for.invalid.data``); Parquet by position when ``parquet.column.index.access`` is
set, else by name (a missing name reads as NULL), and a declared type that differs from the file's
fails the query. The tests at the end show that the reader itself can tell a wrong table.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from tests.standins.forecast import ForecastStandIn

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "forecast-exports-123456789012"
DATABASE = "forecast"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ForecastExportRole"
SOURCES = {
    "forecast_export": ("ForecastExportJob", "ForecastArn", f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast/demand"),
    "predictor_backtest_export": (
        "PredictorBacktestExportJob",
        "PredictorArn",
        f"arn:aws:forecast:{REGION}:{ACCOUNT}:predictor/demand",
    ),
    "explainability_export": (
        "ExplainabilityExport",
        "ExplainabilityArn",
        f"arn:aws:forecast:{REGION}:{ACCOUNT}:explainability/demand",
    ),
    "what_if_forecast_export": (
        "WhatIfForecastExport",
        "WhatIfForecastArns",
        [f"arn:aws:forecast:{REGION}:{ACCOUNT}:what-if-forecast/demand/price_cut"],
    ),
}

TIMES = [dt.datetime(2024, 1, day, 0, 0) for day in (1, 2, 3)]


@dataclass(frozen=True)
class Dataset:
    """Columns (original names, pyarrow types) and rows of one export folder."""

    columns: tuple[tuple[str, pa.DataType], ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


def _text(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


S, F, TS = pa.string(), pa.float64(), pa.timestamp("ms")

FORECAST = Dataset(
    (("item_id", S), ("store", S), ("date", TS), ("p10", F), ("p50", F), ("p90", F), ("mean", F)),
    tuple(
        (item, store, time, 1.0 + index, 2.5 + index, None if index == 1 else 4.0, 2.4)
        for index, (item, store, time) in enumerate(
            [("item,1", "north", TIMES[0]), ("item,1", "north", TIMES[1]), ("item_2", "south, east", TIMES[2])]
        )
    ),
)
BACKTEST_FORECASTED_VALUES = Dataset(
    (
        ("item_id", S),
        ("store", S),
        ("timestamp", S),
        ("target_value", F),
        ("backtestwindow_start_time", S),
        ("backtestwindow_end_time", S),
        ("p10", F),
        ("p50", F),
        ("p90", F),
        ("mean", F),
    ),
    tuple(
        (item, "north", _text(time), 10.0 + index, _text(TIMES[0]), _text(TIMES[2]), 8.0, 10.0, 12.5, 10.1)
        for index, (item, time) in enumerate([("item,1", TIMES[0]), ("item_2", TIMES[1]), ("item_3", TIMES[2])])
    ),
)
BACKTEST_ACCURACY_METRICS = Dataset(
    (
        ("item_id", S),
        ("store", S),
        ("backtest_window", S),
        ("backtestwindow_start_time", S),
        ("backtestwindow_end_time", S),
        ("wQL[0.1]", F),
        ("wQL[0.5]", F),
        ("wQL[0.9]", F),
        ("Average wQL", F),
        ("RMSE", F),
        ("WAPE", F),
        ("MAPE", F),
        ("MASE", F),
    ),
    (
        ("item,1", "north", "Computed", _text(TIMES[0]), _text(TIMES[2]), 0.1, 0.2, 0.3, 0.2, 1.5, 0.1, 0.12, 0.9),
        ("item,1", "north", "Summary", "", "", 0.1, 0.2, 0.3, 0.2, 1.5, 0.1, None, None),
        ("item_2", "south", "Computed", _text(TIMES[0]), _text(TIMES[2]), 0.4, 0.5, 0.6, 0.5, 2.5, 0.3, 0.32, 1.1),
    ),
)
EXPLAINABILITY = Dataset(
    (
        ("item_id", S),
        ("store", S),
        ("timestamp", S),
        ("price-NormalizedImpactScore", F),
        ("promo-NormalizedImpactScore", F),
        ("price-ImpactScore", F),
    ),
    (
        ("item,1", "north", "Aggregate", 0.8, -0.2, 3.1),
        ("item,1", "north", _text(TIMES[0]), 0.7, None, 2.9),
        ("item_2", "south", "Aggregate", -0.1, 0.4, -0.5),
    ),
)
WHAT_IF = Dataset(
    (("date", S), ("store", S), ("item_id", S), ("Baseline_p50", F), ("price_cut_p50", F), ("Baseline_p90", F)),
    (
        (_text(TIMES[0]), "north", "item,1", 10.0, 12.0, 15.0),
        (_text(TIMES[1]), "north", "item,1", 11.0, None, 16.0),
        (_text(TIMES[0]), "south, east", "item_2", 3.0, 3.5, 4.0),
    ),
)

DATASETS: dict[tuple[str, str | None], Dataset] = {
    ("forecast_export", None): FORECAST,
    ("predictor_backtest_export", "forecasted-values"): BACKTEST_FORECASTED_VALUES,
    ("predictor_backtest_export", "accuracy-metrics-values"): BACKTEST_ACCURACY_METRICS,
    ("explainability_export", None): EXPLAINABILITY,
    ("what_if_forecast_export", None): WHAT_IF,
}
CASES = [(kind, dataset, file_format) for (kind, dataset) in DATASETS for file_format in ("CSV", "PARQUET")]


def csv_bytes(data: Dataset, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """A CSV part as an export writes it: a header, quotes where a value needs them, empty for null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", escapechar="\\")
    writer.writerow(data.names)
    for row in rows:
        writer.writerow(
            ["" if value is None else _text(value) if isinstance(value, dt.datetime) else value for value in row]
        )
    return buffer.getvalue().encode()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return _text(value) if isinstance(value, dt.datetime) else value


def parquet_bytes(data: Dataset, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """A Parquet part written by pyarrow with the dataset's original column names and types."""
    schema = pa.schema([pa.field(name, kind) for name, kind in data.columns])
    table = pa.Table.from_pylist([dict(zip(data.names, row, strict=True)) for row in rows], schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def expected_rows(data: Dataset, file_format: str) -> list[tuple[Any, ...]]:
    """What a correct table returns: CSV reads text (empty for null) and doubles (NULL for empty)."""
    if file_format == "PARQUET":
        return list(data.rows)
    rows = []
    for row in data.rows:
        rows.append(
            tuple(
                value
                if kind == F
                else ""
                if value is None
                else _text(value)
                if isinstance(value, dt.datetime)
                else value
                for (_, kind), value in zip(data.columns, row, strict=True)
            )
        )
    # A CSV table declares every non-measure as string, the date column included.
    return rows


@dataclass
class World:
    """Moto's S3 and Glue plus the Forecast stand-in, with helpers to make ACTIVE exports with files."""

    s3: Any
    glue: Any
    forecast: Any
    standin: ForecastStandIn

    def make_export(
        self,
        kind: str,
        name: str,
        *,
        file_format: str = "CSV",
        parts: int = 2,
        datasets: dict[str | None, Dataset] | None = None,
        path: str | None = None,
    ) -> str:
        """Create an ACTIVE export in the stand-in and put its files where Forecast would write them.

        Each data folder gets ``parts`` data files, a zero-byte part, and ``_CHECK``/``_SUCCESS`` markers.
        """
        noun, source_key, source = SOURCES[kind]
        path = path or f"s3://{BUCKET}/exports/{name}/"
        request: dict[str, Any] = {
            f"{noun}Name": name,
            source_key: source,
            "Destination": {"S3Config": {"Path": path, "RoleArn": ROLE_ARN}},
            "Format": file_format,
        }
        arn = str(getattr(self.forecast, f"create_{_snake(noun)}")(**request)[f"{noun}Arn"])
        created = getattr(self.forecast, f"describe_{_snake(noun)}")(**{f"{noun}Arn": arn})["CreationTime"]
        stamp = run_stamp(created)
        folders = datasets or {dataset: data for (each, dataset), data in DATASETS.items() if each == kind}
        prefix = path[len(f"s3://{BUCKET}/") :]
        for dataset, data in folders.items():
            folder = prefix + (f"{dataset}/" if dataset else "")
            self.put_parts(folder, name, data, file_format, parts, stamp)
        return arn

    def put_parts(self, folder: str, name: str, data: Dataset, file_format: str, parts: int, stamp: str) -> None:
        """``parts`` data files of one run named as Forecast names them, a zero-byte part and the markers."""
        chunks = [data.rows[index::parts] for index in range(parts)]
        for index, rows in enumerate(chunks):
            body = csv_bytes(data, rows) if file_format == "CSV" else parquet_bytes(data, rows)
            self.s3.put_object(Bucket=BUCKET, Key=part_key(folder, name, stamp, index, file_format), Body=body)
        self.s3.put_object(Bucket=BUCKET, Key=part_key(folder, name, stamp, parts, file_format), Body=b"")
        self.s3.put_object(Bucket=BUCKET, Key=f"{folder}_CHECK", Body=b"")
        self.s3.put_object(Bucket=BUCKET, Key=f"{folder}_SUCCESS", Body=b"ok")

    def objects(self, prefix: str = "") -> dict[str, str]:
        """Key -> ETag of every object under ``prefix``."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}


def run_stamp(moment: dt.datetime, seconds_later: float = 1) -> str:
    """The timestamp in the names of a run's files written ``seconds_later`` than ``moment``."""
    return (moment + dt.timedelta(seconds=seconds_later)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def part_key(folder: str, name: str, stamp: str, index: int, file_format: str) -> str:
    """The key of a part file as Forecast names it: ``<name>_<timestamp>_part<N>``, ``.csv`` for CSV."""
    return f"{folder}{name}_{stamp}_part{index}" + (".csv" if file_format == "CSV" else "")


def _snake(noun: str) -> str:
    return "".join("_" + char.lower() if char.isupper() else char for char in noun).lstrip("_")


@functools.cache
def _moto_clients() -> tuple[Any, Any]:
    """S3 and Glue clients, made once: loading their service models takes about a second each time."""
    return boto3.client("s3", region_name=REGION), boto3.client("glue", region_name=REGION)


def started_world() -> Iterator[World]:
    """Moto's S3 and Glue (bucket and database made) and a Forecast stand-in whose jobs are ACTIVE at once."""
    with ForecastStandIn(pending_seconds=0, duration=0) as standin, mock_aws():
        s3, glue = _moto_clients()
        s3.create_bucket(Bucket=BUCKET)
        glue.create_database(DatabaseInput={"Name": DATABASE})
        yield World(s3=s3, glue=glue, forecast=standin.client(), standin=standin)


@pytest.fixture
def world() -> Iterator[World]:
    yield from started_world()


# The independent reader -----------------------------------------------------------------------------

_DUCKDB_TYPES = {
    "string": {"VARCHAR"},
    "double": {"DOUBLE"},
    "float": {"FLOAT"},
    "bigint": {"BIGINT"},
    "int": {"INTEGER"},
    "smallint": {"SMALLINT"},
    "tinyint": {"TINYINT"},
    "boolean": {"BOOLEAN"},
    "date": {"DATE"},
    "timestamp": {"TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE"},
}
_NEVER_NULL = "\x01never-null\x01"


class QueryFailed(Exception):
    """What Athena would answer with an error."""


def query_as_declared(s3: Any, glue: Any, database: str, table: str, workdir: Path) -> list[tuple[Any, ...]]:
    """Every row of a Glue table, read with DuckDB exactly as the table declares its files."""
    found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    storage = found["StorageDescriptor"]
    parameters = found.get("Parameters", {})
    serde = storage["SerdeInfo"]
    columns = [(column["Name"], column["Type"]) for column in storage["Columns"]]
    location = storage["Location"]
    bucket, _, prefix = location[len("s3://") :].partition("/")
    listed = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    if storage["InputFormat"].endswith("SymlinkTextInputFormat"):
        uris = [
            line
            for key in listed
            for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
            if line.strip()
        ]
    else:
        uris = [f"s3://{bucket}/{key}" for key in listed]
    connection = duckdb.connect()
    rows: list[tuple[Any, ...]] = []
    for index, uri in enumerate(uris):
        file_bucket, _, key = uri[len("s3://") :].partition("/")
        local = workdir / f"part{index}"
        local.write_bytes(s3.get_object(Bucket=file_bucket, Key=key)["Body"].read())
        try:
            if serde["SerializationLibrary"].endswith("OpenCSVSerde"):
                rows += _read_csv(connection, local, columns, serde.get("Parameters", {}), parameters)
            else:
                rows += _read_parquet(connection, local, columns, serde.get("Parameters", {}))
        except duckdb.Error as error:
            raise QueryFailed(f"{uri}: {error}") from error
    return rows


def _read_csv(
    connection: Any, path: Path, columns: list[tuple[str, str]], serde: dict[str, str], parameters: dict[str, str]
) -> list[tuple[Any, ...]]:
    relation = connection.read_csv(
        str(path),
        header=False,
        sep=serde.get("separatorChar", ","),
        quotechar=serde.get("quoteChar", '"'),
        escapechar=serde.get("escapeChar", "\\"),
        skiprows=int(parameters.get("skip.header.line.count", "0")),
        all_varchar=True,
        na_values=[_NEVER_NULL],
        null_padding=True,
    )
    available = relation.columns
    lenient = parameters.get("use.null.for.invalid.data") == "true"
    selected = []
    for position, (name, glue_type) in enumerate(columns):
        source = f'"{available[position]}"' if position < len(available) else "NULL"
        if glue_type == "string":
            selected.append(f'{source} AS "{name}"')
        else:
            cast = "TRY_CAST" if lenient else "CAST"
            selected.append(f'{cast}({source} AS {glue_type.upper()}) AS "{name}"')
    return list(relation.select(", ".join(selected)).fetchall())


def _read_parquet(
    connection: Any, path: Path, columns: list[tuple[str, str]], serde: dict[str, str]
) -> list[tuple[Any, ...]]:
    relation = connection.read_parquet(str(path))
    file_columns = list(zip(relation.columns, [str(kind) for kind in relation.types], strict=True))
    by_index = serde.get("parquet.column.index.access") == "true"
    by_name = {name.lower(): (name, kind) for name, kind in file_columns}
    selected = []
    for position, (name, glue_type) in enumerate(columns):
        match = by_name.get(name)
        if by_index:
            match = file_columns[position] if position < len(file_columns) else None
        if match is None:
            selected.append(f'NULL AS "{name}"')
            continue
        if match[1] not in _DUCKDB_TYPES.get(glue_type, set()):
            raise QueryFailed(f"column {name} is declared {glue_type} but the file has {match[1]}")
        selected.append(f'"{match[0]}" AS "{name}"')
    return list(relation.select(", ".join(selected)).fetchall())


def same_rows(actual: Sequence[tuple[Any, ...]], expected: Sequence[tuple[Any, ...]]) -> bool:
    return sorted(map(repr, actual)) == sorted(map(repr, expected))


# The reader's own checks ------------------------------------------------------------------------------


def _table(world: World, location: str, columns: list[tuple[str, str]], **storage: Any) -> None:
    world.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "by_hand",
            "Parameters": storage.pop("parameters", {}),
            "StorageDescriptor": {
                "Columns": [{"Name": name, "Type": kind} for name, kind in columns],
                "Location": location,
                "InputFormat": storage.pop("input_format", "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"),
                "SerdeInfo": storage.pop("serde"),
            },
        },
    )


def test_the_reader_returns_the_rows_of_a_hand_written_csv_table(world: World, tmp_path: Path) -> None:
    data = Dataset((("item_id", S), ("p50", F)), (("a,1", 1.5), ("b", None)))
    world.s3.put_object(Bucket=BUCKET, Key="data/x.csv", Body=csv_bytes(data, data.rows))
    world.s3.put_object(Bucket=BUCKET, Key="manifest/symlink.txt", Body=f"s3://{BUCKET}/data/x.csv\n".encode())
    serde = {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde", "Parameters": {}}
    parameters = {"skip.header.line.count": "1", "use.null.for.invalid.data": "true"}
    _table(
        world,
        f"s3://{BUCKET}/manifest/",
        [("item_id", "string"), ("p50", "double")],
        serde=serde,
        parameters=parameters,
    )
    rows = query_as_declared(world.s3, world.glue, DATABASE, "by_hand", tmp_path)
    assert same_rows(rows, [("a,1", 1.5), ("b", None)])


def test_the_reader_fails_an_empty_double_without_the_null_for_invalid_property(world: World, tmp_path: Path) -> None:
    data = Dataset((("item_id", S), ("p50", F)), (("b", None),))
    world.s3.put_object(Bucket=BUCKET, Key="data/x.csv", Body=csv_bytes(data, data.rows))
    world.s3.put_object(Bucket=BUCKET, Key="manifest/symlink.txt", Body=f"s3://{BUCKET}/data/x.csv\n".encode())
    serde = {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde", "Parameters": {}}
    columns = [("item_id", "string"), ("p50", "double")]
    _table(world, f"s3://{BUCKET}/manifest/", columns, serde=serde, parameters={"skip.header.line.count": "1"})
    with pytest.raises(QueryFailed):
        query_as_declared(world.s3, world.glue, DATABASE, "by_hand", tmp_path)


def test_the_reader_reads_parquet_by_name_unless_index_access_is_declared(world: World, tmp_path: Path) -> None:
    data = Dataset((("Item ID", S), ("wQL[0.5]", F)), (("a", 0.5),))
    world.s3.put_object(Bucket=BUCKET, Key="data/x.parquet", Body=parquet_bytes(data, data.rows))
    world.s3.put_object(Bucket=BUCKET, Key="manifest/symlink.txt", Body=f"s3://{BUCKET}/data/x.parquet\n".encode())
    serde = {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {}}
    _table(world, f"s3://{BUCKET}/manifest/", [("item_id", "string"), ("wql_0_5", "double")], serde=serde)
    assert query_as_declared(world.s3, world.glue, DATABASE, "by_hand", tmp_path) == [(None, None)]
    world.glue.delete_table(DatabaseName=DATABASE, Name="by_hand")
    serde["Parameters"] = {"parquet.column.index.access": "true"}
    _table(world, f"s3://{BUCKET}/manifest/", [("item_id", "string"), ("wql_0_5", "double")], serde=serde)
    assert query_as_declared(world.s3, world.glue, DATABASE, "by_hand", tmp_path) == [("a", 0.5)]
