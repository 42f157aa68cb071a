"""The layer's version is the construct library's: read from its ``__version__`` in a checkout,
and from PKG-INFO when a wheel is built from this distribution's sdist. The layer zip must have
been built before (``make layer``, i.e. ``build_layer.py``); the sdist carries it."""

import re
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
LIBRARY_INIT = HERE.parents[1] / "constructs" / "forecast_export_cdk" / "__init__.py"
LAYER_ZIP = HERE / "forecast_export_parquet_layer" / "layer.zip"


def version() -> str:
    if LIBRARY_INIT.is_file():
        match = re.search(r'^__version__ = "([^"]+)"', LIBRARY_INIT.read_text(), re.MULTILINE)
    else:
        match = re.search(r"^Version: (\S+)$", (HERE / "PKG-INFO").read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit("cannot find the version: forecast_export_cdk.__version__ or PKG-INFO")
    return match.group(1)


if not LAYER_ZIP.is_file():
    raise SystemExit(f"{LAYER_ZIP} is missing: build it first with `make layer` (python layers/parquet/build_layer.py)")

setup(version=version())
