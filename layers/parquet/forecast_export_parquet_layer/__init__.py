"""The Parquet reader of the forecast-export-cdk provider function, as a Lambda layer zip.

The package's only content is ``layer.zip``: ``python/`` holding arro3-core and arro3-io installed
for the provider function's platform (arm64, Python 3.14) with their ``.dist-info``. The construct
library adds it to the provider function as a ``lambda.LayerVersion`` only in stacks with a table
over a Parquet export (or one whose format is known only at deploy time); this package has no
dependencies and no code that runs at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["PARQUET_READER_LAYER", "LayerContent"]


@dataclass(frozen=True)
class LayerContent:
    """A Lambda layer zip and the platform it is built for."""

    zip_path: Path
    """The layer's zip (a file inside this installed package)."""
    runtime: str
    """The Lambda runtime identifier the layer's binaries are built for."""
    architecture: str
    """The Lambda architecture the layer's binaries are built for."""
    distributions: tuple[str, ...]
    """The distributions (name==version) the layer holds under ``python/``."""


PARQUET_READER_LAYER = LayerContent(
    zip_path=Path(__file__).with_name("layer.zip"),
    runtime="python3.14",
    architecture="arm64",
    distributions=("arro3-core==0.9.1", "arro3-io==0.9.1"),
)
"""The provider's Parquet reader: arro3 for arm64, CPython 3.14."""
