"""Virtual time shared by many threads: each thread sleeps on one clock, and time jumps ahead.

A :class:`Conductor` runs one thread at a time. A thread runs until it calls :meth:`Conductor.sleep`
(or finishes); the conductor then moves virtual time to the earliest pending wake-up and lets that
thread run. Time therefore advances only when every thread is asleep or finished, and never while
a thread is working (for instance, waiting for an HTTP answer from a stand-in that reads
:meth:`Conductor.now`). Wake-ups at the same instant run in the order their sleeps were requested,
so a run is deterministic for a given seed, whatever the machine's load.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import traceback
from collections.abc import Callable


class Conductor:
    """A virtual clock (``now``, ``sleep``) for many threads, run one at a time."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._wakeups: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._done = threading.Event()
        self.errors: list[str] = []
        """Tracebacks of threads that raised (the run goes on without them)."""

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        """Block the calling thread until virtual time reaches now + ``seconds``."""
        event = threading.Event()
        with self._lock:
            heapq.heappush(self._wakeups, (self._now + max(0.0, seconds), next(self._order), event))
        self._pass_on()
        event.wait()

    def spawn(self, work: Callable[[], None], *, at: float | None = None, name: str | None = None) -> None:
        """Run ``work`` in a new thread, starting at virtual time ``at`` (default: now)."""
        event = threading.Event()
        with self._lock:
            heapq.heappush(self._wakeups, (self._now if at is None else at, next(self._order), event))

        def body() -> None:
            event.wait()
            try:
                work()
            except BaseException:
                self.errors.append(traceback.format_exc())
            finally:
                self._pass_on()

        thread = threading.Thread(target=body, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def run(self, timeout: float | None = None) -> None:
        """Let the spawned threads run until every one has finished (``timeout``: wall seconds)."""
        self._pass_on()
        if not self._done.wait(timeout):
            raise TimeoutError(f"virtual-time run still going after {timeout} s of wall time")
        for thread in self._threads:
            thread.join()

    def _pass_on(self) -> None:
        """The running thread stops: wake the next one, or signal the end when none is left."""
        with self._lock:
            if not self._wakeups:
                self._done.set()
                return
            moment, _, event = heapq.heappop(self._wakeups)
            self._now = max(self._now, moment)
        event.set()
