"""The table resource's lifecycle against moto's S3 and Glue and the Forecast stand-in."""

from __future__ import annotations

from collections.abc import Iterator
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
    parquet_bytes,
    run_stamp,
    started_world,
)
from tests.properties import table_request


@pytest.fixture
def world() -> Iterator[World]:
    yield from started_world()


@pytest.fixture
def tables(world: World) -> TableResource:
    return TableResource(
        glue=world.glue, s3=world.s3, forecast=world.forecast, account_id=ACCOUNT, partition="aws", region=REGION
    )


def properties(export_arn: str, table: str = "daily", **overrides: Any) -> dict[str, Any]:
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ExportArn": export_arn,
        "DatabaseName": DATABASE,
        "TableName": table,
        "ManifestLocation": f"s3://{BUCKET}/athena/tables/{DATABASE}/{table}/",
        **overrides,
    }


def table_arn(table: str) -> str:
    return f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{DATABASE}/{table}"


def manifest(world: World, table: str) -> list[str]:
    key = f"athena/tables/{DATABASE}/{table}/symlink.txt"
    body: bytes = world.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body.decode().splitlines()


def glue_tables(world: World) -> dict[str, dict[str, Any]]:
    return {table["Name"]: table for table in world.glue.get_tables(DatabaseName=DATABASE)["TableList"]}


