"""Simulated time for the provider and for the two designs it is compared with.

One :class:`VirtualClock` drives everything: the Forecast stand-in's job states, the handler's
waiting (``sleep`` advances the clock at once), the Lambda context's remaining time and the
instants at which responses reach the CloudFormation response endpoint. Hours of waiting run in
a second or two, and the figures (latencies, invocations, Describe calls) are exact virtual-time
figures, independent of the machine's speed.

Three strategies run against the same clock and the same stand-in:

``provider``
    This project's handler, :func:`forecast_export_provider.entrypoint.handler`, run in-process
    with crhelper and everything else real. Only two things are replaced: ``build_lifecycle``
    (so that the lifecycle uses the virtual clock and a Forecast client pointed at the stand-in)
    and ``lambda_client`` (so that the asynchronous self-invocation is queued here and delivered
    :attr:`FunctionSettings.invoke_delay` seconds later, as a new invocation with a fresh
    context). Responses travel as crhelper sends them: an HTTPS PUT to a local endpoint.
``crhelper``
    crhelper's shipped polling, modelled: the first invocation creates (or starts deleting) the
    export; crhelper then creates an EventBridge rule ``rate(2 minutes)`` at the end of that
    invocation; each firing is one invocation and one Describe; the response goes out on the
    first firing that sees the job settled, after ``sleep_on_delete`` (120 s) for a Delete.
``cdk-provider``
    The CDK Provider framework, modelled: ``onEvent`` creates (or starts deleting); the waiter
    state machine then calls ``isComplete`` at once and every 5 s after (``queryInterval``);
    each call is one invocation of the user's function and one Describe, and about two Step
    Functions state transitions (the Task state entered, and its retry or exit).

The anchors' models favour them: their invocations start without delay, and only the user's
functions are counted (the framework's own ``onEvent``/``isComplete`` functions would double the
Provider framework's invocations).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import os
import random
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tests.standins._http import RequestHandler
from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.events import load_event
from tests.standins.forecast import ForecastStandIn

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTION_NAME = "forecast-export-provider"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
ASYNC_PAYLOAD_LIMIT = 256 * 1024
START_OF_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z: realistic timestamps in the responses
PENDING_SECONDS = 10.0
"""Time a job spends in CREATE_PENDING (and DELETE_PENDING), inside its duration."""
GIVE_UP_AFTER = 4 * 3600.0
"""A simulated request that has not been answered after this long is reported unanswered."""

PROVIDER = "provider"
CRHELPER = "crhelper"
CDK_PROVIDER = "cdk-provider"
STRATEGIES = (PROVIDER, CRHELPER, CDK_PROVIDER)
STRATEGY_TITLES = {
    PROVIDER: "this provider",
    CRHELPER: "crhelper default polling",
    CDK_PROVIDER: "CDK Provider framework",
}
CRHELPER_POLL_SECONDS = 120.0
CRHELPER_SLEEP_ON_DELETE = 120.0
CDK_QUERY_INTERVAL = 5.0
SFN_TRANSITIONS_PER_POLL = 2


# The waiting budget (docs/benchmarks.md): the goals the tests and the benchmarks check.
LATENCY_GOAL = 5.0
"""Seconds from ACTIVE to the response, p95."""
DESCRIBE_GOAL = 4.0
"""At most one Describe per this many seconds, on average."""
DELETE_GOAL = 10.0
"""Seconds from the job gone to the Delete response."""
MINUTES_PER_INVOCATION = 13


def invocation_bound(job_seconds: float) -> int:
    """The goal: at most 1 + ceil(job minutes / 13) invocations."""
    return 1 + math.ceil(job_seconds / 60 / MINUTES_PER_INVOCATION)


class VirtualClock:
    """Simulated time: ``sleep`` advances it at once. Shared by the stand-in and the handler."""

    def __init__(self, start: float = START_OF_TIME) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += seconds

    def advance_to(self, moment: float) -> None:
        with self._lock:
            self._now = max(self._now, moment)


class VirtualContext:
    """The Lambda context of one invocation, its remaining time on the virtual clock."""

    def __init__(self, clock: VirtualClock, timeout: float) -> None:
        self._clock = clock
        self.started_at = clock.now()
        self.deadline = self.started_at + timeout
        self.function_name = FUNCTION_NAME
        self.function_version = "$LATEST"
        self.invoked_function_arn = FUNCTION_ARN
        self.memory_limit_in_mb = "256"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
        self.log_stream_name = "2026/01/01/[$LATEST]benchmark"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self._clock.now()) * 1000))


class RecordingEndpoint(ResponseEndpoint):
    """The HTTPS response endpoint, noting the virtual time at which each PUT arrives."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self._arrivals: dict[str, list[float]] = {}

    def _handle(self, request: RequestHandler) -> None:
        # Noted before the response is stored and acknowledged: the sender may read it at once.
        with self._lock:
            if request.command == "PUT" and request.path in self._expected:
                self._arrivals.setdefault(request.path, []).append(self.clock.now())
        super()._handle(request)

    def arrivals(self, url: str) -> list[float]:
        """The virtual times at which responses to ``url`` arrived."""
        with self._lock:
            return list(self._arrivals.get(self._key(url), []))


