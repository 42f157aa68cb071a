"""CloudFormation custom-resource request templates (``tests/events/*.json``)."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


@functools.cache
def _template(name: str) -> dict[str, Any]:
    path = EVENTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    with path.open(encoding="utf-8") as source:
        event: dict[str, Any] = json.load(source)
    return event


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of the event ``name`` (``create``, ``update``, ``delete``).

    Keyword arguments replace top-level keys, e.g. ``load_event("create", ResponseURL=url)``.
    """
    event = copy.deepcopy(_template(name))
    event.update(copy.deepcopy(overrides))
    return event
