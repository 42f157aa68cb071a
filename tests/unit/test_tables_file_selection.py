"""The table's file selection: which objects in an export's folder are its own run.

These are the rows of the table-resource fault table in docs/design.md on a shared folder (a
neighbour export whose name starts with this one's, an earlier run of the same name, markers,
zero-byte parts and folder markers), checked on the selection alone, without S3.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from forecast_export_provider.tables.export_files import DataFile, run_files

BUCKET = "exports"
PREFIX = "out/"
NAME = "sales"
CREATED = dt.datetime(2026, 3, 1, 12, 0, 30, 750_000, tzinfo=dt.UTC)
STAMP = "2026-03-01T12-05-00Z"


def item(name: str, size: int = 10) -> dict[str, Any]:
    return {"Key": PREFIX + name, "Size": size}


def keys(listed: list[dict[str, Any]], *, export_format: str = "CSV", created: dt.datetime = CREATED) -> list[str]:
    files = run_files(
        listed, bucket=BUCKET, prefix=PREFIX, export_name=NAME, export_format=export_format, created=created
    )
    return [file.key.removeprefix(PREFIX) for file in files]


def test_the_selection_returns_each_part_with_its_bucket_key_size_and_uri() -> None:
    files = run_files(
        [item(f"{NAME}_{STAMP}_part0.csv", size=123)],
        bucket=BUCKET,
        prefix=PREFIX,
        export_name=NAME,
        export_format="CSV",
        created=CREATED,
    )
    assert files == [DataFile(BUCKET, f"{PREFIX}{NAME}_{STAMP}_part0.csv", 123)]
    assert files[0].uri == f"s3://{BUCKET}/{PREFIX}{NAME}_{STAMP}_part0.csv"


def test_a_neighbour_export_whose_name_starts_with_this_ones_is_left_out() -> None:
    listed = [
        item(f"{NAME}_{STAMP}_part0.csv"),
        item(f"{NAME}_v2_{STAMP}_part0.csv"),
        item(f"{NAME}2_{STAMP}_part0.csv"),
        item(f"x{NAME}_{STAMP}_part0.csv"),
    ]
    assert keys(listed) == [f"{NAME}_{STAMP}_part0.csv"]


def test_the_export_name_is_matched_literally_not_as_a_pattern() -> None:
    files = run_files(
        [item(f"aXb_{STAMP}_part0.csv"), item(f"a.b_{STAMP}_part1.csv")],
        bucket=BUCKET,
        prefix=PREFIX,
        export_name="a.b",
        export_format="CSV",
        created=CREATED,
    )
    assert [file.key for file in files] == [f"{PREFIX}a.b_{STAMP}_part1.csv"]


def test_an_earlier_run_of_the_same_name_is_left_out() -> None:
    listed = [item(f"{NAME}_2026-02-01T00-00-00Z_part0.csv"), item(f"{NAME}_{STAMP}_part0.csv")]
    assert keys(listed) == [f"{NAME}_{STAMP}_part0.csv"]


def test_only_the_newest_run_after_creation_is_read_sorted_by_key() -> None:
    older, newer = "2026-03-01T12-01-00Z", "2026-03-01T13-00-00Z"
    listed = [
        item(f"{NAME}_{newer}_part1.csv"),
        item(f"{NAME}_{older}_part0.csv"),
        item(f"{NAME}_{newer}_part0.csv"),
        item(f"{NAME}_{older}_part1.csv"),
    ]
    assert keys(listed) == [f"{NAME}_{newer}_part0.csv", f"{NAME}_{newer}_part1.csv"]


def test_a_run_stamped_in_the_second_of_creation_counts_and_one_a_second_earlier_does_not() -> None:
    # CreationTime is 12:00:30.750; Forecast's stamp has whole seconds.
    assert keys([item(f"{NAME}_2026-03-01T12-00-30Z_part0.csv")]) == [f"{NAME}_2026-03-01T12-00-30Z_part0.csv"]
    assert keys([item(f"{NAME}_2026-03-01T12-00-29Z_part0.csv")]) == []


def test_a_creation_time_in_another_zone_is_compared_in_utc() -> None:
    created = CREATED.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert keys([item(f"{NAME}_2026-03-01T12-00-30Z_part0.csv")], created=created) != []
    assert keys([item(f"{NAME}_2026-03-01T12-00-29Z_part0.csv")], created=created) == []


@pytest.mark.parametrize("marker", ["_CHECK", "_SUCCESS", f"{NAME}_CHECK", f"{NAME}_{STAMP}_CHECK", ""])
def test_markers_and_folder_markers_are_never_data(marker: str) -> None:
    assert keys([item(marker), item(f"{NAME}_{STAMP}_part0.csv")]) == [f"{NAME}_{STAMP}_part0.csv"]


def test_a_zero_byte_part_is_never_data_and_alone_leaves_nothing() -> None:
    assert keys([item(f"{NAME}_{STAMP}_part0.csv", size=0), item(f"{NAME}_{STAMP}_part1.csv", size=1)]) == [
        f"{NAME}_{STAMP}_part1.csv"
    ]
    assert keys([item(f"{NAME}_{STAMP}_part0.csv", size=0), item("_CHECK")]) == []


def test_files_in_a_sub_folder_such_as_a_backtest_dataset_folder_are_not_this_folders() -> None:
    listed = [item(f"forecasted-values/{NAME}_{STAMP}_part0.csv"), item(f"{NAME}_{STAMP}_part0.csv")]
    assert keys(listed) == [f"{NAME}_{STAMP}_part0.csv"]


def test_in_a_backtest_dataset_folder_the_prefix_is_the_dataset_folder() -> None:
    prefix = "out/forecasted-values/"
    files = run_files(
        [{"Key": f"{prefix}{NAME}_{STAMP}_part0", "Size": 5}, {"Key": f"out/{NAME}_{STAMP}_part1", "Size": 5}],
        bucket=BUCKET,
        prefix=prefix,
        export_name=NAME,
        export_format="PARQUET",
        created=CREATED,
    )
    assert [file.key for file in files] == [f"{prefix}{NAME}_{STAMP}_part0"]


def test_the_csv_suffix_is_accepted_for_csv_only() -> None:
    assert keys([item(f"{NAME}_{STAMP}_part0.csv")], export_format="PARQUET") == []
    assert keys([item(f"{NAME}_{STAMP}_part0.csv")], export_format="CSV") == [f"{NAME}_{STAMP}_part0.csv"]
    assert keys([item(f"{NAME}_{STAMP}_part0")], export_format="CSV") == [f"{NAME}_{STAMP}_part0"]
    assert keys([item(f"{NAME}_{STAMP}_part0.parquet")], export_format="PARQUET") == [f"{NAME}_{STAMP}_part0.parquet"]
    assert keys([item(f"{NAME}_{STAMP}_part0.parquet")], export_format="CSV") == []


def test_other_suffixes_and_malformed_stamps_or_parts_are_not_parts() -> None:
    listed = [
        item(f"{NAME}_{STAMP}_part0.csv.tmp"),
        item(f"{NAME}_{STAMP}_part.csv"),
        item(f"{NAME}_{STAMP}_partX.csv"),
        item(f"{NAME}_2026-03-01T12:05:00Z_part0.csv"),
        item(f"{NAME}_{STAMP}_part12.csv"),
    ]
    assert keys(listed) == [f"{NAME}_{STAMP}_part12.csv"]


def test_no_listed_objects_mean_no_files() -> None:
    assert keys([]) == []


def test_a_format_this_version_does_not_know_takes_parts_without_a_suffix() -> None:
    listed = [item(f"{NAME}_{STAMP}_part0"), item(f"{NAME}_{STAMP}_part1.csv"), item(f"{NAME}_{STAMP}_part2.json")]
    assert keys(listed, export_format="JSON") == [f"{NAME}_{STAMP}_part0"]
