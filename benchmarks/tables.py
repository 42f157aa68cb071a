"""Time from an export being ACTIVE to its Glue table being ready, for 1,000 part files.

    python -m benchmarks.tables            # CSV and Parquet, 3 runs each (make tables)

The table resource runs in process against moto's S3 and Glue and the Forecast stand-in; the
export's 1,000 data parts (plus a zero-byte part and the markers) are put straight into moto's
store. moto answers more slowly than S3 per call and shares this process's CPU, so the figures are
an upper bound for the provider's own work, not a promise about the real services.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from moto.s3.models import s3_backends

from forecast_export_provider.tables import SUCCESS, TableResource
from tests.functional.test_tables_exports import ACCOUNT, BUCKET, DATABASE, REGION, World, started_world
from tests.properties import table_request
from tests.standins.simulation import markdown_table

PARTS = 1000


def one_run(world: World, file_format: str, run: int) -> float:
    """Seconds for one table's Create over an export of :data:`PARTS` part files."""
    name = f"large_{file_format.lower()}_{run}"
    export_arn = world.make_export("forecast_export", name, file_format=file_format, parts=1)
    folder = f"exports/{name}/"
    one_part = next(key for key in world.objects(folder) if "_part0" in key)
    head, _, extension = one_part.rpartition("_part0")
    body = world.s3.get_object(Bucket=BUCKET, Key=one_part)["Body"].read()
    backend = s3_backends[ACCOUNT]["global"]
    for index in range(1, PARTS):
        backend.put_object(BUCKET, f"{head}_part{index + PARTS}{extension}", body)
    tables = TableResource(
        glue=world.glue, s3=world.s3, forecast=world.forecast, account_id=ACCOUNT, partition="aws", region=REGION
    )
    request = table_request(
        {
            "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider",
            "ExportArn": export_arn,
            "DatabaseName": DATABASE,
            "TableName": name,
            "ManifestLocation": f"s3://{BUCKET}/athena/tables/{DATABASE}/{name}/",
        }
    )
    started = time.perf_counter()
    outcome = tables.create(request)
    elapsed = time.perf_counter() - started
    if outcome.status != SUCCESS:
        raise SystemExit(f"{file_format}: {outcome.reason}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per format (default 3)")
    arguments = parser.parse_args(argv)
    rows = []
    for world in started_world():
        for file_format in ("CSV", "PARQUET"):
            times = [one_run(world, file_format, run) for run in range(arguments.runs)]
            rows.append(
                [
                    file_format,
                    f"{PARTS:,}",
                    f"{statistics.median(times):.2f}",
                    f"{max(times):.2f}",
                ]
            )
    print(f"ACTIVE to table ready, {arguments.runs} runs per format (moto in process)\n")
    print(markdown_table(["format", "part files", "median (s)", "max (s)"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
