"""Fixtures of the in-process lifecycle tests: a manual clock, the in-memory Forecast and a Lifecycle on them.

They live in this folder's conftest because the rest of the tests know ``forecast`` as the HTTP
stand-in of tests/conftest.py.
"""

from __future__ import annotations

import pytest

from forecast_export_provider.lifecycle import Lifecycle
from tests.standins.memory_forecast import ManualClock, MemoryForecast, lifecycle_on


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def forecast(clock: ManualClock) -> MemoryForecast:
    return MemoryForecast(clock, duration=60.0)


@pytest.fixture
def lifecycle(forecast: MemoryForecast, clock: ManualClock) -> Lifecycle:
    return lifecycle_on(forecast, clock)
