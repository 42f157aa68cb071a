"""The crhelper entry point: CloudFormation wiring only; the work is in :mod:`.lifecycle`.

crhelper sends the responses, guards the timeout and routes Create/Update/Delete and their
``poll_*`` continuations. Its one EventBridge-based step is replaced: when a request is not settled
before the invocation's time runs short, the function invokes itself asynchronously with the
request's state in the payload (see docs/design.md).
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from crhelper import CfnResource
from crhelper.resource_helper import FAILED

from .forecast import Backoff, ForecastExports, SystemClock
from .lifecycle import CONTINUE, Lifecycle, Outcome, Request, WaitSettings

STATE_KEY = "ForecastExportWait"
HANDOFF_RESERVE_SECONDS = 30.0
MIN_HANDOFF_RESERVE_SECONDS = 2.0
MAX_RESPONSE_BYTES = 4096
MAX_REASON_LENGTH = 250

LOG_LEVEL = logging.getLevelName(os.environ.get("LOG_LEVEL", "INFO").upper())
if not isinstance(LOG_LEVEL, int):
    LOG_LEVEL = logging.INFO
logger = logging.getLogger(__name__)


class SelfInvokingResource(CfnResource):
    """crhelper's resource with its EventBridge polling replaced by asynchronous self-invocation."""

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self.Status == FAILED or self.PhysicalResourceId:
            self._send_response = True
            return
        guard = self._timer  # type: ignore[attr-defined]
        if guard is not None and guard.finished.is_set():
            logger.error("The timeout guard has answered already; not continuing")
            return
        continue_in_new_invocation(event, self.Data, self._context)  # type: ignore[attr-defined]


helper = SelfInvokingResource(
    json_logging=True, log_level=logging.getLevelName(LOG_LEVEL), boto_level="WARNING", sleep_on_delete=0
)
# crhelper logs the whole event, pre-signed ResponseURL included, at DEBUG: never let it.
logging.getLogger("crhelper").setLevel(max(logging.INFO, LOG_LEVEL))


class ExportFailed(Exception):
    """The request failed; crhelper answers FAILED with this message as the Reason."""


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    helper(event, context)


@helper.create
@helper.update
@helper.delete
def start(event: dict[str, Any], context: Any) -> str | None:
    request = Request.from_event(event)
    logger.info("%s %s (%s)", request.request_type, request.logical_id, request.request_id)
    lifecycle = build_lifecycle()
    return answer(lifecycle.start(request, handoff_time(lifecycle, context)))


@helper.poll_create
@helper.poll_update
@helper.poll_delete
def resume(event: dict[str, Any], context: Any) -> str | None:
    request = Request.from_event(event)
    state = helper.Data[STATE_KEY]
    logger.info("Resuming %s %s at step %s", request.request_type, request.logical_id, state.get("step"))
    lifecycle = build_lifecycle()
    return answer(lifecycle.resume(request, state, handoff_time(lifecycle, context)))


def handoff_time(lifecycle: Lifecycle, context: Any) -> float:
    """When this invocation must stop waiting and hand the request to the next one.

    The reserve leaves time to invoke the next invocation well before crhelper's timeout guard,
    which answers FAILED half a second before the invocation's end.
    """
    remaining = context.get_remaining_time_in_millis() / 1000.0
    reserve = min(HANDOFF_RESERVE_SECONDS, max(MIN_HANDOFF_RESERVE_SECONDS, remaining / 4))
    return float(lifecycle.clock.now() + remaining - reserve)


def answer(outcome: Outcome) -> str | None:
    """Translate an outcome into crhelper's terms: an id means done, None means keep waiting."""
    if outcome.status == CONTINUE:
        helper.Data = {STATE_KEY: outcome.state}
        return None
    helper.Data = {}
    if outcome.status == FAILED:
        if outcome.physical_id:
            helper.PhysicalResourceId = outcome.physical_id
        logger.info("Failed: %s", outcome.reason)
        raise ExportFailed(shorten(outcome.reason))
    helper.Data = fit_response(outcome.physical_id or "", outcome.data)
    logger.info("Succeeded: %s", outcome.physical_id)
    return outcome.physical_id


def shorten(reason: str) -> str:
    """Keep the start of a long reason: crhelper would keep only its end."""
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 3] + "..."


def fit_response(physical_id: str, data: Mapping[str, str]) -> dict[str, str]:
    """Drop ``SourceArn`` when it would push the response past CloudFormation's 4,096 bytes."""
    fields = dict(data)
    envelope = 400 + len(physical_id) + len(helper.StackId) + len(helper.LogicalResourceId)
    if envelope + len(json.dumps(fields)) > MAX_RESPONSE_BYTES and "SourceArn" in fields:
        logger.warning("SourceArn omitted from the response: it would exceed %d bytes", MAX_RESPONSE_BYTES)
        del fields["SourceArn"]
    return fields


def continue_in_new_invocation(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
    """Invoke this function asynchronously with the request and its state, and don't answer yet."""
    payload = {**event, "CrHelperPoll": True, "CrHelperData": dict(data)}
    logger.info("Continuing %s in a new invocation", event.get("LogicalResourceId"))
    lambda_client().invoke(
        FunctionName=context.invoked_function_arn,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
    )


@functools.cache
def lambda_client() -> Any:
    return boto3.client("lambda", config=Config(retries={"mode": "standard", "max_attempts": 5}))


@functools.cache
def build_lifecycle() -> Lifecycle:
    """The lifecycle wired to the real Forecast client and clock; built once per container."""
    client = boto3.client(
        "forecast",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20),
    )
    backoff = Backoff(
        base=float(os.environ.get("RETRY_BASE_SECONDS", 1.0)),
        cap=float(os.environ.get("RETRY_CAP_SECONDS", 30.0)),
    )
    clock = SystemClock()
    return Lifecycle(ForecastExports(client, clock, backoff), clock, WaitSettings.from_env())
