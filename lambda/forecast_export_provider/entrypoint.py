"""The Lambda entry point: CloudFormation wiring only.

The work is in :mod:`.lifecycle`; crhelper's private parts are in :mod:`.compat`. A request that
is not settled when the invocation's time runs short continues in a new invocation: the function
invokes itself asynchronously with the request's state in the payload (see docs/design.md).
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .compat import ContinuingResource
from .constants import MAX_RESPONSE_BYTES
from .forecast import Backoff, Clock, ForecastExports, SystemClock
from .lifecycle import Lifecycle, Outcome, Request, Status, WaitSettings, WaitState, failure_physical_id
from .ownership import bounded, refusal
from .tables import CLIENT_CONFIG as TABLE_CLIENT_CONFIG
from .tables import TableOutcome, TableRequest, TableResource, is_table_request
from .validation import shorten

STATE_KEY = "ForecastExportWait"
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
    """The request this invocation is working on, for the answers given outside the lifecycle."""

    request: Request | None = None
    state: WaitState | None = None
    clean_up_after_answer: bool = False
    """The answer is FAILED and goes out now; ``state`` then goes on deleting a failed replacement."""


_in_flight = _InFlight()


def _failure_physical_id() -> str | None:
    if _in_flight.request is None:
        return None
    return failure_physical_id(_in_flight.request, _in_flight.state)


def _hand_over_failed(error: Exception) -> str:
    request, state = _in_flight.request, _in_flight.state
    subject = f"export {state.arn.rsplit('/', 1)[-1]}" if state is not None and state.arn else "the export"
    left_behind = wiring().lifecycle.abandon(request, state) if request and state else ""
    _in_flight.clean_up_after_answer = bool(left_behind)
    return shorten(f"Could not continue waiting for {subject} in a new invocation{left_behind}: {error}")


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
    _in_flight.request, _in_flight.state, _in_flight.clean_up_after_answer = None, None, False
    cleanup = cleanup_state(event)
    if cleanup is not None:
        # A request answered earlier whose failed replacement is still being deleted: CloudFormation
        # hears nothing more. Should the next hand-over fail, Lambda retries this event.
        request = owned_cleanup(event, cleanup, context)
        if request is not None:
            clean_up(event, request, cleanup, context, retry_on_failure=True)
        return
    helper(event, context)
    request, state = _in_flight.request, _in_flight.state
    if _in_flight.clean_up_after_answer and request is not None and state is not None:
        # Not raised: a retry of this event would run the request again and answer it twice.
        clean_up(event, request, state, context, retry_on_failure=False)


def cleanup_state(event: Mapping[str, Any]) -> WaitState | None:
    """The state of an answered request's clean-up, if ``event`` is one."""
    data = event.get("CrHelperData") if isinstance(event, Mapping) else None
    state = data.get(STATE_KEY) if isinstance(data, Mapping) else None
    if isinstance(state, Mapping) and state.get("answered") is True:
        return WaitState.from_json(state)
    return None


def owned_cleanup(event: Mapping[str, Any], state: WaitState, context: Any) -> Request | None:
    """The request of a clean-up that may go ahead, held to the total wait from now; None if it
    must touch nothing (a forged or malformed event, or an export that is not this resource's)."""
    try:
        request = Request.from_event(event)
    except (KeyError, TypeError):
        logger.error("Not cleaning up: the event is not a CloudFormation request")
        return None
    refused = refusal(request, context.invoked_function_arn, [state.arn])
    if refused is not None:
        logger.error("Not cleaning up for %s: %s", request.logical_id, refused.reason or "not its export")
        return None
    lifecycle = wiring().lifecycle
    state.deadline = min(float(state.deadline), lifecycle.clock.now() + lifecycle.settings.total_wait)
    return request


def clean_up(
    event: Mapping[str, Any], request: Request, state: WaitState, context: Any, *, retry_on_failure: bool
) -> None:
    """Delete a failed replacement after its request's answer, handing over until it is gone."""
    lifecycle = wiring().lifecycle
    name = (state.arn or "").rsplit("/", 1)[-1]
    remaining = context.get_remaining_time_in_millis() / 1000.0
    if invoke_timeouts(remaining) is None:
        logger.error("No time left to go on deleting the failed replacement %s (delete it)", name)
        return
    outcome = lifecycle.run(request, state, handoff_time(lifecycle.clock.now(), remaining))
    if outcome.status is Status.SUCCESS:
        logger.info("Deleted the failed replacement %s", name)
    elif outcome.status is Status.FAILED:
        logger.error("Could not delete the failed replacement %s (delete it): %s", name, outcome.reason)
    else:
        try:
            continue_in_new_invocation(event, {STATE_KEY: state.to_json()}, context)
        except Exception as error:
            logger.error("Could not go on deleting the failed replacement %s (delete it): %s", name, error)
            if retry_on_failure:
                raise


