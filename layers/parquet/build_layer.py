"""Build ``forecast_export_parquet_layer/layer.zip``: the Parquet reader as a Lambda layer.

The way pip builds a layer: ``pip install --target python/`` for the provider function's platform
(manylinux aarch64, CPython 3.14), from the hash-pinned wheels that set-up downloads, offline
(``--no-index``), without byte-code, keeping each distribution's ``.dist-info`` so that scanners can
tell what the layer holds. The zip is deterministic (sorted entries, fixed dates and modes), so the
layer's asset hash changes only with its content.

    python layers/parquet/build_layer.py [--wheels build/lambda-wheels] [--requirements ...]

``make`` runs it before installing or building the layer distribution.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
LAYER_ZIP = HERE / "forecast_export_parquet_layer" / "layer.zip"
REQUIREMENTS = REPOSITORY / "tools" / "lambda-wheels" / "requirements.txt"
"""The hash-pinned distributions the layer holds (set-up downloads their wheels)."""
PLATFORMS = ("manylinux_2_24_aarch64", "manylinux2014_aarch64")
PYTHON_VERSION = "3.14"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def install_command(requirements: Path, wheels: Path, target: Path) -> list[str]:
    """pip's command that installs the pinned wheels for the Lambda platform into ``target``."""
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-index", "--find-links", str(wheels), "--require-hashes", "--no-deps", "--no-compile",
        "--only-binary=:all:", *platforms, "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip


def write_zip(root: Path, destination: Path) -> None:
    """Zip ``root``'s files (paths relative to it) with fixed dates and modes."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if path.suffix == ".so" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(destination)


def build(requirements: Path, wheels: Path, destination: Path = LAYER_ZIP) -> Path:
    """Install the requirements for the Lambda platform under ``python/`` and zip them."""
    if not any(wheels.glob("*.whl")):
        raise SystemExit(f"no wheels in {wheels}: run `make` (set-up downloads them) or pass --wheels")
    with tempfile.TemporaryDirectory(prefix="parquet-layer-") as work:
        target = Path(work) / "python"
        subprocess.run(install_command(requirements, wheels, target), check=True)
        write_zip(Path(work), destination)
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=REPOSITORY / "build" / "lambda-wheels")
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    parser.add_argument("--output", type=Path, default=LAYER_ZIP)
    arguments = parser.parse_args()
    print(build(arguments.requirements, arguments.wheels, arguments.output))


if __name__ == "__main__":
    main()