@dataclass(frozen=True)
class FunctionSettings:
    """The provider function as deployed: its timeout, environment and continuation delay."""

    timeout: float = 900.0
    environment: Mapping[str, str] = field(default_factory=dict)
    """What the handler reads through ``WaitSettings.from_env`` (empty: the handler's defaults)."""
    invoke_delay: float = 1.0
    """Seconds from the asynchronous self-invocation to the next invocation's start (queueing
    plus a cold start)."""

    @classmethod
    def deployed(cls, invoke_delay: float = 1.0) -> FunctionSettings:
        """The settings the CDK construct deploys (function timeout and environment)."""
        from forecast_export_cdk import provider
        from forecast_export_provider.constants import POLL_INTERVAL_SECONDS, TOTAL_WAIT_SECONDS

        return cls(
            timeout=float(provider.FUNCTION_TIMEOUT.to_seconds()),
            environment={
                "TOTAL_WAIT_SECONDS": str(TOTAL_WAIT_SECONDS),
                "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
            },
            invoke_delay=invoke_delay,
        )


@dataclass
class RequestResult:
    """What one simulated request cost and when it was answered (virtual seconds)."""

    strategy: str
    request_type: str
    requested_at: float
    job_created_at: float | None = None
    job_active_at: float | None = None
    """When the job turned ACTIVE (Create: creation time + duration)."""
    job_gone_at: float | None = None
    """When Forecast finished deleting the job (Delete)."""
    responded_at: float | None = None
    response: dict[str, Any] | None = None
    responses: int = 0
    invocations: int = 0
    describes: int = 0
    forecast_calls: int = 0
    sfn_transitions: int = 0
    overran: list[str] = field(default_factory=list)
    """Invocations that ran past their timeout (Lambda would have killed them)."""

    @property
    def status(self) -> str | None:
        return None if self.response is None else self.response.get("Status")

    @property
    def latency(self) -> float:
        """Create: seconds from ACTIVE to the response. Delete: from the job gone to the response."""
        settled = self.job_active_at if self.request_type == "Create" else self.job_gone_at
        if settled is None or self.responded_at is None:
            return math.inf
        return self.responded_at - settled

    @property
    def job_seconds(self) -> float:
        """The job's life: Create to ACTIVE."""
        if self.job_created_at is None or self.job_active_at is None:
            return math.nan
        return self.job_active_at - self.job_created_at

    @property
    def waited_seconds(self) -> float:
        """The request's life: arrival to response."""
        return math.inf if self.responded_at is None else self.responded_at - self.requested_at


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile, linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 2) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def jittered(seconds: float, jitter: float, seed: str) -> float:
    """``seconds`` times a seeded uniform factor in [1 - jitter, 1 + jitter]."""
    return seconds * random.Random(seed).uniform(1 - jitter, 1 + jitter)


# --------------------------------------------------------------------------- the bench


class Bench:
    """One virtual clock and one HTTPS response endpoint, shared by every simulated request."""

    def __init__(self, settings: FunctionSettings | None = None, *, quiet: bool = True) -> None:
        self.settings = settings or FunctionSettings()
        self.clock = VirtualClock()
        self.endpoint = RecordingEndpoint(self.clock)
        self.quiet = quiet
        self._exit = contextlib.ExitStack()

    def __enter__(self) -> Bench:
        self.endpoint.start()
        self._exit.callback(self.endpoint.stop)
        self._exit.enter_context(_environment(REGION, self.endpoint.ca_bundle_path))
        self._exit.enter_context(_preserved_logging())
        if self.quiet:
            self._exit.enter_context(_quiet_logging())
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def forecast(self, **settings: Any) -> ForecastStandIn:
        """A started Forecast stand-in on the bench's clock (stop it, or use it as a context)."""
        settings.setdefault("pending_seconds", PENDING_SECONDS)
        return ForecastStandIn(clock=self.clock.now, region=REGION, account=ACCOUNT, **settings).start()

    def event(self, request_type: str, **overrides: Any) -> dict[str, Any]:
        """A CloudFormation request from tests/events/, with its own ResponseURL and RequestId."""
        event = load_event(request_type.lower())
        event["RequestId"] = str(uuid.uuid4())
        event["ResponseURL"] = self.endpoint.new_response_url(
            event["StackId"], event["LogicalResourceId"], event["RequestId"]
        )
        event.update(copy.deepcopy(overrides))
        return event


