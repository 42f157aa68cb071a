"""The [parquet] extra pins the layer distribution to this distribution's own version."""

import re
from pathlib import Path

from setuptools import setup

INIT = Path(__file__).resolve().parent / "constructs" / "forecast_export_cdk" / "__init__.py"
VERSION = re.search(r'^__version__ = "([^"]+)"', INIT.read_text(), re.MULTILINE)
assert VERSION is not None, f"no __version__ in {INIT}"

setup(extras_require={"parquet": [f"forecast-export-cdk-parquet-layer=={VERSION.group(1)}"]})
