"""A small Amazon Forecast service for tests: the export-job APIs over Forecast's real wire protocol.

It speaks AWS JSON 1.1 exactly as botocore's ``forecast`` model defines it (``POST /`` with
``X-Amz-Target: AmazonForecast.<Operation>``), so an unmodified boto3 client reaches it through
``endpoint_url`` or ``AWS_ENDPOINT_URL_FORECAST``. Every request is validated against the model;
every successful response is checked against the operation's output shape.

Jobs move through Forecast's states on an injectable clock::

    CREATE_PENDING -> CREATE_IN_PROGRESS -> ACTIVE | CREATE_FAILED
    (StopResource)  -> CREATE_STOPPING -> CREATE_STOPPED
    (Delete*)       -> DELETE_PENDING -> DELETE_IN_PROGRESS -> gone | DELETE_FAILED
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import math
import random
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.model import OperationModel

from ._http import LocalServer, RequestHandler, credential_scope
from ._model import Validator, render_violations, service_model

KIND_NAMES = ("forecast_export", "predictor_backtest_export", "explainability_export", "what_if_forecast_export")

CREATING = ("CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_STOPPING")
IN_PROGRESS = ("CREATE_PENDING", "CREATE_IN_PROGRESS")
"""The states that take one of the per-kind concurrent-job slots."""
DELETING = ("DELETE_PENDING", "DELETE_IN_PROGRESS")
DELETABLE = ("ACTIVE", "CREATE_FAILED", "CREATE_STOPPED", "DELETE_FAILED")
GONE = "DELETED"


@dataclass(frozen=True)
class Kind:
    """One export kind: its API nouns and members, as botocore's model spells them."""

    name: str
    noun: str
    plural: str
    name_member: str
    arn_member: str
    source_member: str
    source_type: str
    arn_type: str
    stoppable: bool
    filter_keys: dict[str, str]

    @property
    def source_is_list(self) -> bool:
        """True for what-if exports, whose source is a list of ARNs."""
        return self.source_member.endswith("s")


KINDS: dict[str, Kind] = {
    "forecast_export": Kind(
        "forecast_export",
        "ForecastExportJob",
        "ForecastExportJobs",
        "ForecastExportJobName",
        "ForecastExportJobArn",
        "ForecastArn",
        "forecast",
        "forecast-export-job",
        True,
        {"ForecastArn": "source", "Status": "status"},
    ),
    "predictor_backtest_export": Kind(
        "predictor_backtest_export",
        "PredictorBacktestExportJob",
        "PredictorBacktestExportJobs",
        "PredictorBacktestExportJobName",
        "PredictorBacktestExportJobArn",
        "PredictorArn",
        "predictor",
        "predictor-backtest-export-job",
        True,
        {"PredictorArn": "source", "Status": "status"},
    ),
    # The model documents ResourceArn (the explainability's ARN) as this List's filter key.
    "explainability_export": Kind(
        "explainability_export",
        "ExplainabilityExport",
        "ExplainabilityExports",
        "ExplainabilityExportName",
        "ExplainabilityExportArn",
        "ExplainabilityArn",
        "explainability",
        "explainability-export",
        True,
        {"ResourceArn": "source", "Status": "status"},
    ),
    # StopResource does not list what-if forecast exports; the List filters on the export's own ARN.
    "what_if_forecast_export": Kind(
        "what_if_forecast_export",
        "WhatIfForecastExport",
        "WhatIfForecastExports",
        "WhatIfForecastExportName",
        "WhatIfForecastExportArn",
        "WhatIfForecastArns",
        "what-if-forecast",
        "what-if-forecast-export",
        False,
        {"WhatIfForecastExportArn": "arn", "Status": "status"},
    ),
}

OPERATIONS: dict[str, tuple[str, str]] = {}
for _kind in KINDS.values():
    OPERATIONS[f"Create{_kind.noun}"] = ("create", _kind.name)
    OPERATIONS[f"Describe{_kind.noun}"] = ("describe", _kind.name)
    OPERATIONS[f"Delete{_kind.noun}"] = ("delete", _kind.name)
    OPERATIONS[f"List{_kind.plural}"] = ("list", _kind.name)
