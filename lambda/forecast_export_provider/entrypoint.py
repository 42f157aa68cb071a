"""The Lambda entry point: CloudFormation wiring only.

The request's ``ResourceType`` chooses the :class:`.resource.Resource` that serves it
(:data:`RESOURCES`); every outcome is answered in :func:`answer`. crhelper's private parts are in
:mod:`.continuation`. A request that is not settled when the invocation's time runs short
continues in a new invocation: the function invokes itself asynchronously with the request's state
in the payload (see docs/design.md).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .constants import MAX_RESPONSE_BYTES
from .continuation import ContinuingResource
from .export_resource import ExportResource
from .forecast import Backoff, Clock, ForecastExports, SystemClock
from .handoff import (
    FORECAST_CONNECT_TIMEOUT,
    FORECAST_READ_TIMEOUT,
    INVOKE_CONNECT_TIMEOUT,
    INVOKE_READ_TIMEOUT,
    invoke_timeouts,
)
from .lifecycle import Lifecycle
from .ownership import refusal
from .resource import Invocation, Outcome, Request, Resource, Status
from .tables import CLIENT_CONFIG as TABLE_CLIENT_CONFIG
from .tables import RESOURCE_TYPE as TABLE_RESOURCE_TYPE
from .tables import TableResource
from .validation import shorten
from .wait_state import WaitSettings

if TYPE_CHECKING:
    from types_boto3_forecast import ForecastServiceClient
    from types_boto3_glue import GlueClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client

STATE_KEY = "ForecastExportWait"
"""The key of a continuing request's state in ``CrHelperData`` (the name predates the table resource)."""
INVOKE_RETRY_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "ServiceException", "EC2ThrottledException"}
)
DROP_FIRST = ("SourceArn", "DestinationPath")
"""The attributes left out first when an answer would not fit CloudFormation's limit."""

LOG_LEVEL = logging.getLevelName(os.environ.get("LOG_LEVEL", "INFO").upper())
if not isinstance(LOG_LEVEL, int):
    LOG_LEVEL = logging.INFO
logger = logging.getLogger(__name__)


@dataclass
class _InFlight:
    """The request this invocation is working on, for the answers given outside its resource."""

    request: Request | None = None
    invocation: Invocation | None = None
    clean_up_after_answer: bool = False
    """The answer is FAILED and goes out now; the request's state then goes on with its clean-up."""

    def continuation(self) -> Any:
        return self.invocation.continuation if self.invocation is not None else None


_in_flight = _InFlight()


def _failure_physical_id() -> str | None:
    continuation = _in_flight.continuation()
    return continuation.failure_physical_id() if continuation is not None else None


def _hand_over_failed(error: Exception) -> str:
    continuation = _in_flight.continuation()
    if continuation is None:
        return shorten(f"Could not continue in a new invocation: {error}")
    reason: str = continuation.hand_over_failed(error)
    _in_flight.clean_up_after_answer = continuation.clean_up_state() is not None
    return reason