def test_create_answers_the_table_arn_and_its_attributes(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == SUCCESS, outcome.reason
    assert outcome.physical_id == table_arn("daily")
    assert outcome.data == {
        "TableName": "daily",
        "DatabaseName": DATABASE,
        "TableArn": table_arn("daily"),
        "Location": f"s3://{BUCKET}/athena/tables/{DATABASE}/daily/",
        "DataLocation": f"s3://{BUCKET}/exports/daily_export/",
        "Format": "CSV",
        "ColumnCount": "7",
    }
    listed = manifest(world, "daily")
    assert listed == sorted(listed) and len(listed) == 2
    assert all(line.startswith(f"s3://{BUCKET}/exports/daily_export/daily_export_") for line in listed)
    columns = glue_tables(world)["daily"]["StorageDescriptor"]["Columns"]
    assert [(column["Name"], column["Type"]) for column in columns][2:4] == [("date", "string"), ("p10", "double")]


def test_column_names_are_athena_safe_with_the_original_in_the_comment(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "metrics", datasets={None: BACKTEST_ACCURACY_METRICS})

    assert tables.create(table_request(properties(export_arn))).status == SUCCESS

    columns = glue_tables(world)["daily"]["StorageDescriptor"]["Columns"]
    by_comment = {column["Comment"]: (column["Name"], column["Type"]) for column in columns}
    assert by_comment["wQL[0.1]"] == ("wql_0_1", "double")
    assert by_comment["Average wQL"] == ("average_wql", "double")
    assert by_comment["backtest_window"] == ("backtest_window", "string")


def test_a_repeated_create_adopts_the_table_it_made(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    first = tables.create(table_request(properties(export_arn)))

    again = tables.create(table_request(properties(export_arn)))

    assert again.status == SUCCESS, again.reason
    assert again.physical_id == first.physical_id
    assert list(glue_tables(world)) == ["daily"]


def test_a_table_of_that_name_made_by_someone_else_is_left_alone(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    theirs = {"Name": "daily", "StorageDescriptor": {"Columns": [], "Location": f"s3://{BUCKET}/theirs/"}}
    world.glue.create_table(DatabaseName=DATABASE, TableInput=theirs)

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert "daily" in outcome.reason and "already exists" in outcome.reason
    assert outcome.physical_id != table_arn("daily")
    assert glue_tables(world)["daily"]["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/theirs/"
    assert tables.delete(table_request(properties(export_arn), physical_id=outcome.physical_id)).status == SUCCESS
    assert "daily" in glue_tables(world)


def test_a_new_export_updates_the_table_in_place(world: World, tables: TableResource) -> None:
    old_export = world.make_export("forecast_export", "daily_export")
    created = tables.create(table_request(properties(old_export)))
    wider = Dataset((*FORECAST.columns, ("p99", FORECAST.columns[3][1])), tuple((*row, 9.9) for row in FORECAST.rows))
    new_export = world.make_export("forecast_export", "daily_export_v2", datasets={None: wider})

    updated = tables.update(
        table_request(properties(new_export), old_properties=properties(old_export), physical_id=created.physical_id)
    )

    assert updated.status == SUCCESS, updated.reason
    assert updated.physical_id == created.physical_id
    assert updated.data["ColumnCount"] == "8"
    assert all("/daily_export_v2/" in line for line in manifest(world, "daily"))
    assert glue_tables(world)["daily"]["Parameters"]["forecast_export_table"] == new_export


def test_a_new_table_name_makes_a_new_table_and_deleting_the_old_one_spares_it(
    world: World, tables: TableResource
) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(table_request(properties(export_arn)))

    renamed = tables.update(
        table_request(
            properties(export_arn, "renamed"), old_properties=properties(export_arn), physical_id=created.physical_id
        )
    )
    deleted = tables.delete(table_request(properties(export_arn), physical_id=created.physical_id))

    assert renamed.status == SUCCESS, renamed.reason
    assert renamed.physical_id == table_arn("renamed")
    assert deleted.status == SUCCESS
    assert list(glue_tables(world)) == ["renamed"]
    assert len(manifest(world, "renamed")) == 2


def test_the_rollback_of_a_rename_adopts_the_first_table_again(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    first = tables.create(table_request(properties(export_arn)))
    renamed = tables.update(
        table_request(
            properties(export_arn, "renamed"), old_properties=properties(export_arn), physical_id=first.physical_id
        )
    )

    rolled_back = tables.update(
        table_request(
            properties(export_arn), old_properties=properties(export_arn, "renamed"), physical_id=renamed.physical_id
        )
    )
    cleaned_up = tables.delete(table_request(properties(export_arn, "renamed"), physical_id=renamed.physical_id))

    assert (rolled_back.status, rolled_back.physical_id) == (SUCCESS, first.physical_id)
    assert cleaned_up.status == SUCCESS
    assert list(glue_tables(world)) == ["daily"]
    assert len(manifest(world, "daily")) == 2


def test_a_table_deleted_out_of_band_is_made_again_by_an_update(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(table_request(properties(export_arn)))
    world.glue.delete_table(DatabaseName=DATABASE, Name="daily")

    outcome = tables.update(
        table_request(properties(export_arn), old_properties=properties(export_arn), physical_id=created.physical_id)
    )

    assert (outcome.status, outcome.physical_id) == (SUCCESS, created.physical_id)
    assert list(glue_tables(world)) == ["daily"]


def test_a_new_table_name_with_the_same_manifest_location_fails_and_names_it(
    world: World, tables: TableResource
) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(table_request(properties(export_arn)))
    same_place = properties(export_arn, "renamed", ManifestLocation=properties(export_arn)["ManifestLocation"])

    outcome = tables.update(
        table_request(same_place, old_properties=properties(export_arn), physical_id=created.physical_id)
    )

    assert outcome.status == FAILED
    assert "ManifestLocation" in outcome.reason
    assert outcome.physical_id == created.physical_id


def test_delete_removes_the_table_and_its_manifest_and_leaves_the_data(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    created = tables.create(table_request(properties(export_arn)))
    data_before = world.objects("exports/")

    deleted = tables.delete(table_request(properties(export_arn), physical_id=created.physical_id))
    again = tables.delete(table_request(properties(export_arn), physical_id=created.physical_id))

    assert (deleted.status, again.status) == (SUCCESS, SUCCESS)
    assert glue_tables(world) == {}
    assert world.objects("athena/") == {}
    assert world.objects("exports/") == data_before


def test_an_export_that_is_not_active_fails_with_its_status(world: World, tables: TableResource) -> None:
    world.standin.duration = 3600
    export_arn = world.make_export("forecast_export", "slow_export")

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert "slow_export is CREATE_" in outcome.reason
    assert world.objects("athena/") == {}


def test_an_export_that_does_not_exist_fails_naming_the_arn(world: World, tables: TableResource) -> None:
    missing = f"arn:aws:forecast:{REGION}:{ACCOUNT}:forecast-export-job/demand/nothing_here"

    outcome = tables.create(table_request(properties(missing)))

    assert outcome.status == FAILED
    assert "ExportArn" in outcome.reason and "nothing_here" in outcome.reason


def test_an_export_without_data_files_fails_naming_the_folder(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "empty_export", parts=0)

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert f"no data files under s3://{BUCKET}/exports/empty_export/" in outcome.reason


def test_parquet_files_with_different_schemas_fail_clearly(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "mixed", file_format="PARQUET")
    other = Dataset(FORECAST.columns[:3], tuple(row[:3] for row in FORECAST.rows))
    key = next(key for key in world.objects("exports/mixed/") if key.endswith("_part1"))
    world.s3.put_object(Bucket=BUCKET, Key=key, Body=parquet_bytes(other, other.rows))

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert outcome.reason.startswith("PARQUET files differ in columns")
    assert "part1" in outcome.reason
    assert glue_tables(world) == {}


def test_a_manifest_location_that_holds_other_objects_fails(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")
    world.s3.put_object(Bucket=BUCKET, Key=f"athena/tables/{DATABASE}/daily/notes.txt", Body=b"x")

    outcome = tables.create(table_request(properties(export_arn)))

    assert outcome.status == FAILED
    assert "ManifestLocation" in outcome.reason and "notes.txt" in outcome.reason


def test_a_missing_database_fails_naming_it(world: World, tables: TableResource) -> None:
    export_arn = world.make_export("forecast_export", "daily_export")

    outcome = tables.create(table_request(properties(export_arn, DatabaseName="nowhere")))

    assert outcome.status == FAILED
    assert outcome.reason.startswith("DatabaseName nowhere")


def test_other_exports_in_the_same_folder_are_left_out(world: World, tables: TableResource) -> None:
    """Fault table: files of another export whose name starts with this one's, and an earlier run, in one folder."""
    path = f"s3://{BUCKET}/exports/shared/"
    world.make_export("forecast_export", "sales_v2", path=path)
    sales = world.make_export("forecast_export", "sales", path=path)
    created = world.forecast.describe_forecast_export_job(ForecastExportJobArn=sales)["CreationTime"]
    earlier = run_stamp(created, seconds_later=-3600)
    world.put_parts("exports/shared/", "sales", FORECAST, "CSV", 2, earlier)

    assert tables.create(table_request(properties(sales))).status == SUCCESS

    listed = [line.rsplit("/", 1)[-1] for line in manifest(world, "daily")]
    assert len(listed) == 2
    assert all(name.startswith(f"sales_{run_stamp(created)}_part") for name in listed), listed
