"""When a Create refused by Forecast's concurrent-jobs quota tries again.

A request waiting for a slot does not know how many others wait with it. What it can see cheaply
is the kind's jobs in progress (the List call that tells the quota from a resource-count limit
returns them). :func:`next_attempt_delay` turns that into the pause before the next Create.
Its memory travels in the request's state between invocations, so it is plain JSON.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class QueueSettings:
    """The policy's time scale."""

    base: float = 2.0
    """The first pause after a refusal."""
    cap: float = 20.0
    """The longest pause."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> QueueSettings:
        return cls(
            base=max(float(environ.get("QUEUE_BASE_SECONDS", cls.base)), 0.001),
            cap=max(float(environ.get("QUEUE_CAP_SECONDS", cls.cap)), 0.001),
        )


@dataclass(frozen=True)
class JobSeen:
    """A job of the kind in progress, as List shows it."""

    arn: str
    status: str
    created: float | None

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> JobSeen:
        created = summary.get("CreationTime")
        arn = next((str(value) for key, value in summary.items() if key.endswith("Arn") and isinstance(value, str)), "")
        return cls(arn, str(summary.get("Status", "")), created.timestamp() if isinstance(created, datetime) else None)


def next_attempt_delay(
    settings: QueueSettings,
    memory: Mapping[str, Any],
    in_progress: Sequence[JobSeen],
    now: float,
    rng: random.Random,
) -> tuple[float, dict[str, Any]]:
    """The pause before the next Create, and the memory to keep.

    Capped exponential growth with jitter over the refusals seen.
    """
    attempts = int(memory.get("attempts", 0)) + 1
    interval = min(settings.cap, settings.base * 1.5 ** (attempts - 1))
    return rng.uniform(0.5, 1.5) * interval, {"attempts": attempts}
