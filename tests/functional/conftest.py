"""The real handler, run through the CloudFormation custom-resource protocol against the stand-ins.

Each invocation is a fresh process that sees only the staged code (the provider package and
crhelper) plus boto3, as in Lambda. Forecast and Lambda calls reach the stand-ins through
``AWS_ENDPOINT_URL_FORECAST`` and ``AWS_ENDPOINT_URL_LAMBDA``; everything else is sent to a closed
port, so that a call to any other service fails loudly. Responses travel over HTTPS to 127.0.0.1.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.cloudformation import CloudFormationStandIn
from tests.standins.events import load_event
from tests.standins.forecast import ForecastStandIn
from tests.standins.lambda_runtime import LambdaRuntime, stage_code
from tests.standins.lambda_service import LambdaServiceStandIn

HANDLER = "forecast_export_provider.entrypoint.handler"
FAST_ENVIRONMENT = {
    "POLL_INTERVAL_SECONDS": "0.2",
    "TOTAL_WAIT_SECONDS": "40",
    "RETRY_BASE_SECONDS": "0.02",
    "RETRY_CAP_SECONDS": "0.3",
    "QUEUE_POLL_SECONDS": "0.3",
    "QUEUE_RETRY_SECONDS": "0.05",
    "LOOK_AGAIN_SECONDS": "0.05",
    "LIMIT_RECHECK_SECONDS": "0.3",
    # The most verbose level, to prove that nothing secret is logged even then.
    "LOG_LEVEL": "DEBUG",
}


@pytest.fixture(scope="session")
def provider_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The function's code as the asset carries it: the provider package and crhelper."""
    return stage_code(tmp_path_factory.mktemp("provider") / "code", ["forecast_export_provider", "crhelper"])


@dataclass
class Deployment:
    """One provider function wired to the stand-ins, and a way to send it CloudFormation requests."""

    forecast: ForecastStandIn
    runtime: LambdaRuntime
    endpoint: ResponseEndpoint
    lambda_service: LambdaServiceStandIn
    urls: list[str] = field(default_factory=list)
    repeated: set[str] = field(default_factory=set)
    """Response URLs of requests that the test itself delivered more than once."""
    cloudformation: CloudFormationStandIn = field(init=False)
    """CloudFormation's view of each sent request: its outcome under its ServiceTimeout."""

    def __post_init__(self) -> None:
        self.cloudformation = CloudFormationStandIn(self.endpoint)

    def event(
        self,
        request_type: str,
        properties: dict[str, Any],
        *,
        resource_type: str = "Custom::ForecastExportJob",
        old_properties: dict[str, Any] | None = None,
        physical_id: str | None = None,
        logical_id: str = "DailyDemandExport",
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """A CloudFormation request built from tests/events/<type>.json."""
        event = load_event(request_type.lower())
        request_id = request_id or str(uuid.uuid4())
        url = self.endpoint.new_response_url(event["StackId"], logical_id, request_id)
        self.urls.append(url)
        event.update(
            ResponseURL=url,
            RequestId=request_id,
            LogicalResourceId=logical_id,
            ResourceType=resource_type,
            ResourceProperties=copy.deepcopy(properties),
        )
        if old_properties is not None:
            event["OldResourceProperties"] = copy.deepcopy(old_properties)
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        return event

    def send(self, event: dict[str, Any]) -> None:
        """Invoke the function asynchronously, as CloudFormation does."""
        self.cloudformation.sent(event)
        self.runtime.invoke_async(event)

    def answer(self, event: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        return self.endpoint.wait_for_response(event["ResponseURL"], timeout=timeout)

    def request(
        self, request_type: str, properties: dict[str, Any], *, timeout: float = 30, **kwargs: Any
    ) -> dict[str, Any]:
        """Send one request and return CloudFormation's view of the answer."""
        event = self.event(request_type, properties, **kwargs)
        self.send(event)
        return self.answer(event, timeout=timeout)

    def check_protocol(self) -> None:
        """Every request got exactly one well-formed answer, and no ResponseURL reached the logs."""
        self.runtime.wait_idle(timeout=30)
        logs = self.runtime.logs
        for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            assert self.runtime.credentials[name] not in logs, f"{name} was logged"
        for url in self.urls:
            assert self.endpoint.secret_of(url) not in logs, "a pre-signed ResponseURL was logged"
            if url not in self.repeated:
                assert len(self.endpoint.responses(url)) <= 1, f"answered twice: {self.endpoint.responses(url)}"
        assert self.endpoint.violations == []


SHARED_CORES_INIT_LIMIT_SECONDS = 60.0
"""The init limit of the functional tests' runtime. Lambda gives each cold start its own CPU and ten
seconds; here up to thirty cold starts share two cores with the test workers, so importing boto3 alone
can pass ten seconds. The handler's own import time is not what these tests measure."""


@pytest.fixture
def deploy(
    provider_code: Path, response_endpoint: ResponseEndpoint, lambda_service: LambdaServiceStandIn
) -> Iterator[Callable[..., Deployment]]:
    """Build a Deployment with a Forecast stand-in configured by keyword arguments."""
    opened: list[tuple[ForecastStandIn, LambdaRuntime, Deployment]] = []

    def build(
        *,
        timeout_seconds: float = 6.0,
        environment: dict[str, str] | None = None,
        init_limit_seconds: float = SHARED_CORES_INIT_LIMIT_SECONDS,
        **forecast_settings: Any,
    ) -> Deployment:
        settings: dict[str, Any] = {
            "pending_seconds": 0.05,
            "duration": 0.5,
            "stop_seconds": 0.2,
            "delete_seconds": 0.2,
        }
        settings.update(forecast_settings)
        forecast = ForecastStandIn(**settings).start()
        runtime = LambdaRuntime(
            code_dir=provider_code,
            handler=HANDLER,
            timeout_seconds=timeout_seconds,
            lambda_service=lambda_service,
            retry_delay_seconds=0.1,
            init_limit_seconds=init_limit_seconds,
            environment={
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "AWS_ENDPOINT_URL_FORECAST": forecast.endpoint_url,
                "AWS_ENDPOINT_URL_LAMBDA": lambda_service.endpoint_url,
                **FAST_ENVIRONMENT,
                **(environment or {}),
            },
            extra_env={"SSL_CERT_FILE": response_endpoint.ca_bundle_path},
        )
        deployment = Deployment(forecast, runtime, response_endpoint, lambda_service)
        opened.append((forecast, runtime, deployment))
        return deployment

    yield build
    for forecast, runtime, deployment in opened:
        try:
            deployment.check_protocol()
        finally:
            runtime.close()
            forecast.stop()
