"""Queueing policies under Forecast's quota, compared in a small pure model; and the recommended one.

The model (no handler, no stand-in): ``W`` requests of one kind arrive at once and compete for
:data:`QUOTA` slots; a Create succeeds when fewer than :data:`QUOTA` jobs are in progress, else it is
refused and the request's policy says how long to wait before the next attempt. A policy may look
at the kind's jobs first (one List call: every job's CreationTime, and for a finished job the
moment it left CREATE_*, which is its LastModificationTime). Job durations are fixed or spread
uniformly by ±jitter. Each request has its own random source, as separate Lambda invocations do.
Kinds do not interact (the quota and the rate goal are per kind), so one kind is simulated.

``python -m benchmarks.queueing --study`` prints the comparison (:func:`study`).
The recommended policy is :func:`next_attempt_delay` (with :func:`should_observe`), below the
``RECOMMENDED POLICY`` banner.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from forecast_export_provider import queueing
from forecast_export_provider.queueing import JobSeen, predicted_free_slot
from tests.standins.simulation import percentile

QUOTA = 3
"""Forecast's quota: export jobs of one kind in CREATE_PENDING, CREATE_IN_PROGRESS or CREATE_STOPPING."""


QueueMemory = dict[str, Any]
"""What a waiting request remembers between attempts: JSON-serializable, it travels between invocations."""


# --------------------------------------------------------------------------- shared figures


