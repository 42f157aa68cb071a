"""The provider's Lambda deployment package, staged at synth time without network or Docker.

The package holds the provider's own handler package and ``crhelper``, which the Lambda Python
runtime lacks (boto3 ships with the runtime), plus the Parquet reader for export tables (arro3)
when its wheels for the Lambda platform are at hand: set-up (``make``) downloads them into
``build/lambda-wheels``; ``FORECAST_EXPORT_PROVIDER_WHEELS`` names another folder. Without them,
CSV tables work and a Parquet table answers FAILED saying what is missing. Both are found
with :func:`importlib.util.find_spec` wherever they are installed (an editable checkout, a wheel,
a virtual environment) and copied without byte-code caches. The CDK fingerprints the staged
directory's content, so the asset hash depends on the packages' files only.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

ASSET_PACKAGES: tuple[str, ...] = ("forecast_export_provider", "crhelper")
"""The top-level packages in the deployment package, and nothing else."""

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
WHEELS_VARIABLE = "FORECAST_EXPORT_PROVIDER_WHEELS"


def lambda_wheels_directory() -> Path:
    """Where the Lambda platform's wheels of the asset's extra packages are looked for."""
    given = os.environ.get(WHEELS_VARIABLE)
    return Path(given) if given else Path(__file__).resolve().parents[2] / "build" / "lambda-wheels"


def package_directory(name: str) -> Path:
    """The directory of the importable package ``name``."""
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if len(locations) != 1:
        raise RuntimeError(
            f"cannot bundle the provider: package {name!r} is not importable as a regular package; "
            "install forecast-export-cdk with its dependencies (pip install . from a checkout)"
        )
    return Path(locations[0])


@functools.cache
def staged_asset_directory() -> str:
    """A directory holding a copy of each package in :data:`ASSET_PACKAGES`.

    Built once per process and removed when the process ends; the CDK copies it into the cloud
    assembly during synthesis.
    """
    root = Path(tempfile.mkdtemp(prefix="forecast-export-provider-asset-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    for name in ASSET_PACKAGES:
        shutil.copytree(package_directory(name), root / name, ignore=_IGNORED)
    wheels = lambda_wheels_directory()
    for wheel in sorted(wheels.glob("*.whl")) if wheels.is_dir() else []:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root, members=[name for name in archive.namelist() if ".dist-info/" not in name])
    return str(root)
