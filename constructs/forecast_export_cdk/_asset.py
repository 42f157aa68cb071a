"""The provider's Lambda deployment package, staged at synth time without network or Docker.

The package holds exactly two Python packages: the provider's own handler package and
``crhelper``, which the Lambda Python runtime lacks (boto3 ships with the runtime). Both are found
with :func:`importlib.util.find_spec` wherever they are installed (an editable checkout, a wheel,
a virtual environment) and copied without byte-code caches. The CDK fingerprints the staged
directory's content, so the asset hash depends on the packages' files only.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import shutil
import tempfile
from pathlib import Path

ASSET_PACKAGES: tuple[str, ...] = ("forecast_export_provider", "crhelper")
"""The top-level packages in the deployment package, and nothing else."""

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def package_directory(name: str) -> Path:
    """The directory of the importable package ``name``."""
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if len(locations) != 1:
        raise RuntimeError(
            f"cannot bundle the provider: package {name!r} is not importable as a regular package; "
            "install forecast-export-cdk with its dependencies (pip install forecast-export-cdk)"
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
    return str(root)
