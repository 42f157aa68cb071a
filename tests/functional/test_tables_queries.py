"""Tables over every kind of export, in both formats, read back by an independent engine as Athena would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.s3.models import s3_backends

from forecast_export_provider.tables import SUCCESS, TableResource
from tests.functional.test_tables_exports import (
    ACCOUNT,
    BACKTEST_ACCURACY_METRICS,
    BUCKET,
    CASES,
    DATABASE,
    DATASETS,
    REGION,
    World,
    expected_rows,
    query_as_declared,
    same_rows,
    started_world,
)
from tests.properties import table_request


@pytest.fixture
def world() -> Iterator[World]:
    yield from started_world()


def resource(world: World) -> TableResource:
    return TableResource(
        glue=world.glue, s3=world.s3, forecast=world.forecast, account_id="123456789012", partition="aws", region=REGION
    )


def table_properties(export_arn: str, table: str, dataset: str | None = None) -> dict[str, Any]:
    properties = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ExportArn": export_arn,
        "DatabaseName": DATABASE,
        "TableName": table,
        "ManifestLocation": f"s3://{BUCKET}/athena/tables/{DATABASE}/{table}/",
    }
    if dataset is not None:
        properties["Dataset"] = dataset
    return properties


@pytest.mark.parametrize(("kind", "dataset", "file_format"), CASES)
def test_the_table_returns_exactly_the_rows_written(
    world: World, tmp_path: Path, kind: str, dataset: str | None, file_format: str
) -> None:
    export_arn = world.make_export(kind, f"{kind}_{file_format.lower()}", file_format=file_format)
    table = f"{kind}_{(dataset or 'data').replace('-', '_')}_{file_format.lower()}"

    outcome = resource(world).create(table_request(table_properties(export_arn, table, dataset)))

    assert outcome.status == SUCCESS, outcome.reason
    data = DATASETS[(kind, dataset)]
    assert outcome.data["ColumnCount"] == str(len(data.columns))
    rows = query_as_declared(world.s3, world.glue, DATABASE, table, tmp_path)
    assert same_rows(rows, expected_rows(data, file_format))


def _wrong_parquet_without_index_access(world: World) -> None:
    table = world.glue.get_table(DatabaseName=DATABASE, Name="wrong")["Table"]
    storage = table["StorageDescriptor"]
    storage["SerdeInfo"]["Parameters"] = {}
    world.glue.update_table(
        DatabaseName=DATABASE,
        TableInput={"Name": "wrong", "StorageDescriptor": storage, "Parameters": table["Parameters"]},
    )


def _wrong_csv_without_header_skip(world: World) -> None:
    table = world.glue.get_table(DatabaseName=DATABASE, Name="wrong")["Table"]
    parameters = {key: value for key, value in table["Parameters"].items() if key != "skip.header.line.count"}
    world.glue.update_table(
        DatabaseName=DATABASE,
        TableInput={"Name": "wrong", "StorageDescriptor": table["StorageDescriptor"], "Parameters": parameters},
    )


def _wrong_manifest_with_the_zero_byte_part(world: World) -> None:
    key = "athena/tables/forecast/wrong/symlink.txt"
    listed = world.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    empty = next(k for k in world.objects("exports/") if k.endswith("_part2"))
    world.s3.put_object(Bucket=BUCKET, Key=key, Body=(listed + f"s3://{BUCKET}/{empty}\n").encode())


@pytest.mark.parametrize(
    ("file_format", "break_it"),
    [
        ("PARQUET", _wrong_parquet_without_index_access),
        ("CSV", _wrong_csv_without_header_skip),
        ("PARQUET", _wrong_manifest_with_the_zero_byte_part),
    ],
    ids=["parquet-read-by-name", "csv-header-read-as-data", "zero-byte-parquet-part-listed"],
)
def test_a_table_that_athena_would_read_wrongly_fails_the_check(
    world: World, tmp_path: Path, file_format: str, break_it: Callable[[World], None]
) -> None:
    # Accuracy metrics: their names change (wQL[0.1] -> wql_0_1), so reading by name finds nothing.
    data = BACKTEST_ACCURACY_METRICS
    export_arn = world.make_export("forecast_export", "wrong_table", file_format=file_format, datasets={None: data})
    assert resource(world).create(table_request(table_properties(export_arn, "wrong"))).status == SUCCESS
    expected = expected_rows(data, file_format)
    assert same_rows(query_as_declared(world.s3, world.glue, DATABASE, "wrong", tmp_path), expected)

    break_it(world)

    try:
        rows = query_as_declared(world.s3, world.glue, DATABASE, "wrong", tmp_path)
    except Exception:  # the engine refuses the file: Athena's query would fail
        return
    assert not same_rows(rows, expected)


def test_a_table_over_1000_part_files_is_ready_soon_after_active(world: World) -> None:
    """Times Create for 1,000 Parquet parts (one footer read each) against moto in process.

    The goal with the real services is 10 s; moto's S3, slower than S3 per call and sharing this
    process's CPU, costs more, so the bound here guards against a slower design (say, files read
    one after another), not against a busy machine.
    """
    file_format = "PARQUET"
    export_arn = world.make_export("forecast_export", f"large_{file_format.lower()}", file_format=file_format, parts=1)
    folder = f"exports/large_{file_format.lower()}/"
    one_part = next(key for key in world.objects(folder) if "_part0" in key)
    head, _, extension = one_part.rpartition("_part0")
    body = world.s3.get_object(Bucket=BUCKET, Key=one_part)["Body"].read()
    backend = s3_backends[ACCOUNT]["global"]
    for index in range(1, 1000):  # straight into moto's store: its HTTP path would take most of the test's time
        backend.put_object(BUCKET, f"{head}_part{index + 1000}{extension}", body)

    started = time.perf_counter()
    outcome = resource(world).create(table_request(table_properties(export_arn, f"large_{file_format.lower()}")))
    elapsed = time.perf_counter() - started

    assert outcome.status == SUCCESS, outcome.reason
    manifest = world.s3.get_object(
        Bucket=BUCKET, Key=f"athena/tables/{DATABASE}/large_{file_format.lower()}/symlink.txt"
    )
    assert len(manifest["Body"].read().decode().splitlines()) == 1000
    print(f"\n{file_format}: 1,000 part files, ACTIVE to table ready in {elapsed:.2f} s")
    assert elapsed <= 30