for _op in ("StopResource", "TagResource", "UntagResource", "ListTagsForResource"):
    OPERATIONS[_op] = (_op, "")

MAX_TAGS = 50


class ApiError(Exception):
    """An error answer: HTTP status, error code (``__type``) and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Call:
    """One request the stand-in received."""

    operation: str
    params: dict[str, Any]
    error: str | None
    time: float


@dataclass(frozen=True)
class JobInfo:
    """A snapshot of one export job (``status`` is ``DELETED`` once the job is gone)."""

    kind: str
    name: str
    arn: str
    status: str
    message: str | None
    created_at: float
    deleted_at: float | None
    tags: dict[str, str]
    request: dict[str, Any]
    source_arns: tuple[str, ...]
    destination: dict[str, Any]
    format: str | None


@dataclass
class _Job:
    kind: Kind
    name: str
    arn: str
    seq: int
    source_arns: list[str]
    destination: dict[str, Any]
    format: str | None
    tags: dict[str, str]
    request: dict[str, Any]
    created_at: float
    duration: float
    failure: str | None
    stop_at: float | None = None
    delete_at: float | None = None
    delete_failure: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ForecastStandIn:
    """An in-process Amazon Forecast endpoint for the export-job APIs.

    Keyword arguments:
        region, account: used in the ARNs it issues and to check the SigV4 credential scope.
        clock: the time source for job states (default ``time.time``).
        pending_seconds: time in CREATE_PENDING (and DELETE_PENDING).
        duration: seconds from Create to ACTIVE (or CREATE_FAILED); a float or
            ``callable(kind_name, export_name) -> float``; ``math.inf`` never finishes.
        failure: ``callable(kind_name, export_name) -> message | None``; a message makes the job
            end CREATE_FAILED with that Message.
        stop_seconds: time in CREATE_STOPPING after StopResource.
        delete_seconds: time from Delete until the job is gone (or DELETE_FAILED).
        delete_failure: ``callable(kind_name, export_name) -> message | None`` for DELETE_FAILED.
        max_concurrent_per_kind: concurrent-job limit per kind (None: unlimited).
        throttle_rate, server_error_rate: probabilities (0..1) of ThrottlingException / HTTP 500.
        seed: seed of the random source used for throttling and server errors.
        page_size: caps every List page (to force pagination).
        list_order: ``"newest"`` (default) or ``"oldest"``: which jobs List* answers first
            (Forecast documents no order).
        after_create: ``callable(kind_name, arn)``, run after a Create is recorded and before its
            HTTP response is written.
        source_exists: ``callable(source_arn) -> bool``; False makes Create answer
            ResourceNotFoundException (default: every source exists).

    Fault switches (default off; each is also a plain attribute, settable at any time):
        list_lag_seconds: a job is invisible to List* until this long after its creation (Describe
            sees it at once); a float or ``callable(kind_name, export_name) -> float``
            (``math.inf``: never listed).
        explainability_filter: which ARN ``ListExplainabilityExports``' ``ResourceArn`` filter
            matches: ``"source"`` (the explainability's, as the model documents it) or ``"export"``
            (the export's own ARN).
        stop_loses_race: StopResource on a job in CREATE_PENDING/CREATE_IN_PROGRESS finds it just
            turned ACTIVE: the job becomes ACTIVE and the call answers InvalidInputException.
        resource_limit: a resource-count quota per kind that waiting does not lift: Create* answers
            LimitExceededException while that many jobs of the kind exist, in any state (0: every
            Create). An int for every kind, or ``{kind_name: int}``.
        answer_delay: real seconds to wait before answering: a float for every operation, or
            ``{operation: seconds}`` (key ``"*"``: every other operation), or
            ``callable(operation) -> seconds``.
        inject_error: ``callable(operation, params) -> (code, message, http_status) | None``: a
            tuple makes a valid request answer that error instead (an unexpected error).
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        clock: Callable[[], float] = time.time,
        pending_seconds: float = 0.05,
        duration: float | Callable[[str, str], float] = 0.5,
        failure: Callable[[str, str], str | None] | None = None,
        stop_seconds: float = 0.2,
        delete_seconds: float = 0.2,
        delete_failure: Callable[[str, str], str | None] | None = None,
        max_concurrent_per_kind: int | None = None,
        throttle_rate: float = 0.0,
        server_error_rate: float = 0.0,
        seed: int | None = 0,
        page_size: int | None = None,
        list_order: str = "newest",
        after_create: Callable[[str, str], None] | None = None,
        source_exists: Callable[[str], bool] | None = None,
        list_lag_seconds: float | Callable[[str, str], float] = 0.0,
        explainability_filter: str = "source",
        stop_loses_race: bool = False,
        resource_limit: int | Mapping[str, int] | None = None,
        answer_delay: float | Mapping[str, float] | Callable[[str], float] = 0.0,
        inject_error: Callable[[str, dict[str, Any]], tuple[str, str, int] | None] | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self.clock = clock
        self.pending_seconds = pending_seconds
        self.duration = duration
        self.failure = failure
        self.stop_seconds = stop_seconds
        self.delete_seconds = delete_seconds
        self.delete_failure = delete_failure
        self.max_concurrent_per_kind = max_concurrent_per_kind
        self.throttle_rate = throttle_rate
        self.server_error_rate = server_error_rate
        self.page_size = page_size
        if list_order not in ("newest", "oldest"):
            raise ValueError("list_order is 'newest' or 'oldest'")
        self.list_order = list_order
        self.after_create = after_create
        self.source_exists = source_exists
        self.list_lag_seconds = list_lag_seconds
        if explainability_filter not in ("source", "export"):
            raise ValueError("explainability_filter is 'source' or 'export'")
        self.explainability_filter = explainability_filter
        self.stop_loses_race = stop_loses_race
        self.resource_limit = resource_limit
        self.answer_delay = answer_delay
        self.inject_error = inject_error
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}  # by ARN, live ones
        self._all_jobs: list[_Job] = []
        self._deleted_at: dict[int, float] = {}  # by seq
        self._calls: list[Call] = []
        self._max_concurrency: dict[str, int] = dict.fromkeys(KIND_NAMES, 0)
        self._seq = 0
        self.internal_errors: list[str] = []
        self._model = service_model("forecast")
        self._server: LocalServer | None = None
        self._request_validator = Validator(mode="match", skip_pattern_if=_skip_pattern)
        self._response_validator = Validator(mode="match", skip_pattern_if=_skip_pattern)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ForecastStandIn:
        """Start serving on 127.0.0.1 (ephemeral port)."""
        if self._server is None:
            self._server = LocalServer(self._handle)
            self._server.start("forecast-standin")
        return self

    def stop(self) -> None:
        """Stop serving; raise AssertionError if the stand-in hit an internal error meanwhile."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.check()

    def check(self) -> None:
        """Raise AssertionError if any response failed its self-check or a handler crashed."""
        if self.internal_errors:
            raise AssertionError("Forecast stand-in internal errors:\n" + "\n".join(self.internal_errors))

    def __enter__(self) -> ForecastStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("the Forecast stand-in is not started")
        return f"http://127.0.0.1:{self._server.port}"

    def client(self, **config: Any) -> Any:
        """A boto3 Forecast client for this endpoint (fake credentials, no botocore retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "forecast",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            aws_session_token="standin-session-token",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
        )

    # ------------------------------------------------------------------ introspection

    @property
    def calls(self) -> list[Call]:
        """Every request received so far (a copy)."""
        with self._lock:
            return list(self._calls)

    def count(self, operation: str, *, errors: bool = False) -> int:
        """How many ``operation`` calls succeeded; with ``errors=True``, all calls including errors."""
        with self._lock:
            return sum(1 for c in self._calls if c.operation == operation and (errors or c.error is None))

    def jobs(self) -> list[JobInfo]:
        """Every job ever created, deleted ones included, oldest first."""
        with self._lock:
            now = self.clock()
            return [self._info(job, now) for job in self._all_jobs]

    def live_jobs(self) -> list[JobInfo]:
        """The jobs that still exist (not yet deleted), oldest first."""
        return [job for job in self.jobs() if job.deleted_at is None]

    def job(self, arn: str) -> JobInfo:
        """The most recent job with this ARN (KeyError if none was ever created)."""
        for info in reversed(self.jobs()):
            if info.arn == arn:
                return info
        raise KeyError(arn)

    def max_concurrency(self, kind: str) -> int:
        """The largest number of jobs of ``kind`` seen creating at the same time."""
        with self._lock:
            return self._max_concurrency[kind]

    def arn_for(self, kind: str, export_name: str, source: str | None = None) -> str:
        """The ARN this stand-in issues for an export (``source``: the source ARN; unused for what-if)."""
        k = KINDS[kind]
        prefix = f"arn:aws:forecast:{self.region}:{self.account}:{k.arn_type}/"
        if k.source_is_list:
            return prefix + export_name
        if source is None:
            raise ValueError(f"{kind} ARNs need the source ARN")
        return f"{prefix}{_resource_name(source)}/{export_name}"

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: RequestHandler) -> None:
        request_id = str(uuid.uuid4())
        body = request.read_body()
        if request.command != "POST" or request.path.split("?")[0] != "/":
            self._send(request, request_id, 404, {"__type": "UnknownOperationException", "message": ""})
            return
        target = request.headers.get("X-Amz-Target", "")
        prefix = self._model.metadata["targetPrefix"] + "."
        operation = target[len(prefix) :] if target.startswith(prefix) else target
        params: dict[str, Any] = {}
        try:
            if not target.startswith(prefix) or operation not in self._model.operation_names:
                raise ApiError("UnknownOperationException", f"Unknown operation {target!r}")
            scope = credential_scope(request.headers.get("Authorization"))
            if scope is None:
                raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 400)
            if scope[2] != "forecast":
                raise ApiError(
                    "InvalidSignatureException", "Credential should be scoped to correct service: 'forecast'.", 403
                )
            if scope[1] != self.region:
                raise ApiError(
                    "InvalidSignatureException",
                    f"Credential should be scoped to a valid region, not '{scope[1]}'.",
                    403,
                )
            try:
                parsed = json.loads(body or b"{}")
            except ValueError as exc:
                raise ApiError("SerializationException", f"Request body is not valid JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise ApiError("SerializationException", "Request body must be a JSON object")
            params = parsed
            with self._lock:
                if self._random.random() < self.throttle_rate:
                    raise ApiError("ThrottlingException", "Rate exceeded")
                if self._random.random() < self.server_error_rate:
                    raise ApiError(
                        "InternalFailure",
                        "The request processing has failed because of an unknown error, exception or failure.",
                        500,
                    )
            if operation not in OPERATIONS:
                raise ApiError("UnknownOperationException", f"The stand-in does not implement {operation}")
            delay = self._delay_for(operation)
            if delay > 0:
                time.sleep(delay)
            op_model = self._model.operation_model(operation)
            violations = self._request_validator.validate(op_model.input_shape, params)
            if violations:
                raise ApiError("ValidationException", render_violations(violations))
            injected = self.inject_error(operation, params) if self.inject_error is not None else None
            if injected is not None:
                raise ApiError(*injected)
            result, hook = self._dispatch(operation, params)
            self._self_check(op_model, result)
        except ApiError as error:
            self._record(operation, params, error.code)
            self._send(request, request_id, error.status, {"__type": error.code, "message": error.message})
            return
        except Exception:
            detail = traceback.format_exc()
            with self._lock:
                self.internal_errors.append(f"{operation}: {detail}")
            self._record(operation, params, "InternalFailure")
            self._send(request, request_id, 500, {"__type": "InternalFailure", "message": "stand-in error"})
            return
        self._record(operation, params, None)
        if hook is not None:
            try:
                hook()
            except Exception:
                with self._lock:
                    self.internal_errors.append(f"after_create hook: {traceback.format_exc()}")
        self._send(request, request_id, 200, result)

    def _delay_for(self, operation: str) -> float:
        delay = self.answer_delay
        if callable(delay):
            return float(delay(operation))
        if isinstance(delay, Mapping):
            return float(delay.get(operation, delay.get("*", 0.0)))
        return float(delay)

    def _send(self, request: RequestHandler, request_id: str, status: int, payload: dict[str, Any]) -> None:
        request.send(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
        )

    def _record(self, operation: str, params: dict[str, Any], error: str | None) -> None:
        with self._lock:
            self._calls.append(Call(operation, copy.deepcopy(params), error, self.clock()))

    def _self_check(self, op_model: OperationModel, result: dict[str, Any]) -> None:
        shape = op_model.output_shape
        if shape is None:
            if result:
                raise AssertionError(f"{op_model.name} has no output, but the stand-in returned {result}")
            return
        violations = self._response_validator.validate(shape, result)
        if violations:
            raise AssertionError(
                f"{op_model.name} response fails its output shape: {render_violations(violations)}\n{result}"
            )

    # ------------------------------------------------------------------ operations

    def _dispatch(self, operation: str, params: dict[str, Any]) -> tuple[dict[str, Any], Callable[[], None] | None]:
        action, kind_name = OPERATIONS[operation]
        with self._lock:
            now = self.clock()
            self._purge(now)
            if action == "create":
                kind = KINDS[kind_name]
                arn = self._create(kind, params, now)
                hook = None
                if self.after_create is not None:
                    hook = functools.partial(self.after_create, kind.name, arn)
                return {kind.arn_member: arn}, hook
            if action == "describe":
                kind = KINDS[kind_name]
                return self._describe(kind, self._find(params[kind.arn_member], now, kind), now), None
            if action == "delete":
                kind = KINDS[kind_name]
                self._delete(self._find(params[kind.arn_member], now, kind), now)
                return {}, None
            if action == "list":
                return self._list(KINDS[kind_name], operation, params, now), None
            if action == "StopResource":
                self._stop(self._find(params["ResourceArn"], now), now)
                return {}, None
            if action == "TagResource":
                job = self._find(params["ResourceArn"], now)
                tags = self._check_tags(params["Tags"])
                merged = {**job.tags, **tags}
                if len(merged) > MAX_TAGS:
                    raise ApiError(
                        "LimitExceededException",
                        f"A resource can have at most {MAX_TAGS} tags; this request would leave {len(merged)}.",
                    )
                job.tags = merged
                return {}, None
            if action == "UntagResource":
                job = self._find(params["ResourceArn"], now)
                for key in params["TagKeys"]:
                    if key.lower().startswith("aws:"):
                        raise ApiError("InvalidInputException", f"Tag key {key!r} is reserved for AWS use.")
                for key in params["TagKeys"]:
                    job.tags.pop(key, None)
                return {}, None
            if action == "ListTagsForResource":
                job = self._find(params["ResourceArn"], now)
                return {"Tags": [{"Key": k, "Value": v} for k, v in job.tags.items()]}, None
        raise AssertionError(operation)

    def _create(self, kind: Kind, params: dict[str, Any], now: float) -> str:
        name = params[kind.name_member]
        sources = list(params[kind.source_member]) if kind.source_is_list else [params[kind.source_member]]
        for source in sources:
            self._check_source(kind, source)
        fmt = params.get("Format")
        if fmt is not None and fmt not in ("CSV", "PARQUET"):
            raise ApiError("InvalidInputException", f"Format must be CSV or PARQUET, not {fmt!r}.")
        tags = self._check_tags(params.get("Tags", []))
        if len(tags) > MAX_TAGS:
            raise ApiError("LimitExceededException", f"A resource can have at most {MAX_TAGS} tags.")
        arn = self.arn_for(kind.name, name, sources[0])
        if arn in self._jobs:
            raise ApiError("ResourceAlreadyExistsException", f"A resource with the ARN {arn} already exists.")
        statuses = [self._status(j, now)[0] for j in list(self._jobs.values()) if j.kind is kind]
        existing = [status for status in statuses if status != GONE]
        quota = self._resource_limit(kind)
        if quota is not None and len(existing) >= quota:
            raise ApiError(
                "LimitExceededException",
                f"You have exceeded the limit of {quota} resources of type {kind.noun} in this account; "
                "delete unused resources or request a quota increase.",
            )
        creating = [status for status in statuses if status in IN_PROGRESS]
        limit = self.max_concurrent_per_kind
        if limit is not None and len(creating) >= limit:
            raise ApiError(
                "LimitExceededException",
                f"You have reached the concurrent job limit of {limit} for {kind.noun} resources in "
                f"CREATE_PENDING or CREATE_IN_PROGRESS; wait for one to finish.",
            )
        duration = self.duration(kind.name, name) if callable(self.duration) else self.duration
        failure = self.failure(kind.name, name) if self.failure is not None else None
        self._seq += 1
        job = _Job(
            kind=kind,
            name=name,
            arn=arn,
            seq=self._seq,
            source_arns=sources,
            destination=copy.deepcopy(params["Destination"]),
            format=fmt,
            tags=tags,
            request=copy.deepcopy(params),
            created_at=now,
            duration=float(duration),
            failure=failure,
        )
        self._jobs[arn] = job
        self._all_jobs.append(job)
        self._max_concurrency[kind.name] = max(self._max_concurrency[kind.name], len(creating) + 1)
        return arn

    def _resource_limit(self, kind: Kind) -> int | None:
        limit = self.resource_limit
        if isinstance(limit, Mapping):
            return limit.get(kind.name)
        return limit

    def _check_source(self, kind: Kind, source: str) -> None:
        parts = source.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith(kind.source_type + "/"):
            raise ApiError(
                "InvalidInputException",
                f"{kind.source_member} must be the ARN of a {kind.source_type} resource, not {source!r}.",
            )
        if parts[3] != self.region or parts[4] != self.account:
            raise ApiError("ResourceNotFoundException", f"No resource found with the ARN {source}.")
        if self.source_exists is not None and not self.source_exists(source):
            raise ApiError("ResourceNotFoundException", f"No resource found with the ARN {source}.")

    def _check_tags(self, tags: list[dict[str, str]]) -> dict[str, str]:
        result: dict[str, str] = {}
        for tag in tags:
            key = tag["Key"]
            if key.lower().startswith("aws:"):
                raise ApiError("InvalidInputException", "Tag keys starting with 'aws:' are reserved for AWS use.")
            if key in result:
                raise ApiError("InvalidInputException", f"Duplicate tag key {key!r}; each tag key must be unique.")
            result[key] = tag["Value"]
        return result

    def _find(self, arn: str, now: float, kind: Kind | None = None) -> _Job:
        job = self._jobs.get(arn)
        if job is not None and self._status(job, now)[0] == GONE:
            job = None
        if job is None or (kind is not None and job.kind is not kind):
            raise ApiError("ResourceNotFoundException", f"No resource found with the ARN {arn}.")
        return job

    def _describe(self, kind: Kind, job: _Job, now: float) -> dict[str, Any]:
        status, since = self._status(job, now)
        result: dict[str, Any] = {
            kind.arn_member: job.arn,
            kind.name_member: job.name,
            kind.source_member: list(job.source_arns) if kind.source_is_list else job.source_arns[0],
            "Destination": copy.deepcopy(job.destination),
            "Status": status,
            "CreationTime": job.created_at,
            "LastModificationTime": since,
        }
        message = self._message(job, status)
        if message is not None:
            result["Message"] = message
        if job.format is not None:
            result["Format"] = job.format
        output = self._model.operation_model(f"Describe{kind.noun}").output_shape
        assert output is not None
        if "EstimatedTimeRemainingInMinutes" in output.members and status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            remaining = job.created_at + job.duration - now
            if math.isfinite(remaining):
                result["EstimatedTimeRemainingInMinutes"] = max(0, math.ceil(remaining / 60))
        return result

    def _message(self, job: _Job, status: str) -> str | None:
        if status == "CREATE_FAILED":
            return job.failure
        if status == "DELETE_FAILED":
            return job.delete_failure
        return None

    def _delete(self, job: _Job, now: float) -> None:
        status = self._status(job, now)[0]
        if status not in DELETABLE:
            raise ApiError(
                "ResourceInUseException",
                f"The resource {job.arn} is in status {status}; it can be deleted only when it is "
                "ACTIVE, CREATE_FAILED or CREATE_STOPPED.",
            )
        job.delete_at = now
        job.delete_failure = self.delete_failure(job.kind.name, job.name) if self.delete_failure else None

    def _stop(self, job: _Job, now: float) -> None:
        if not job.kind.stoppable:
            raise ApiError(
                "InvalidInputException",
                f"StopResource does not support {job.kind.noun} resources: {job.arn}.",
            )
        status = self._status(job, now)[0]
        if self.stop_loses_race and status in IN_PROGRESS and job.failure is None:
            # The job finished just before the stop arrived.
            job.duration = max(0.0, now - job.created_at)
            status = self._status(job, now)[0]
        if status not in IN_PROGRESS:
            raise ApiError(
                "InvalidInputException",
                f"The resource {job.arn} is in status {status} and is not in a stoppable state; only "
                "resources in CREATE_PENDING or CREATE_IN_PROGRESS can be stopped.",
            )
        job.stop_at = now

    def _list(self, kind: Kind, operation: str, params: dict[str, Any], now: float) -> dict[str, Any]:
        filters = params.get("Filters", [])
        for item in filters:
            if item["Key"] not in kind.filter_keys:
                raise ApiError(
                    "InvalidInputException",
                    f"Filter key {item['Key']!r} is not valid for {operation}; valid keys: "
                    + ", ".join(kind.filter_keys),
                )
        digest = hashlib.sha256(json.dumps([operation, filters], sort_keys=True).encode()).hexdigest()[:16]
        newest_first = self.list_order == "newest"
        after = math.inf if newest_first else -math.inf
        token = params.get("NextToken")
        if token is not None:
            after = self._decode_token(token, digest)
        limit = min(params.get("MaxResults", 100), self.page_size or 100)
        matching: list[tuple[_Job, str, float]] = []
        for job in sorted(self._jobs.values(), key=lambda j: -j.seq if newest_first else j.seq):
            if job.kind is not kind or (job.seq >= after if newest_first else job.seq <= after):
                continue
            if now < job.created_at + self._list_lag(job):
                continue
            status, since = self._status(job, now)
            if status == GONE or not all(self._filter_matches(kind, job, status, f) for f in filters):
                continue
            matching.append((job, status, since))
        page = matching[:limit]
        result: dict[str, Any] = {kind.plural: [self._summary(kind, *entry) for entry in page]}
        if len(matching) > limit:
            raw = json.dumps({"after": page[-1][0].seq, "filters": digest, "nonce": uuid.uuid4().hex[:8]})
            result["NextToken"] = base64.urlsafe_b64encode(raw.encode()).decode()
        return result

    def _list_lag(self, job: _Job) -> float:
        lag = self.list_lag_seconds
        return float(lag(job.kind.name, job.name) if callable(lag) else lag)

    def _decode_token(self, token: str, digest: str) -> float:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            if data["filters"] != digest:
                raise ValueError("filters changed")
            return float(data["after"])
        except (ValueError, KeyError, TypeError) as exc:
            message = "The token is not valid. Tokens expire after 24 hours."
            raise ApiError("InvalidNextTokenException", message) from exc

    def _filter_matches(self, kind: Kind, job: _Job, status: str, item: dict[str, str]) -> bool:
        target = kind.filter_keys[item["Key"]]
        value = item["Value"]
        if target == "status":
            hit = status == value
        elif target == "arn" or (kind.name == "explainability_export" and self.explainability_filter == "export"):
            hit = job.arn == value
        else:
            hit = value in job.source_arns
        return hit if item["Condition"] == "IS" else not hit

    def _summary(self, kind: Kind, job: _Job, status: str, since: float) -> dict[str, Any]:
        summary: dict[str, Any] = {
            kind.arn_member: job.arn,
            kind.name_member: job.name,
            "Destination": copy.deepcopy(job.destination),
            "Status": status,
            "CreationTime": job.created_at,
            "LastModificationTime": since,
        }
        if kind.source_is_list:
            summary[kind.source_member] = list(job.source_arns)
        message = self._message(job, status)
        if message is not None:
            summary["Message"] = message
        return summary

    # ------------------------------------------------------------------ states

    def _purge(self, now: float) -> None:
        """Drop the jobs whose deletion has completed by ``now``."""
        for job in list(self._jobs.values()):
            self._status(job, now)

    def _status(self, job: _Job, now: float) -> tuple[str, float]:
        """(status, time the job entered it) at ``now``."""
        if job.seq in self._deleted_at:
            return GONE, self._deleted_at[job.seq]
        if job.delete_at is not None:
            start = job.delete_at
            done = start + self.delete_seconds
            if now >= done:
                if job.delete_failure is not None:
                    return "DELETE_FAILED", done
                self._deleted_at[job.seq] = done
                if self._jobs.get(job.arn) is job:
                    del self._jobs[job.arn]
                return GONE, done
            pending_end = start + min(self.pending_seconds, self.delete_seconds)
            if now >= pending_end:
                return "DELETE_IN_PROGRESS", pending_end
            return "DELETE_PENDING", start
        if job.stop_at is not None:
            stopped = job.stop_at + self.stop_seconds
            if now >= stopped:
                return "CREATE_STOPPED", stopped
            if now >= job.stop_at:
                return "CREATE_STOPPING", job.stop_at
        created = job.created_at
        end = created + job.duration
        pending_end = created + min(self.pending_seconds, job.duration)
        if now < pending_end:
            return "CREATE_PENDING", created
        if now < end:
            return "CREATE_IN_PROGRESS", pending_end
        return ("CREATE_FAILED" if job.failure is not None else "ACTIVE"), end

    def _info(self, job: _Job, now: float) -> JobInfo:
        status, _ = self._status(job, now)
        return JobInfo(
            kind=job.kind.name,
            name=job.name,
            arn=job.arn,
            status=status,
            message=self._message(job, status),
            created_at=job.created_at,
            deleted_at=self._deleted_at.get(job.seq),
            tags=dict(job.tags),
            request=copy.deepcopy(job.request),
            source_arns=tuple(job.source_arns),
            destination=copy.deepcopy(job.destination),
            format=job.format,
        )


def _resource_name(arn: str) -> str:
    """The last ``/`` segment of an ARN's resource part."""
    return arn.split(":", 5)[-1].rsplit("/", 1)[-1]


def _skip_pattern(path: str, value: Any, parent: dict[str, Any] | None) -> bool:
    """Patterns the live service does not apply although the model states them.

    - ``S3Config.RoleArn`` reuses the Forecast ``Arn`` shape, which no IAM role ARN matches.
    - A ``Status`` filter's Value is a status, not an ARN, although ``Filter.Value`` is an ``Arn``.
    """
    if path.endswith("S3Config.RoleArn"):
        return True
    return path == "Filters[].Value" and isinstance(parent, dict) and parent.get("Key") == "Status"