@contextlib.contextmanager
def _environment(region: str, ca_bundle: str) -> Iterator[None]:
    """What the handler's process needs: a region (crhelper builds clients at import) and trust in
    the response endpoint's CA (crhelper's default SSL context reads ``SSL_CERT_FILE``)."""
    wanted = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region, "SSL_CERT_FILE": ca_bundle}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _preserved_logging() -> Iterator[None]:
    """Undo what crhelper's log set-up does to the root logger (its level, its handlers' formats)."""
    root = logging.getLogger()
    level = root.level
    formatters = [(handler, handler.formatter) for handler in root.handlers]
    try:
        yield
    finally:
        root.setLevel(level)
        for handler, formatter in formatters:
            handler.setFormatter(formatter)


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """Keep the handler's and crhelper's logs (thousands of lines per simulated hour) off the terminal."""
    root = logging.getLogger()
    null = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(null)
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)
        if added:
            root.removeHandler(null)


# --------------------------------------------------------------------------- this provider


def load_entrypoint() -> ModuleType:
    """Import the handler's entry point (crhelper needs a region at import)."""
    if "forecast_export_provider.entrypoint" not in sys.modules:
        with _environment(os.environ.get("AWS_REGION", REGION), os.environ.get("SSL_CERT_FILE", "")):
            import forecast_export_provider.entrypoint  # noqa: F401
    entrypoint: ModuleType = sys.modules["forecast_export_provider.entrypoint"]
    if entrypoint.helper._init_failed is not None:
        raise RuntimeError(f"crhelper failed to initialise: {entrypoint.helper._init_failed}")
    return entrypoint


class _QueueingLambda:
    """Stands in for the boto3 Lambda client: ``invoke`` queues the asynchronous invocation."""

    def __init__(self) -> None:
        self.queued: list[dict[str, Any]] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        if FunctionName != FUNCTION_ARN or InvocationType != "Event":
            raise AssertionError(f"unexpected self-invocation: {FunctionName} {InvocationType}")
        if len(Payload) > ASYNC_PAYLOAD_LIMIT:
            raise AssertionError(f"{len(Payload)} byte payload is over Lambda's asynchronous limit")
        self.queued.append(json.loads(Payload))
        return {"StatusCode": 202}


@contextlib.contextmanager
def _wired(entrypoint: ModuleType, wiring: Any) -> Iterator[None]:
    saved = entrypoint.install(wiring)
    try:
        yield
    finally:
        entrypoint.install(saved)


def run_provider(bench: Bench, forecast: ForecastStandIn, event: dict[str, Any], *, seed: int = 0) -> RequestResult:
    """Drive the real handler through one request, invocation after invocation, until it answers."""
    entrypoint = load_entrypoint()
    settings = bench.settings
    clock = bench.clock
    lifecycle = entrypoint.build_lifecycle(
        settings.environment, client=forecast.client(), clock=clock, rng=random.Random(seed)
    )
    queue = _QueueingLambda()
    result = RequestResult(PROVIDER, event["RequestType"], clock.now())
    url = event["ResponseURL"]
    pending: deque[tuple[float, dict[str, Any]]] = deque([(clock.now(), event)])
    with _wired(entrypoint, entrypoint.Wiring(lifecycle, queue)):
        while pending:
            start, payload = pending.popleft()
            clock.advance_to(start)
            if clock.now() - result.requested_at > GIVE_UP_AFTER:
                break
            context = VirtualContext(clock, settings.timeout)
            result.invocations += 1
            entrypoint.handler(json.loads(json.dumps(payload)), context)
            if clock.now() > context.deadline:
                result.overran.append(
                    f"invocation {result.invocations} ran {clock.now() - context.started_at:.0f} s, "
                    f"past its {settings.timeout:.0f} s timeout"
                )
            for continuation in queue.queued:
                pending.append((clock.now() + settings.invoke_delay, continuation))
            queue.queued.clear()
    arrivals = bench.endpoint.arrivals(url)
    responses = bench.endpoint.responses(url)
    result.responses = len(responses)
    if responses:
        result.responded_at = arrivals[0]
        result.response = responses[0]
    _count_calls(result, forecast)
    return result


# --------------------------------------------------------------------------- the anchors


