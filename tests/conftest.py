"""Shared fixtures: the Forecast, Lambda and CloudFormation-response stand-ins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.forecast import ForecastStandIn
from tests.standins.lambda_service import LambdaServiceStandIn


@pytest.fixture
def forecast() -> Iterator[ForecastStandIn]:
    """A started Forecast stand-in with fast jobs (pending 0.05 s, 0.5 s to ACTIVE)."""
    with ForecastStandIn(pending_seconds=0.05, duration=0.5, stop_seconds=0.2, delete_seconds=0.2) as service:
        yield service


@pytest.fixture
def lambda_service() -> Iterator[LambdaServiceStandIn]:
    """A started Lambda Invoke stand-in."""
    with LambdaServiceStandIn() as service:
        yield service


@pytest.fixture
def response_endpoint() -> Iterator[ResponseEndpoint]:
    """A started HTTPS receiver of custom-resource responses (CA in ``ca_bundle_path``)."""
    with ResponseEndpoint() as endpoint:
        yield endpoint
