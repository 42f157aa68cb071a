"""CloudFormation's side of a custom-resource request: it times the request out at its ServiceTimeout.

CloudFormation waits for the provider's answer at most ``ServiceTimeout`` seconds (a property of the
custom resource, passed to the provider as a string among the ResourceProperties; default and
maximum 3,600) after it sends the request. Past that the request has TIMED OUT: the resource fails
with no PhysicalResourceId, and an answer that arrives later is ignored. This stand-in applies that
rule to the answers a :class:`~tests.standins.cfn_endpoint.ResponseEndpoint` receives.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .cfn_endpoint import ResponseEndpoint

DEFAULT_SERVICE_TIMEOUT = 3600.0
SUCCESS = "SUCCESS"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"


@dataclass(frozen=True)
class _Sent:
    at: float
    service_timeout: float


class CloudFormationStandIn:
    """Tracks when each request was sent and decides its outcome as CloudFormation would.

    ``clock`` must be the endpoint's arrival clock (``time.monotonic``); it is injectable for tests.
    """

    def __init__(self, endpoint: ResponseEndpoint, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.endpoint = endpoint
        self.clock = clock
        self._lock = threading.Lock()
        self._sent: dict[str, _Sent] = {}

    def sent(self, event: Mapping[str, Any], at: float | None = None) -> None:
        """Record that ``event`` was sent to the provider now (or ``at``); a repeat keeps the first time."""
        url = event["ResponseURL"]
        timeout = service_timeout(event)
        with self._lock:
            self._sent.setdefault(url, _Sent(self.clock() if at is None else at, timeout))

    def service_timeout(self, url: str) -> float:
        """The request's ServiceTimeout in seconds."""
        return self._record(url).service_timeout

    def deadline(self, url: str) -> float:
        """When (on ``clock``) CloudFormation stops waiting for the answer."""
        record = self._record(url)
        return record.at + record.service_timeout

    def arrival(self, url: str) -> float | None:
        """Seconds from sending to the first answer (in time or late), or None if none came yet."""
        times = self.endpoint.arrival_times(url)
        return times[0] - self._record(url).at if times else None

    def outcome(self, url: str) -> str | None:
        """``SUCCESS`` or ``FAILED`` (the first answer, if it came in time), ``TIMED_OUT``, or None
        while CloudFormation is still waiting."""
        deadline = self.deadline(url)
        for arrived, response in zip(self.endpoint.arrival_times(url), self.endpoint.responses(url), strict=False):
            if arrived <= deadline:
                return SUCCESS if response.get("Status") == SUCCESS else FAILED
            break
        return TIMED_OUT if self.clock() > deadline else None

    def answer(self, url: str) -> dict[str, Any] | None:
        """The answer CloudFormation acted on (None if the request timed out or is still waiting)."""
        deadline = self.deadline(url)
        times = self.endpoint.arrival_times(url)
        if times and times[0] <= deadline:
            return self.endpoint.responses(url)[0]
        return None

    def late_answers(self, url: str) -> list[dict[str, Any]]:
        """Answers that arrived after the ServiceTimeout: recorded, and ignored by CloudFormation."""
        deadline = self.deadline(url)
        times = self.endpoint.arrival_times(url)
        responses = self.endpoint.responses(url)
        return [response for arrived, response in zip(times, responses, strict=False) if arrived > deadline]

    def wait_outcome(self, url: str, timeout: float | None = None) -> str:
        """Block until the outcome is known (an answer, or the ServiceTimeout running out).

        ``timeout`` (seconds of real time) bounds the wait; TimeoutError if it passes first.
        """
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            outcome = self.outcome(url)
            if outcome is not None:
                return outcome
            remaining = self.deadline(url) - self.clock()
            if give_up is not None:
                if time.monotonic() >= give_up:
                    raise TimeoutError(f"no outcome within {timeout:.1f} s for {url.split('?')[0]}")
                remaining = min(remaining, give_up - time.monotonic())
            with contextlib.suppress(TimeoutError):
                self.endpoint.wait_for_response(url, timeout=max(0.01, min(remaining, 0.5)))

    def _record(self, url: str) -> _Sent:
        with self._lock:
            if url not in self._sent:
                raise KeyError(f"no request with this ResponseURL was sent: {url.split('?')[0]}")
            return self._sent[url]


def service_timeout(event: Mapping[str, Any]) -> float:
    """The ServiceTimeout that CloudFormation applies to ``event`` (from its ResourceProperties)."""
    value = (event.get("ResourceProperties") or {}).get("ServiceTimeout")
    if value is None:
        return DEFAULT_SERVICE_TIMEOUT
    seconds = float(value)
    if not 1 <= seconds <= DEFAULT_SERVICE_TIMEOUT:
        raise ValueError(f"ServiceTimeout must be 1..3600 seconds, not {value!r}")
    return seconds
