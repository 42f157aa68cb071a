"""Benchmarks of the provider's waiting design, in simulated time (see docs/benchmarks.md).

``python -m benchmarks.latency`` runs them all from the repository's root. The provider's handler
package lives under ``lambda/`` and the construct library under ``constructs/``; both are put on
the import path here, so that the benchmarks run without installing the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

for _source_root in (REPOSITORY / "lambda", REPOSITORY / "constructs", REPOSITORY):
    if str(_source_root) not in sys.path:
        sys.path.append(str(_source_root))
