"""When a Create refused by Forecast's concurrent-jobs quota tries again.

A request waiting for a slot does not know how many others wait with it, but one List page of the
kind's exports shows what it needs: the jobs in progress (when each started) and the jobs that
finished (how long they took). The next slot should free when the oldest job in progress has run
as long as the shortest recent job. A waiter sleeps until a little before that, then tries within
a spread; without a prediction it polls. Many waiters thus converge on each freed slot within
seconds, without polling all the time. ``benchmarks/queue_model.py`` compares this policy with
others; ``docs/benchmarks.md`` has the figures.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

QUOTA = 3
"""Forecast's default quota of export jobs of one kind in progress at once."""
IN_PROGRESS = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
RECENT_DURATIONS = 5


@dataclass(frozen=True)
class QueueSettings:
    """The policy's time scale."""

    poll: float = 6.0
    """The polling interval without a prediction (± 50 %), and the spread after a predicted slot."""
    retry: float = 1.0
    """The pause (± 50 %) when the List shows a free slot: the refusal was a moment too early."""
    margin: float = 0.1
    """How much earlier than the shortest recent duration the next slot is expected."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> QueueSettings:
        return cls(
            poll=max(float(environ.get("QUEUE_POLL_SECONDS", cls.poll)), 0.001),
            retry=max(float(environ.get("QUEUE_RETRY_SECONDS", cls.retry)), 0.001),
        )


@dataclass(frozen=True)
class JobSeen:
    """An export job of the kind, as a List page shows it."""

    created: float
    finished: float | None
    """When the job left CREATE_PENDING/CREATE_IN_PROGRESS (its LastModificationTime), or None."""

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> JobSeen | None:
        created, modified = summary.get("CreationTime"), summary.get("LastModificationTime")
        if not isinstance(created, datetime):
            return None
        if summary.get("Status") in IN_PROGRESS:
            return cls(created.timestamp(), None)
        finished = modified.timestamp() if isinstance(modified, datetime) else None
        return cls(created.timestamp(), finished) if finished is not None else None


def predicted_free_slot(jobs: Sequence[JobSeen], margin: float, recent: int = RECENT_DURATIONS) -> float | None:
    """When the first job in progress may finish: the oldest one's start plus the shortest of the
    ``recent`` latest durations, less ``margin`` of it. None without both."""
    finished = sorted((job for job in jobs if job.finished is not None), key=lambda job: job.finished or 0.0)
    durations = [job.finished - job.created for job in finished[-recent:] if job.finished is not None]
    started = [job.created for job in jobs if job.finished is None]
    if not durations or not started:
        return None
    return min(started) + (1 - margin) * min(durations)


def next_attempt_delay(settings: QueueSettings, jobs: Sequence[JobSeen], now: float, rng: random.Random) -> float:
    """Seconds to wait before the next Create, given the kind's jobs from one List page."""
    if sum(1 for job in jobs if job.finished is None) < QUOTA:
        return settings.retry * rng.uniform(0.5, 1.5)
    predicted = predicted_free_slot(jobs, settings.margin)
    if predicted is not None and predicted > now:
        return predicted - now + rng.uniform(0, settings.poll)
    return settings.poll * rng.uniform(0.5, 1.5)