class _AnchorHandler:
    """What an anchor's user function does with Forecast: the same calls a careful handler makes."""

    def __init__(self, forecast: ForecastStandIn) -> None:
        self.client = forecast.client()
        self.stop_requested = False

    def create(self, properties: Mapping[str, Any]) -> str:
        request = {
            key: copy.deepcopy(properties[key])
            for key in ("ForecastExportJobName", "ForecastArn", "Destination", "Format", "Tags")
            if key in properties
        }
        return str(self.client.create_forecast_export_job(**request)["ForecastExportJobArn"])

    def status(self, arn: str) -> str | None:
        try:
            return str(self.client.describe_forecast_export_job(ForecastExportJobArn=arn)["Status"])
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def created(self, arn: str) -> bool:
        """isComplete for a Create: Describe; done once the job left the CREATE_* states."""
        return self.status(arn) not in ("CREATE_PENDING", "CREATE_IN_PROGRESS")

    def deleted(self, arn: str) -> bool:
        """One step of a Delete: Describe; stop a running job, delete a settled one; done once gone."""
        status = self.status(arn)
        if status is None:
            return True
        if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS") and not self.stop_requested:
            self.client.stop_resource(ResourceArn=arn)
            self.stop_requested = True
        elif status in ("ACTIVE", "CREATE_FAILED", "CREATE_STOPPED"):
            self.client.delete_forecast_export_job(ForecastExportJobArn=arn)
        return False


def run_anchor(bench: Bench, forecast: ForecastStandIn, strategy: str, event: dict[str, Any]) -> RequestResult:
    """One request under the crhelper or the CDK Provider framework model."""
    clock = bench.clock
    handler = _AnchorHandler(forecast)
    result = RequestResult(strategy, event["RequestType"], clock.now())
    t0 = clock.now()
    # The first invocation (crhelper's create/delete function, or the framework's onEvent).
    result.invocations = 1
    if event["RequestType"] == "Create":
        arn = handler.create(event["ResourceProperties"])
        done = False
        poll = handler.created
    else:
        arn = event["PhysicalResourceId"]
        done = handler.deleted(arn)
        poll = handler.deleted
    if strategy == CRHELPER:
        # The rule is created at the end of the first invocation; it first fires one period later.
        polls = (t0 + CRHELPER_POLL_SECONDS * k for k in range(1, 10**6))
        answer_delay = CRHELPER_SLEEP_ON_DELETE if event["RequestType"] == "Delete" else 0.0
    elif strategy == CDK_PROVIDER:
        polls = (t0 + CDK_QUERY_INTERVAL * k for k in range(10**7))
        answer_delay = 0.0
    else:
        raise ValueError(strategy)
    while not done:
        moment = next(polls)
        if moment - t0 > GIVE_UP_AFTER:
            break
        clock.advance_to(moment)
        result.invocations += 1
        if strategy == CDK_PROVIDER:
            result.sfn_transitions += SFN_TRANSITIONS_PER_POLL
        done = poll(arn)
    if done:
        # crhelper sleeps before answering a Delete, inside the invocation that saw the job gone.
        clock.sleep(answer_delay)
        result.responded_at = clock.now()
        result.responses = 1
        result.response = {"Status": "SUCCESS", "PhysicalResourceId": arn}
    _count_calls(result, forecast)
    return result


def _count_calls(result: RequestResult, forecast: ForecastStandIn) -> None:
    calls = [call for call in forecast.calls if call.time >= result.requested_at]
    result.describes = sum(1 for call in calls if call.operation.startswith("Describe"))
    result.forecast_calls = len(calls)
    jobs = forecast.jobs()
    if jobs:
        result.job_created_at = jobs[-1].created_at
        result.job_gone_at = jobs[-1].deleted_at


# --------------------------------------------------------------------------- scenarios


def run(bench: Bench, strategy: str, forecast: ForecastStandIn, event: dict[str, Any], seed: int) -> RequestResult:
    if strategy == PROVIDER:
        return run_provider(bench, forecast, event, seed=seed)
    return run_anchor(bench, forecast, strategy, event)


def simulate_create(bench: Bench, strategy: str, duration: float, *, seed: int = 0) -> RequestResult:
    """A Create whose job takes ``duration`` seconds (``math.inf``: never finishes)."""
    with bench.forecast(duration=duration) as forecast:
        result = run(bench, strategy, forecast, bench.event("Create"), seed)
    if result.job_created_at is not None:
        result.job_active_at = result.job_created_at + duration
    return result


def simulate_delete(
    bench: Bench,
    strategy: str,
    *,
    delete_seconds: float = 20.0,
    stop_seconds: float = 20.0,
    in_progress: bool = False,
    seed: int = 0,
) -> RequestResult:
    """A Delete of an ACTIVE export, or (``in_progress``) of one still CREATE_IN_PROGRESS."""
    job_seconds = 600.0
    forecast = bench.forecast(duration=job_seconds, delete_seconds=delete_seconds, stop_seconds=stop_seconds)
    with forecast:
        create = bench.event("Create")
        arn = _AnchorHandler(forecast).create(create["ResourceProperties"])
        created_at = bench.clock.now()
        bench.clock.advance_to(created_at + (60.0 if in_progress else job_seconds + 60.0))
        event = bench.event("Delete", PhysicalResourceId=arn)
        result = run(bench, strategy, forecast, event, seed)
    result.job_created_at = created_at
    return result
