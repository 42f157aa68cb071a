"""Which objects in an export's folder are this export's own run: the files its table lists.

Forecast names an export's files ``<export name>_<yyyy-MM-ddTHH-mm-ssZ>_part<N>`` (``.csv`` for
CSV). A folder is shared in practice: several exports write to one path, and an export's files stay
when it is deleted, so a re-created export of the same name writes beside its earlier run. The
table takes only files of exactly this name, with the timestamp at or after the export's
``CreationTime`` taken to the second, of the newest such run, and never a marker or a zero-byte part.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

STAMP_FORMAT = "%Y-%m-%dT%H-%M-%SZ"
_STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z"
_EXTENSIONS = {"CSV": r"(?:\.csv)?", "PARQUET": r"(?:\.parquet)?"}


@dataclass(frozen=True)
class DataFile:
    """One data file of an export."""

    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def run_files(
    listed: Iterable[Mapping[str, Any]],
    *,
    bucket: str,
    prefix: str,
    export_name: str,
    export_format: str,
    created: dt.datetime,
) -> list[DataFile]:
    """The non-empty part files of the export's newest run written at or after ``created``, sorted by key.

    ``listed`` are ListObjectsV2 ``Contents`` items directly under ``prefix``.
    """
    pattern = re.compile(rf"{re.escape(export_name)}_(?P<stamp>{_STAMP})_part\d+{_EXTENSIONS.get(export_format, '')}")
    earliest = created.astimezone(dt.UTC).replace(microsecond=0)
    runs: dict[str, list[DataFile]] = {}
    for item in listed:
        match = pattern.fullmatch(item["Key"][len(prefix) :])
        if match is None or int(item["Size"]) == 0:
            continue
        stamp = match.group("stamp")
        if dt.datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=dt.UTC) < earliest:
            continue  # an earlier run of an export of the same name
        runs.setdefault(stamp, []).append(DataFile(bucket, item["Key"], int(item["Size"])))
    if not runs:
        return []
    return sorted(runs[max(runs)], key=lambda file: file.key)
