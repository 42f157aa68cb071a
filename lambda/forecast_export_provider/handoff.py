"""When an invocation stops working on a request and hands it to the next one, and how long the hand-over may take."""

from __future__ import annotations

import math

FORECAST_CONNECT_TIMEOUT = 3.0
FORECAST_READ_TIMEOUT = 12.0
INVOKE_CONNECT_TIMEOUT = 2.0
INVOKE_READ_TIMEOUT = 5.0
INVOKE_BUDGET_SECONDS = 16.0
"""Time for the hand-over: two Invoke attempts at their timeouts, and a backoff between them."""
HANDOFF_RESERVE_SECONDS = 2 * (FORECAST_CONNECT_TIMEOUT + FORECAST_READ_TIMEOUT) + INVOKE_BUDGET_SECONDS + 4.0
"""Time kept back at the end of an invocation: a step's two slowest Forecast calls, the hand-over
and a margin before crhelper's guard, which answers FAILED half a second before the end."""
MIN_HANDOFF_RESERVE_SECONDS = 2.0
INVOKE_END_MARGIN_SECONDS = 0.75
"""An Invoke attempt ends at least this long before the invocation does: crhelper's guard answers
half a second before the end, and a failed hand-over's own answer needs the rest."""
MIN_INVOKE_ATTEMPT_SECONDS = 0.25
"""The shortest Invoke attempt worth starting (a local Invoke answers in tens of milliseconds)."""


def handoff_reserve(remaining: float) -> float:
    """How much of an invocation's remaining time to keep for the hand-over."""
    reserve = min(HANDOFF_RESERVE_SECONDS, max(MIN_HANDOFF_RESERVE_SECONDS, remaining / 4))
    # An invocation with almost no time left still does one step before handing over.
    return min(reserve, remaining * 0.75)


def handoff_time(now: float, remaining: float) -> float:
    """When this invocation must stop waiting and hand the request to the next one."""
    return now + remaining - handoff_reserve(remaining)


def invoke_timeouts(remaining: float) -> tuple[float, float] | None:
    """Connect and read timeouts of an Invoke attempt that ends before crhelper's guard; None: too late.

    A long invocation's attempts get the full timeouts; a short one's (an invocation of seconds)
    are cut to the time left, in quarter seconds so that few clients are built for them.
    """
    budget = remaining - INVOKE_END_MARGIN_SECONDS
    if budget < MIN_INVOKE_ATTEMPT_SECONDS:
        return None
    full = INVOKE_CONNECT_TIMEOUT + INVOKE_READ_TIMEOUT
    if budget >= full:
        return INVOKE_CONNECT_TIMEOUT, INVOKE_READ_TIMEOUT
    connect = max(0.25, math.floor(budget * INVOKE_CONNECT_TIMEOUT / full * 4) / 4)
    read = math.floor((budget - connect) * 4) / 4
    return (connect, read) if read > 0 else (budget / 2, budget / 2)
