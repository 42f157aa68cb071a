"""Benchmarks of the provider, in simulated time (see docs/benchmarks.md).

Run them from the repository's root after set-up (``make bench``, ``make queue``, ``make scale``):
the project is installed in editable mode, and the simulation they share with the tests lives in
``tests/standins/``.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
