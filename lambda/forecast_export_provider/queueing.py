"""When a Create refused by Forecast's concurrent-jobs quota tries again.

A request waiting for a slot does not know how many others wait with it, but the kind's List
shows what it needs: the jobs in progress (when each started) and the jobs that finished (how long
they took). The next slot should free when the oldest job in progress has run as long as the
shortest recent job. Every waiter of the kind reads the same List, so they all predict the same
moment; from it on, they try on one shared grid of ``poll`` seconds, and within each grid step
the request that has queued longest tries first (:func:`turn_offset`). A slot thus goes, most of
the time, to the oldest waiter: first come, first served, as far as waiters that cannot see each
other can keep it. Without a prediction a waiter polls at random. ``benchmarks/queue_model.py``
compares policies; ``docs/benchmarks.md`` has the figures.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

QUOTA = 3
"""Forecast's default quota of export jobs of one kind in progress at once."""
IN_PROGRESS = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_STOPPING"})
"""The states that hold a slot of the quota: a job being stopped still holds its slot."""
STOPPING = "CREATE_STOPPING"
RECENT_DURATIONS = 5


@dataclass(frozen=True)
class QueueSettings:
    """The policy's time scale."""

    poll: float = 6.0
    """The step of the shared grid of attempts after a predicted slot; without a prediction, the
    polling interval (± 50 %)."""
    retry: float = 1.0
    """The pause (± 50 %) when the List shows a free slot: the refusal was a moment too early."""
    margin: float = 0.1
    """How much earlier than the shortest recent duration the next slot is expected."""
    seniority: float = 300.0
    """The time scale of the order within a grid step: a waiter's offset is the step times
    exp(-queued seconds / seniority)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> QueueSettings:
        return cls(
            poll=max(float(environ.get("QUEUE_POLL_SECONDS", cls.poll)), 0.001),
            retry=max(float(environ.get("QUEUE_RETRY_SECONDS", cls.retry)), 0.001),
        )


@dataclass(frozen=True)
class JobSeen:
    """An export job of the kind, as a List shows it."""

    created: float
    finished: float | None
    """When the job left the states that hold a slot (its LastModificationTime), or None."""
    stopping: bool = False
    """In CREATE_STOPPING: it holds a slot, and frees it soon, at a moment no duration predicts."""

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> JobSeen | None:
        created, modified = summary.get("CreationTime"), summary.get("LastModificationTime")
        if not isinstance(created, datetime):
            return None
        status = summary.get("Status")
        if status in IN_PROGRESS:
            return cls(created.timestamp(), None, stopping=status == STOPPING)
        finished = modified.timestamp() if isinstance(modified, datetime) else None
        return cls(created.timestamp(), finished) if finished is not None else None


def predicted_free_slot(jobs: Sequence[JobSeen], margin: float, recent: int = RECENT_DURATIONS) -> float | None:
    """When the first job in progress may finish: the oldest one's start plus the shortest of the
    ``recent`` latest durations, less ``margin`` of it. None without both, or while a job is being
    stopped (its slot frees at a moment no duration predicts)."""
    if any(job.stopping for job in jobs):
        return None
    finished = sorted((job for job in jobs if job.finished is not None), key=lambda job: job.finished or 0.0)
    durations = [job.finished - job.created for job in finished[-recent:] if job.finished is not None]
    started = [job.created for job in jobs if job.finished is None]
    if not durations or not started:
        return None
    return min(started) + (1 - margin) * min(durations)


def turn_offset(settings: QueueSettings, queued_seconds: float, rng: random.Random) -> float:
    """Where in a grid step a waiter that has queued ``queued_seconds`` tries: the longer it has
    queued, the earlier. The random tenth breaks ties between waiters that arrived together."""
    return settings.poll * math.exp(-max(queued_seconds, 0.0) / settings.seniority) * rng.uniform(0.9, 1.0)


def next_attempt_delay(
    settings: QueueSettings, jobs: Sequence[JobSeen], now: float, rng: random.Random, queued_since: float | None = None
) -> float:
    """Seconds to wait before the next Create, given the kind's jobs (all of those in progress).

    ``queued_since`` is when this request first queued (None: now).
    """
    if sum(1 for job in jobs if job.finished is None) < QUOTA:
        return settings.retry * rng.uniform(0.5, 1.5)
    predicted = predicted_free_slot(jobs, settings.margin)
    if predicted is None:
        return settings.poll * rng.uniform(0.5, 1.5)
    since = now if queued_since is None else queued_since
    # One try per step: a refusal at or after the predicted slot was this waiter's try in the
    # current step (or came between two), so its next turn is in the next step.
    step = 0 if now < predicted else math.floor((now - predicted) / settings.poll) + 1
    moment = predicted + step * settings.poll
    return moment + turn_offset(settings, moment - since, rng) - now