def queued_intervals(arrivals: Sequence[float], taken: Sequence[float]) -> list[tuple[float, float]]:
    """The union of [arrival, slot taken] over requests: when at least one request was queued."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(zip(arrivals, taken, strict=True)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def take_gaps(frees: Sequence[float], takes: Sequence[float], queued: Sequence[tuple[float, float]]) -> list[float]:
    """Seconds from each slot freed while a request was queued to the Create that took it.

    Freed slots and successful Creates pair first come, first served. A Create that finds a slot
    no queued request was waiting for (the first three, or one freed while nobody was queued) has
    no gap.
    """

    def waiting_at(moment: float) -> bool:
        return any(start <= moment < end for start, end in queued)

    events = sorted([(t, 0) for t in frees if waiting_at(t)] + [(t, 1) for t in takes])
    pending: deque[float] = deque()
    gaps: list[float] = []
    for moment, is_take in events:
        if not is_take:
            pending.append(moment)
        elif pending:
            gaps.append(moment - pending.popleft())
    return gaps


# --------------------------------------------------------------------------- policies


class Policy(Protocol):
    """How a refused request waits. ``observe`` says whether to List the kind's jobs first."""

    @property
    def name(self) -> str: ...

    def observe(self, memory: QueueMemory, now: float) -> bool: ...

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]: ...


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter (today's handler: base 1 s, cap 30 s)."""

    cap: float = 30.0
    base: float = 1.0

    @property
    def name(self) -> str:
        return f"exponential backoff, full jitter, base {self.base:g} s, cap {self.cap:g} s"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return False

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        attempt = int(memory.get("attempt", 0))
        return rng.uniform(0, min(self.cap, self.base * 2**attempt)), {"attempt": attempt + 1}


@dataclass(frozen=True)
class Fixed:
    """A fixed interval, jittered uniformly by ±50 %."""

    interval: float

    @property
    def name(self) -> str:
        return f"fixed interval {self.interval:g} s ± 50 %"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return False

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        return self.interval * rng.uniform(0.5, 1.5), memory


@dataclass(frozen=True)
class Predict:
    """List, predict the next free slot from in-progress jobs' ages and recent durations, and
    attempt within ``spread`` seconds after it; without a prediction, poll every ``interval`` ± 50 %."""

    interval: float = 10.0
    spread: float = 5.0
    margin: float = 0.0

    @property
    def name(self) -> str:
        early = f" {self.margin:.0%} early" if self.margin else ""
        return f"predict the next slot{early} (List), spread {self.spread:g} s, else poll {self.interval:g} s ± 50 %"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return True

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        jobs = observed or []
        if sum(1 for job in jobs if job.finished is None) < QUOTA:
            return rng.uniform(0, 1), memory
        predicted = predicted_free_slot(jobs, self.margin)
        if predicted is not None and predicted > now:
            return predicted - now + rng.uniform(0, self.spread), memory
        return self.interval * rng.uniform(0.5, 1.5), memory


@dataclass(frozen=True)
class GapFeedback:
    """List at every refusal; estimate the competing waiters from how fast freed slots were taken
    (each waiter polls every T, so the first Create after a slot frees comes about T / (W + 1)
    later) and set T so that the expected gap is ``target_gap``; optionally also predict."""

    target_gap: float = 1.5
    initial: float = 10.0
    predict: bool = False
    observe_every: int = 1

    @property
    def name(self) -> str:
        what = "predict + adapt to observed gaps" if self.predict else "adapt to observed gaps"
        every = "" if self.observe_every == 1 else f", List every {self.observe_every} refusals"
        return f"{what} (List), target gap {self.target_gap:g} s{every}"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return int(memory.get("refusals", 0)) % self.observe_every == 0

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        memory = dict(memory)
        memory["refusals"] = int(memory.get("refusals", 0)) + 1
        interval = float(memory.get("interval", self.initial))
        if observed is not None:
            if sum(1 for job in observed if job.finished is None) < QUOTA:
                return rng.uniform(0, 1), memory
            interval = adapted_interval(interval, observed, float(memory.get("seen", -math.inf)), self.target_gap)
            memory["seen"] = max((job.finished or -math.inf for job in observed), default=-math.inf)
            memory["interval"] = interval
            if self.predict:
                predicted = predicted_free_slot(observed, 0.0)
                if predicted is not None and predicted > now:
                    memory["predicted"] = predicted
        predicted_at = memory.get("predicted")
        if self.predict and predicted_at is not None and predicted_at > now:
            return predicted_at - now + rng.uniform(0, interval), memory
        return interval * rng.uniform(0.5, 1.5), memory


def observed_gaps(jobs: Sequence[JobSeen], after: float) -> list[float]:
    """For each slot freed after ``after``: seconds until the next job was created (if one was)."""
    created = sorted(job.created for job in jobs)
    gaps = []
    for job in jobs:
        if job.finished is None or job.finished <= after:
            continue
        taker = next((moment for moment in created if moment >= job.finished), None)
        if taker is not None:
            gaps.append(taker - job.finished)
    return gaps


def adapted_interval(interval: float, jobs: Sequence[JobSeen], after: float, target_gap: float) -> float:
    """The polling interval moved toward the one that makes freed slots be taken ``target_gap`` late.

    With W waiters each polling every T at random phases, a freed slot is taken about T / (W + 1)
    later: the new interval is T x target / (mean observed gap), damped by a square root, within
    [MIN_INTERVAL, MAX_INTERVAL].
    """
    gaps = observed_gaps(jobs, after)
    if not gaps:
        return interval
    mean_gap = max(statistics.fmean(gaps), 0.05)
    return min(MAX_INTERVAL, max(MIN_INTERVAL, interval * math.sqrt(target_gap / mean_gap)))


MIN_INTERVAL = 1.0
MAX_INTERVAL = 120.0


# --------------------------------------------------------------------------- the model


@dataclass
class ModelRun:
    """One simulated queue: W requests, one kind."""

    waiters: int
    job_seconds: float
    total: float
    creates: int
    refused: int
    lists: int
    queued_seconds: float
    gaps: list[float] = field(default_factory=list)
    overtaken: int = 0
    """Pairs of requests in which the later arrival took its slot first."""
    pairs: int = 0
    longest_wait: float = 0.0
    longest_fair_wait: float = 0.0
    """The longest wait had the same slots gone to the requests in the order they arrived."""

    @property
    def ideal(self) -> float:
        return math.ceil(self.waiters / QUOTA) * self.job_seconds


def simulate(
    policy: Policy, *, waiters: int, job_seconds: float, jitter: float = 0.0, seed: int = 0, spacing: float = 0.0
) -> ModelRun:
    """Run ``waiters`` requests, one every ``spacing`` seconds from 0, through the quota under
    ``policy`` (virtual seconds)."""
    durations = random.Random(f"durations/{seed}")
    rngs = [random.Random(f"{seed}/{index}") for index in range(waiters)]
    arrivals = [index * spacing for index in range(waiters)]
    memories: list[QueueMemory] = [{"queued_since": arrival} for arrival in arrivals]
    jobs: list[tuple[float, float]] = []  # (created, finished)
    taken = [math.inf] * waiters
    wakeups = [(arrivals[index], index, index) for index in range(waiters)]
    heapq.heapify(wakeups)
    order = waiters
    creates = refused = lists = 0
    while wakeups:
        now, _, index = heapq.heappop(wakeups)
        creates += 1
        if sum(1 for _, end in jobs if end > now) < QUOTA:
            jobs.append((now, now + job_seconds * (1 + durations.uniform(-jitter, jitter))))
            taken[index] = now
            continue
        refused += 1
        observed = None
        if policy.observe(memories[index], now):
            lists += 1
            observed = [JobSeen(created, end if end <= now else None) for created, end in jobs]
        delay, memories[index] = policy.delay(memories[index], observed, now, rngs[index])
        order += 1
        heapq.heappush(wakeups, (now + max(0.0, delay), order, index))
    queued = queued_intervals(arrivals, taken)
    fair = [take - arrival for take, arrival in zip(sorted(taken), arrivals, strict=True)]
    return ModelRun(
        waiters=waiters,
        job_seconds=job_seconds,
        total=max(end for _, end in jobs),
        creates=creates,
        refused=refused,
        lists=lists,
        queued_seconds=sum(end - start for start, end in queued),
        gaps=take_gaps([end for _, end in jobs], [created for created, _ in jobs], queued),
        overtaken=sum(1 for i in range(waiters) for j in range(i + 1, waiters) if taken[j] < taken[i]),
        pairs=waiters * (waiters - 1) // 2 if spacing > 0 else 0,
        longest_wait=max(take - arrival for take, arrival in zip(taken, arrivals, strict=True)),
        longest_fair_wait=max(fair),
    )


@dataclass
class Summary:
    """A policy's figures over several seeds."""

    ratio: float
    """Mean of total time / ideal."""
    worst_ratio: float
    create_rate: float
    """Create calls per second while queued (all runs pooled)."""
    gap_p50: float
    gap_p95: float
    gap_max: float
    list_rate: float
    """List calls per second while queued."""


def summarize(runs: Sequence[ModelRun]) -> Summary:
    queued = sum(run.queued_seconds for run in runs)
    gaps = [gap for run in runs for gap in run.gaps]
    ratios = [run.total / run.ideal for run in runs]
    return Summary(
        ratio=statistics.fmean(ratios),
        worst_ratio=max(ratios),
        create_rate=sum(run.creates for run in runs) / queued,
        gap_p50=percentile(gaps, 50),
        gap_p95=percentile(gaps, 95),
        gap_max=max(gaps, default=math.nan),
        list_rate=sum(run.lists for run in runs) / queued,
    )


def candidates() -> list[Policy]:
    """The policies compared in the study, today's first."""
    return [
        Backoff(cap=30.0),
        Backoff(cap=10.0),
        Backoff(cap=60.0),
        Fixed(5.0),
        Fixed(20.0),
        Predict(interval=10.0, spread=5.0),
        SIMPLEST,
        GapFeedback(target_gap=1.5),
        RECOMMENDED,
    ]


STUDY_CASES: tuple[tuple[str, float, float], ...] = (
    ("5 min", 300.0, 0.0),
    ("5 min ± 20 %", 300.0, 0.2),
    ("1 min", 60.0, 0.0),
    ("1 min ± 20 %", 60.0, 0.2),
)
STUDY_WAITERS = 25
STUDY_SEEDS = 20


def study_table(policies: Sequence[Policy], *, waiters: int, seeds: int, seed: int) -> str:
    """One row per policy and job length, ``seeds`` runs each; the goals a row misses are named."""
    header = [
        "policy",
        "jobs",
        "total / ideal (mean, worst)",
        "Create /s per kind while queued",
        "gap p50 / p95 / max (s)",
        "List /s per kind",
        "goals missed",
    ]
    rows = []
    for policy in policies:
        for title, job_seconds, jitter in STUDY_CASES:
            runs = [
                simulate(policy, waiters=waiters, job_seconds=job_seconds, jitter=jitter, seed=seed * 1000 + run)
                for run in range(seeds)
            ]
            s = summarize(runs)
            missed = []
            if s.worst_ratio > (1.1 if job_seconds >= 300 else 1.25):
                missed.append("total")
            if s.create_rate > 1.0:
                missed.append("rate")
            if s.gap_p95 > 5.0:
                missed.append("gap")
            rows.append(
                [
                    policy.name,
                    title,
                    f"{s.ratio:.3f}, {s.worst_ratio:.3f}",
                    f"{s.create_rate:.2f}",
                    f"{s.gap_p50:.1f} / {s.gap_p95:.1f} / {s.gap_max:.1f}",
                    f"{s.list_rate:.2f}",
                    ", ".join(missed) or "none",
                ]
            )
    align = ["---", "---"] + ["---:"] * (len(header) - 2)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def study(seed: int = 1, *, seeds: int = STUDY_SEEDS, waiters: int = STUDY_WAITERS) -> str:
    """The comparison (every candidate, 25 waiters) and a harder case (60 waiters, three policies)."""
    goals = (
        "goals: total/ideal <= 1.1 (5-min jobs) or 1.25 (1-min jobs) in every run, at most 1 Create/s "
        "per kind while queued, gap from a freed slot to the Create that takes it <= 5 s at p95"
    )
    return (
        f"Policy study (pure model): {waiters} requests of one kind arriving at once, quota {QUOTA}, "
        f"{seeds} seeded runs per cell; {goals}.\n\n"
        + study_table(candidates(), waiters=waiters, seeds=seeds, seed=seed)
        + f"\n\nHarder: {ROBUSTNESS_WAITERS} requests of one kind, {seeds // 2} runs per cell.\n\n"
        + study_table(
            [Backoff(cap=30.0), SIMPLEST, RECOMMENDED], waiters=ROBUSTNESS_WAITERS, seeds=seeds // 2, seed=seed
        )
        + "\n\nOrder: requests arriving one after another, the handler's policy with and without turns, "
        + f"{seeds // 2} runs per cell.\n\n"
        + fairness_table(seeds=seeds // 2, seed=seed)
    )


ROBUSTNESS_WAITERS = 60


# =========================================================================== RECOMMENDED POLICY
#
# Drop-in for the handler: after a Create refused with LimitExceededException while jobs of the
# kind are in progress, call ``should_observe(memory, now)``; if True, List the kind's jobs (one
# page, newest first, no filter) and pass them as ``observed`` (else None); sleep the returned
# delay, keep the returned memory in the request's state, and try the Create again.

TARGET_GAP = 0.8
"""Seconds from a slot freeing to a queued Create taking it, on average, that the interval aims at."""
BASE_INTERVAL = 3.0
"""The shortest polling interval, for the last few waiters."""
FIRST_INTERVAL = 8.0
"""Polling interval before any slot has been seen freeing and taken (the competition is unknown)."""
HISTORY = 12
"""How many recent freed-and-taken slots the estimate of the competition uses."""
DURATION_MARGIN = 0.1
"""Fraction of the shortest duration seen by which the predicted free slot is brought forward..."""
FEW_DURATIONS_MARGIN = 0.2
"""... plus this much divided by the number of durations seen (few durations, more doubt)."""
MAX_GROWTH = 2.0
"""The interval at most doubles per List: an estimate from a few gaps may be far too high."""


def should_observe(memory: QueueMemory, now: float) -> bool:
    """Whether to List the kind's jobs before calling :func:`next_attempt_delay` (always, today)."""
    return True


def next_attempt_delay(
    memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
) -> tuple[float, QueueMemory]:
    """Seconds to wait before the next Create, and the memory to keep, after a refused Create.

    ``memory`` starts as ``{}`` and is what this function returned last time (JSON: it travels in
    the request's state between invocations). ``observed`` is the kind's jobs from one List call
    made just before (None if :func:`should_observe` said not to List). ``now`` is epoch seconds.

    Every waiter polls at the same interval T, at random phases. With W waiters, a freed slot is
    then taken about T / (W + 1) after it frees; the slots freed and taken that the List shows
    thus estimate the waiters (:func:`estimated_waiters`, which counts the takes since as waiters
    gone). T is set to (estimated waiters + 1) x TARGET_GAP, at least BASE_INTERVAL and at most
    doubling per List: the kind's waiters together make about one Create per TARGET_GAP seconds
    while they poll, and T shrinks as the queue drains (FIRST_INTERVAL before any slot was seen
    taken). A free slot in the List: try again within a second. When the durations of the
    finished jobs predict that no job in progress ends within one interval (the oldest one's start
    plus the shortest duration seen, less a margin that is wider when few durations are known),
    sleep until then plus a random part of one interval.
    """
    memory = dict(memory)
    history: list[list[float]] = [list(entry) for entry in memory.get("intervals", [])]
    interval = history[-1][1] if history else FIRST_INTERVAL
    if observed is not None:
        in_progress = [job.created for job in observed if job.finished is None]
        if len(in_progress) < QUOTA:
            return rng.uniform(0, 1), memory
        estimate = estimated_waiters(observed, history or [[-math.inf, interval]], now)
        if estimate is not None:
            wanted = min(MAX_INTERVAL, max(BASE_INTERVAL, (estimate + 1) * TARGET_GAP))
            interval = min(wanted, interval * MAX_GROWTH)
            if not history or history[-1][1] != interval:
                history = [*history, [now, interval]][-HISTORY:]
        durations_seen = sum(1 for job in observed if job.finished is not None)
        margin = DURATION_MARGIN + FEW_DURATIONS_MARGIN / max(durations_seen, 1)
        predicted = predicted_free_slot(observed, margin, recent=len(observed))
        memory["predicted"] = predicted if predicted is not None and predicted > now else None
    if not history:
        history = [[now, interval]]
    memory["intervals"] = history
    predicted_at = memory.get("predicted")
    if predicted_at is not None and predicted_at - now > interval:
        return predicted_at - now + rng.uniform(0, interval), memory
    return interval * rng.uniform(0.5, 1.5), memory


def estimated_waiters(observed: Sequence[JobSeen], intervals: Sequence[Sequence[float]], now: float) -> float | None:
    """How many requests are still queued for the kind, from the recent slots freed and taken.

    Freed slots pair with the Creates that took them, first come first served. With N waiters
    polling every T at random phases, the wait for the next take once a slot is free (and the
    previous taker served) averages T / (N + 1); take it as exponential. The N waiters at take j
    are the W waiters now, the k_j takes since and the taker itself, so the maximum-likelihood W
    solves sum 1 / (W + k_j + 2) = sum gap_j / T_j over the observed takes j.
    """
    created = sorted(job.created for job in observed)
    freed = sorted(job.finished for job in observed if job.finished is not None)
    samples: list[tuple[float, int]] = []  # (gap / interval, takes since)
    previous_take = -math.inf
    takers = iter(created)
    taker = next(takers, None)
    for moment in freed:
        while taker is not None and taker < moment:
            taker = next(takers, None)
        if taker is None:
            break
        gap = taker - max(moment, previous_take)
        interval = next((t for since, t in reversed(intervals) if since <= moment), intervals[0][1])
        samples.append((max(gap, 0.0) / interval, len(created) - bisect.bisect_right(created, taker)))
        previous_take = taker
        taker = next(takers, None)
    samples = samples[-HISTORY:]
    if not samples:
        return None
    observed_time = sum(scaled for scaled, _ in samples)

    def excess(waiters: float) -> float:
        return sum(1 / (waiters + since + 2) for _, since in samples) - observed_time

    low, high = 0.0, 1000.0
    if excess(low) <= 0:
        return 0.0
    if excess(high) > 0:
        return high
    for _ in range(25):  # to within 1000 / 2**25 of a waiter
        middle = (low + high) / 2
        low, high = (middle, high) if excess(middle) > 0 else (low, middle)
    return low


@dataclass(frozen=True)
class Recommended:
    """:func:`next_attempt_delay` as a study candidate."""

    name: str = "RECOMMENDED: estimate the waiters from freed-slot gaps, count down, predict"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return should_observe(memory, now)

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        return next_attempt_delay(memory, observed, now, rng)


RECOMMENDED: Policy = Recommended()

SIMPLEST: Policy = Predict(interval=8.0, spread=8.0, margin=0.1)
"""The simplest policy that comes close: List, sleep until 10 % before the predicted free slot,
then poll every 8 s ± 50 %."""


@dataclass(frozen=True)
class Handler:
    """The handler's own policy (``forecast_export_provider.queueing``): the predicted slot, then
    turns on a shared grid, the request queued longest first (``turns=False``: the lottery it
    replaced, a try at a random moment of each step)."""

    turns: bool = True
    settings: queueing.QueueSettings = field(default_factory=queueing.QueueSettings)

    @property
    def name(self) -> str:
        return "handler: predict, then turns oldest first" if self.turns else "handler before: predict, then lottery"

    def observe(self, memory: QueueMemory, now: float) -> bool:
        return True

    def delay(
        self, memory: QueueMemory, observed: Sequence[JobSeen] | None, now: float, rng: random.Random
    ) -> tuple[float, QueueMemory]:
        jobs = observed or []
        if not self.turns:
            return lottery_delay(self.settings, jobs, now, rng), memory
        since = float(memory.get("queued_since", now))
        return queueing.next_attempt_delay(self.settings, jobs, now, rng, since), memory


def lottery_delay(settings: queueing.QueueSettings, jobs: Sequence[JobSeen], now: float, rng: random.Random) -> float:
    """The handler's policy before the turns: a random moment within a poll after the predicted slot."""
    if sum(1 for job in jobs if job.finished is None) < QUOTA:
        return settings.retry * rng.uniform(0.5, 1.5)
    predicted = predicted_free_slot(jobs, settings.margin)
    if predicted is not None and predicted > now:
        return predicted - now + rng.uniform(0, settings.poll)
    return settings.poll * rng.uniform(0.5, 1.5)


FAIRNESS_CASES: tuple[tuple[str, int, float, float, float], ...] = (
    ("30, one every 20 s, 5 min", 30, 20.0, 300.0, 0.0),
    ("30, one every 20 s, 5 min ± 20 %", 30, 20.0, 300.0, 0.2),
    ("30, one every 5 s, 1 min", 30, 5.0, 60.0, 0.0),
    ("30, one every 5 s, 1 min ± 20 %", 30, 5.0, 60.0, 0.2),
)


def fairness_table(seeds: int = 10, seed: int = 1) -> str:
    """The handler's policy with and without turns, requests arriving one after another."""
    header = [
        "policy",
        "requests, jobs",
        "total / ideal (worst)",
        "Create /s while queued",
        "gap p95 (s)",
        "overtaken (% of pairs)",
        "longest wait: actual / first come, first served (s, mean)",
    ]
    rows = []
    for policy in (Handler(turns=False), Handler()):
        for title, waiters, spacing, job_seconds, jitter in FAIRNESS_CASES:
            runs = [
                simulate(
                    policy,
                    waiters=waiters,
                    job_seconds=job_seconds,
                    jitter=jitter,
                    seed=seed * 1000 + run,
                    spacing=spacing,
                )
                for run in range(seeds)
            ]
            s = summarize(runs)
            rows.append(
                [
                    policy.name,
                    title,
                    f"{s.worst_ratio:.3f}",
                    f"{s.create_rate:.2f}",
                    f"{s.gap_p95:.1f}",
                    f"{100 * sum(r.overtaken for r in runs) / sum(r.pairs for r in runs):.0f}",
                    f"{statistics.fmean(r.longest_wait for r in runs):,.0f} / "
                    f"{statistics.fmean(r.longest_fair_wait for r in runs):,.0f}",
                ]
            )
    align = ["---", "---"] + ["---:"] * (len(header) - 2)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