@helper.create
@helper.update
@helper.delete
def start(event: dict[str, Any], context: Any) -> str | None:
    request = Request.from_event(event)
    logger.info("%s %s (%s)", request.request_type, request.logical_id, request.request_id)
    if (refused := refusal(request, context.invoked_function_arn)) is not None:
        return answer(refused, None)
    if is_table_request(request.properties):
        return answer_table(table_request(event, context))
    lifecycle = wiring().lifecycle
    return settle(lifecycle, request, lifecycle.begin(request), context)


@helper.poll_create
@helper.poll_update
@helper.poll_delete
def resume(event: dict[str, Any], context: Any) -> str | None:
    request = Request.from_event(event)
    lifecycle = wiring().lifecycle
    state = bounded(
        request, WaitState.from_json(helper.Data[STATE_KEY]), lifecycle.clock.now(), lifecycle.settings.total_wait
    )
    logger.info("Resuming %s %s at step %s", request.request_type, request.logical_id, state.step)
    if (refused := refusal(request, context.invoked_function_arn, [state.arn])) is not None:
        return answer(refused, None)
    return settle(lifecycle, request, state, context)


def settle(lifecycle: Lifecycle, request: Request, state: WaitState, context: Any) -> str | None:
    _in_flight.request, _in_flight.state = request, state
    remaining = context.get_remaining_time_in_millis() / 1000.0
    outcome = lifecycle.run(request, state, handoff_time(lifecycle.clock.now(), remaining))
    return answer(outcome, state)


def handoff_reserve(remaining: float) -> float:
    """How much of an invocation's remaining time to keep for the hand-over."""
    reserve = min(HANDOFF_RESERVE_SECONDS, max(MIN_HANDOFF_RESERVE_SECONDS, remaining / 4))
    # An invocation with almost no time left still does one step before handing over.
    return min(reserve, remaining * 0.75)


def handoff_time(now: float, remaining: float) -> float:
    """When this invocation must stop waiting and hand the request to the next one."""
    return now + remaining - handoff_reserve(remaining)


def answer(outcome: Outcome, state: WaitState | None) -> str | None:
    """Map an outcome to crhelper's terms: an id means done, None means continue, a raise means FAILED.

    This is the one place where the lifecycle's statuses meet crhelper's.
    """
    if outcome.status is Status.CONTINUE and state is not None:
        helper.Data = {STATE_KEY: state.to_json()}
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


def table_request(event: Mapping[str, Any], context: Any) -> TableOutcome:
    """Create, update or delete an export's Glue table: quick, so settled in this invocation."""
    _, partition, _, region, account_id, *_ = context.invoked_function_arn.split(":")
    clients = wiring().table_clients()
    resource = TableResource(**clients, account_id=account_id, partition=partition, region=region)
    request = TableRequest.from_event(event)
    actions = {"Create": resource.create, "Update": resource.update, "Delete": resource.delete}
    return actions[event["RequestType"]](request)


def answer_table(outcome: TableOutcome) -> str:
    helper.Data = {}
    helper.PhysicalResourceId = outcome.physical_id
    if outcome.status == "FAILED":
        logger.info("Failed: %s", outcome.reason)
        raise ExportFailed(shorten(outcome.reason))
    helper.Data = fit_response(outcome.physical_id, outcome.data)
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


@dataclass
class Wiring:
    """What a container needs: built once, then shared by its invocations."""

    lifecycle: Lifecycle
    lambda_client: Any
    """The Lambda client with the full Invoke timeouts."""
    _table_clients: dict[str, Any] | None = None
    _short_invokers: dict[tuple[float, float], Any] = field(default_factory=dict)

    def invoker(self, connect_timeout: float, read_timeout: float) -> Any:
        """A Lambda client whose Invoke attempts end within these timeouts."""
        if (connect_timeout, read_timeout) == (INVOKE_CONNECT_TIMEOUT, INVOKE_READ_TIMEOUT):
            return self.lambda_client
        key = (connect_timeout, read_timeout)
        if key not in self._short_invokers:
            self._short_invokers[key] = build_lambda_client(connect_timeout, read_timeout)
        return self._short_invokers[key]

    def table_clients(self) -> dict[str, Any]:
        """The Glue, S3 and Forecast clients of the table resource, made on first use."""
        if self._table_clients is None:
            self._table_clients = {
                service: boto3.client(service, config=TABLE_CLIENT_CONFIG) for service in ("glue", "s3", "forecast")
            }
        return self._table_clients


def build_lifecycle(
    environ: Mapping[str, str] = os.environ,
    *,
    client: Any = None,
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
) -> Any:
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
