"""The Lambda asset's size and the handler's cold import time.

The asset is staged as the tests stage it (the provider package and crhelper, no byte-code
caches), or taken from a ``cdk synth`` output when one exists under ``cdk.out``, and zipped with
deflate. The Parquet reader layer (``forecast_export_parquet_layer``'s zip, added only to stacks with
Parquet tables) is measured as built, when its distribution is installed. The import is timed in
fresh ``python -S -s`` processes that see only the staged code and the boto3 of the "runtime
packages" directory, as in Lambda; byte-code is not written, as Lambda's read-only ``/var/task``
does not let it be.

``python -m benchmarks.latency`` reports them; ``python -m benchmarks.footprint`` alone re-measures them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks import REPOSITORY
from tests.standins.lambda_runtime import runtime_packages_dir, stage_code
from tests.standins.simulation import markdown_table, percentile

ASSET_PACKAGES = ["forecast_export_provider", "crhelper"]
HANDLER_MODULE = "forecast_export_provider.entrypoint"
_TIMER = (
    "import time, sys\n"
    "start = time.perf_counter()\n"
    "import {module}\n"
    "sys.stdout.write(repr(time.perf_counter() - start))\n"
)


@dataclass(frozen=True)
class AssetSize:
    source: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    by_package: dict[str, int]
    """Compressed file data per top-level directory of the asset (zip headers not included)."""


@dataclass(frozen=True)
class ImportTimes:
    module: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)


def synthesized_asset() -> Path | None:
    """The provider's asset directory in a ``cdk synth`` output, if there is one."""
    out = REPOSITORY / "cdk.out"
    if not out.is_dir():
        return None
    for candidate in sorted(out.glob("asset.*")):
        if (candidate / "forecast_export_provider" / "entrypoint.py").is_file():
            return candidate
    return None


def zip_size(directory: Path, source: str) -> AssetSize:
    """Zip ``directory`` with deflate (level 9) in memory and measure it."""
    buffer = io.BytesIO()
    files = 0
    unzipped = 0
    by_package: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(directory.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(directory).as_posix()
            archive.write(path, relative)
            files += 1
            unzipped += path.stat().st_size
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            by_package[top] = by_package.get(top, 0) + info.compress_size
    return AssetSize(source, files, unzipped, len(buffer.getvalue()), by_package)


def layer_size() -> AssetSize | None:
    """The Parquet reader layer's zip as built, or None when its distribution is not installed."""
    try:
        from forecast_export_parquet_layer import PARQUET_READER_LAYER
    except ImportError:
        return None
    path = PARQUET_READER_LAYER.zip_path
    by_package: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        for info in infos:
            top = info.filename.removeprefix("python/").split("/", 1)[0]
            by_package[top] = by_package.get(top, 0) + info.compress_size
    unzipped = sum(info.file_size for info in infos)
    return AssetSize(
        "Parquet reader layer (forecast_export_parquet_layer)", len(infos), unzipped, path.stat().st_size, by_package
    )


def asset_sizes(work: Path) -> list[AssetSize]:
    """The staged asset's size, the synthesized one's if a ``cdk.out`` holds it, and the layer's."""
    staged = stage_code(work / "asset", ASSET_PACKAGES)
    sizes = [zip_size(staged, "staged (tests.standins.lambda_runtime.stage_code)")]
    synthesized = synthesized_asset()
    if synthesized is not None:
        sizes.append(zip_size(synthesized, f"cdk synth ({synthesized.relative_to(REPOSITORY)})"))
    layer = layer_size()
    if layer is not None:
        sizes.append(layer)
    return sizes


def import_times(code: Path, module: str, runs: int, *, warmup: int = 1) -> ImportTimes:
    """Seconds to import ``module`` in fresh Lambda-like processes (``warmup`` runs discarded)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(code), str(runtime_packages_dir() / "python")]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TZ": ":UTC",
    }
    samples: list[float] = []
    for index in range(warmup + runs):
        output = subprocess.run(
            [sys.executable, "-S", "-s", "-c", _TIMER.format(module=module)],
            cwd=code,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if index >= warmup:
            samples.append(float(output))
    return ImportTimes(module, samples)


def measure(runs: int = 15) -> tuple[list[AssetSize], list[ImportTimes]]:
    """Asset sizes, and import times of the handler and, for reference, of boto3 and crhelper alone."""
    with tempfile.TemporaryDirectory(prefix="footprint-") as work:
        sizes = asset_sizes(Path(work))
        code = Path(work) / "asset"
        times = [import_times(code, module, runs) for module in (HANDLER_MODULE, "boto3", "crhelper")]
    return sizes, times


def tables(import_runs: int = 15) -> str:
    """The asset-size and import-time tables, in Markdown."""
    sizes, times = measure(import_runs)
    size_rows = []
    for size in sizes:
        parts = ", ".join(f"{name} {bytes_ / 1024:.1f} KiB" for name, bytes_ in sorted(size.by_package.items()))
        size_rows.append(
            [
                size.source,
                str(size.files),
                f"{size.unzipped_bytes / 1024:.1f} KiB",
                f"{size.zipped_bytes / 1024:.1f} KiB ({size.zipped_bytes} bytes)",
                parts,
            ]
        )
    time_rows = [
        [f"`import {t.module}`", str(len(t.samples)), f"{t.median * 1000:.0f}", f"{t.p95 * 1000:.0f}"] for t in times
    ]
    return (
        "### Lambda asset\n\n"
        + markdown_table(
            ["asset", "files", "unzipped", "zipped (deflate, level 9)", "compressed data by package"], size_rows, 1
        )
        + "\n\n### Cold import (fresh `python -S -s`, staged code + runtime boto3, no byte-code written)\n\n"
        + markdown_table(["import", "runs", "median (ms)", "p95 (ms)"], time_rows, 1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.footprint", description="Asset size and import time.")
    parser.add_argument("--runs", type=int, default=15, help="cold import samples per module (default 15)")
    print(tables(parser.parse_args().runs))
    print(f"\nload average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