def _hand_over(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
    continue_in_new_invocation(event, data, context)


helper = ContinuingResource(
    hand_over=_hand_over,
    failure_physical_id=_failure_physical_id,
    hand_over_failed=_hand_over_failed,
    json_logging=True,
    log_level=logging.getLevelName(LOG_LEVEL),
    boto_level="WARNING",
    sleep_on_delete=0,
)
# crhelper logs the whole event, pre-signed ResponseURL included, at DEBUG: never let it.
logging.getLogger("crhelper").setLevel(max(logging.INFO, LOG_LEVEL))


class ExportFailed(Exception):
    """The request failed; crhelper answers FAILED with this message as the Reason."""


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    _in_flight.request, _in_flight.invocation, _in_flight.clean_up_after_answer = None, None, False
    cleanup = cleanup_state(event)
    if cleanup is not None:
        # A request answered earlier whose clean-up (a failed replacement's deletion) goes on:
        # CloudFormation hears nothing more. Should the next hand-over fail, Lambda retries this event.
        request = cleanup_request(event)
        if request is not None:
            clean_up(event, request, cleanup, context, retry_on_failure=True)
        return
    helper(event, context)
    request, continuation = _in_flight.request, _in_flight.continuation()
    state = continuation.clean_up_state() if continuation is not None else None
    if _in_flight.clean_up_after_answer and request is not None and state is not None:
        # Not raised: a retry of this event would run the request again and answer it twice.
        clean_up(event, request, state, context, retry_on_failure=False)


def cleanup_state(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The state of an answered request's clean-up, if ``event`` is one."""
    data = event.get("CrHelperData") if isinstance(event, Mapping) else None
    state = data.get(STATE_KEY) if isinstance(data, Mapping) else None
    if isinstance(state, Mapping) and state.get("answered") is True:
        return state
    return None


def cleanup_request(event: Mapping[str, Any]) -> Request | None:
    """The request of a clean-up event; None for an event that is not a CloudFormation request (the
    resource checks what the request may touch, as for any continuation)."""
    try:
        return Request.from_event(event)
    except (KeyError, TypeError):
        logger.error("Not cleaning up: the event is not a CloudFormation request")
        return None


def clean_up(
    event: Mapping[str, Any],
    request: Request,
    state: Mapping[str, Any],
    context: Any,
    *,
    retry_on_failure: bool,
) -> None:
    """Run an answered request's clean-up, handing over until it is done; nothing goes to CloudFormation."""
    invocation = invocation_of(context)
    if invoke_timeouts(invocation.remaining()) is None:
        logger.error("No time left to go on with %s's clean-up (delete its failed replacement)", request.logical_id)
        return
    outcome = resource_for(request, invocation).run(request, state, invocation)
    if outcome.status is Status.CONTINUE and outcome.state is not None:
        try:
            continue_in_new_invocation(event, {STATE_KEY: dict(outcome.state)}, context)
        except Exception as error:
            logger.error(
                "Could not go on with %s's clean-up (delete its failed replacement): %s", request.logical_id, error
            )
            if retry_on_failure:
                raise


def invocation_of(context: Any) -> Invocation:
    """This invocation as the resources see it."""
    return Invocation(
        function_arn=context.invoked_function_arn,
        remaining=lambda: float(context.get_remaining_time_in_millis()) / 1000.0,
    )


@helper.create
@helper.update
@helper.delete
def start(event: dict[str, Any], context: Any) -> str | None:
    request = Request.from_event(event)
    logger.info("%s %s (%s)", request.request_type, request.logical_id, request.request_id)
    if (refused := refusal(request, context.invoked_function_arn)) is not None:
        return answer(refused)
    return settle(request, None, context)


@helper.poll_create
@helper.poll_update
@helper.poll_delete
def resume(event: dict[str, Any], context: Any) -> str | None:
    return settle(Request.from_event(event), helper.Data[STATE_KEY], context)


def settle(request: Request, state: Mapping[str, Any] | None, context: Any) -> str | None:
    invocation = invocation_of(context)
    _in_flight.request, _in_flight.invocation = request, invocation
    return answer(resource_for(request, invocation).run(request, state, invocation))


RESOURCES: Mapping[str, Callable[[Wiring, Invocation], Resource]] = {
    TABLE_RESOURCE_TYPE: lambda wired, invocation: wired.table_resource(invocation),
}
"""The resource that serves each CloudFormation ``ResourceType``; any other type is an export,
whose kind comes from its properties (contract section 1)."""


def resource_for(request: Request, invocation: Invocation) -> Resource:
    """The resource that serves ``request``, chosen by its ``ResourceType``."""
    wired = wiring()
    choose = RESOURCES.get(request.resource_type)
    return choose(wired, invocation) if choose is not None else ExportResource(wired.lifecycle)


def answer(outcome: Outcome) -> str | None:
    """Map an outcome to crhelper's terms: an id means done, None means continue, a raise means FAILED.

    This is the one place where the resources' statuses meet crhelper's.
    """
    if outcome.status is Status.CONTINUE and outcome.state is not None:
        helper.Data = {STATE_KEY: dict(outcome.state)}
        return None
    helper.Data = {}
    _in_flight.clean_up_after_answer = outcome.clean_up_after
    if outcome.status is Status.FAILED:
        if outcome.physical_id:
            helper.PhysicalResourceId = outcome.physical_id
        logger.info("Failed: %s", outcome.reason)
        raise ExportFailed(shorten(outcome.reason))
    helper.Data = fit_response(outcome.physical_id or "", outcome.data)
    logger.info("Succeeded: %s", outcome.physical_id)
    return outcome.physical_id


def fit_response(physical_id: str, data: Mapping[str, str]) -> dict[str, str]:
    """Leave attributes out of ``Data`` until the whole answer fits CloudFormation's 4,096 bytes."""
    fields = dict(data)

    def size() -> int:
        body = {
            "Status": "SUCCESS",
            "PhysicalResourceId": physical_id,
            "StackId": helper.StackId,
            "RequestId": helper.RequestId,
            "LogicalResourceId": helper.LogicalResourceId,
            "Reason": "",
            "Data": fields,
            "NoEcho": False,
        }
        return len(json.dumps(body).encode())

    order = [*DROP_FIRST, *sorted(fields, key=lambda key: -len(fields[key]))]
    for key in order:
        if size() <= MAX_RESPONSE_BYTES:
            break
        if key in fields:
            logger.warning("%s left out of the answer: it would exceed %d bytes", key, MAX_RESPONSE_BYTES)
            del fields[key]
    return fields


def continue_in_new_invocation(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
    """Invoke this function asynchronously with the request and its state, retrying throttling.

    Raises the last error when the invocation cannot be made in the time left.
    """
    payload = json.dumps({**event, "CrHelperPoll": True, "CrHelperData": dict(data)}).encode()
    logger.info("Continuing %s in a new invocation", event.get("LogicalResourceId"))
    connections = wiring()
    attempt = 0
    last: Exception = TimeoutError("no time left for an Invoke attempt")
    while True:
        timeouts = invoke_timeouts(context.get_remaining_time_in_millis() / 1000.0)
        if timeouts is None:
            raise last
        try:
            connections.invoker(*timeouts).invoke(
                FunctionName=context.invoked_function_arn, InvocationType="Event", Payload=payload
            )
            return
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code not in INVOKE_RETRY_CODES and status < 500:
                raise
            last = error
        except BotoCoreError as error:
            # A timed-out attempt may have started the continuation anyway; a second one is harmless.
            last = error
        delay = random.uniform(0, min(2.0, 0.25 * 2**attempt))
        attempt += 1
        if invoke_timeouts(context.get_remaining_time_in_millis() / 1000.0 - delay) is None:
            raise last
        time.sleep(delay)


@dataclass
class Wiring:
    """What a container needs: built once, then shared by its invocations."""

    lifecycle: Lifecycle
    lambda_client: LambdaClient
    """The Lambda client with the full Invoke timeouts."""
    _table_clients: TableClients | None = None
    _short_invokers: dict[tuple[float, float], LambdaClient] = field(default_factory=dict)

    def invoker(self, connect_timeout: float, read_timeout: float) -> LambdaClient:
        """A Lambda client whose Invoke attempts end within these timeouts."""
        if (connect_timeout, read_timeout) == (INVOKE_CONNECT_TIMEOUT, INVOKE_READ_TIMEOUT):
            return self.lambda_client
        key = (connect_timeout, read_timeout)
        if key not in self._short_invokers:
            self._short_invokers[key] = build_lambda_client(connect_timeout, read_timeout)
        return self._short_invokers[key]

    def table_resource(self, invocation: Invocation) -> TableResource:
        """The table resource for the function's own account and region."""
        clients = self.table_clients()
        return TableResource(
            glue=clients.glue,
            s3=clients.s3,
            forecast=clients.forecast,
            account_id=invocation.account_id,
            partition=invocation.partition,
            region=invocation.region,
        )

    def table_clients(self) -> TableClients:
        """The Glue, S3 and Forecast clients of the table resource, made on first use."""
        if self._table_clients is None:
            self._table_clients = TableClients(
                glue=boto3.client("glue", config=TABLE_CLIENT_CONFIG),
                s3=boto3.client("s3", config=TABLE_CLIENT_CONFIG),
                forecast=boto3.client("forecast", config=TABLE_CLIENT_CONFIG),
            )
        return self._table_clients


@dataclass(frozen=True)
class TableClients:
    """The clients the table resource calls."""

    glue: GlueClient
    s3: S3Client
    forecast: ForecastServiceClient


def build_lifecycle(
    environ: Mapping[str, str] = os.environ,
    *,
    client: ForecastServiceClient | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> Lifecycle:
    """The lifecycle wired from the function's environment; each part can be given instead."""
    if client is None:
        client = boto3.client(
            "forecast",
            config=Config(
                retries={"total_max_attempts": 1},
                connect_timeout=FORECAST_CONNECT_TIMEOUT,
                read_timeout=FORECAST_READ_TIMEOUT,
            ),
        )
    clock = clock or SystemClock()
    rng = rng or random.Random()
    backoff = Backoff(
        base=float(environ.get("RETRY_BASE_SECONDS", 1.0)),
        cap=float(environ.get("RETRY_CAP_SECONDS", 30.0)),
        rng=rng,
    )
    return Lifecycle(ForecastExports(client, clock, backoff), clock, WaitSettings.from_env(environ), rng)


def build_lambda_client(
    connect_timeout: float = INVOKE_CONNECT_TIMEOUT, read_timeout: float = INVOKE_READ_TIMEOUT
) -> LambdaClient:
    return boto3.client(
        "lambda",
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        ),
    )


_wiring: Wiring | None = None


def wiring() -> Wiring:
    """The container's wiring, built on first use."""
    global _wiring
    if _wiring is None:
        _wiring = Wiring(build_lifecycle(), build_lambda_client())
    return _wiring


def install(new: Wiring | None) -> Wiring | None:
    """Replace the container's wiring (benchmarks run the handler on a virtual clock); returns the old one."""
    global _wiring
    old, _wiring = _wiring, new
    return old
