"""The provider's Lambda code and its optional Parquet reader layer, staged at synth time offline.

The deployment package holds the provider's own handler package and ``crhelper``, which the Lambda
Python runtime lacks (boto3 ships with the runtime), and nothing else. Both are found with
:func:`importlib.util.find_spec` wherever they are installed (an editable checkout, a wheel, a
virtual environment) and copied without byte-code caches. The CDK fingerprints the staged
directory's content, so the asset hash depends on the packages' files only.

The Parquet reader (arro3) comes as a Lambda layer zip from the separate distribution
``forecast-export-cdk-parquet-layer`` (``pip install "forecast-export-cdk[parquet]"``), as the CDK
ships the AWS CLI in ``aws-cdk.asset-awscli-v1``; :func:`parquet_reader_layer` finds it.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

ASSET_PACKAGES: tuple[str, ...] = ("forecast_export_provider", "crhelper")
"""The top-level packages in the deployment package, and nothing else."""

LAYER_PACKAGE = "forecast_export_parquet_layer"
"""The import name of the distribution that carries the Parquet reader layer."""
LAYER_INSTALL_COMMAND = 'pip install "forecast-export-cdk[parquet]"'
"""What installs the layer distribution at the construct library's own version."""

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


class LayerContent(Protocol):
    """What the layer distribution says about its zip (``forecast_export_parquet_layer.LayerContent``)."""

    @property
    def zip_path(self) -> Path: ...
    @property
    def runtime(self) -> str: ...
    @property
    def architecture(self) -> str: ...


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
    return str(root)


def parquet_reader_layer() -> LayerContent | None:
    """The installed Parquet reader layer, or None when its distribution is not installed."""
    try:
        module = importlib.import_module(LAYER_PACKAGE)
    except ImportError:
        return None
    content: LayerContent = module.PARQUET_READER_LAYER
    return content if content.zip_path.is_file() else None
