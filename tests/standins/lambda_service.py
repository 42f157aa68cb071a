"""AWS Lambda's ``Invoke`` operation over its real rest-json wire protocol, for tests.

moto cannot stand in here: it runs functions only in Docker. This server accepts the requests an
unmodified boto3 ``lambda`` client sends (``POST /2015-03-31/functions/{FunctionName}/invocations``),
validates them against botocore's model and hands asynchronous (``Event``) payloads to a callback,
typically :meth:`tests.standins.lambda_runtime.LambdaRuntime.enqueue`.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ._http import LocalServer, RequestHandler, credential_scope
from ._model import Validator, render_violations, service_model

ASYNC_PAYLOAD_LIMIT = 256 * 1024
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_ARN = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z0-9-]+):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9_.-]+)(?::(?P<qualifier>[^:]+))?$"
)


class LambdaError(Exception):
    """An error answer in Lambda's rest-json form."""

    def __init__(
        self, status: int, code: str, message: str, kind: str = "User", extra: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.kind = kind
        self.extra = dict(extra or {})


@dataclass(frozen=True)
class InvokeRecord:
    """One Invoke request: when, which function, how big, and the answer."""

    time: float
    function_name: str | None
    invocation_type: str
    size: int
    status: int
    error: str | None


class LambdaServiceStandIn:
    """An in-process Lambda endpoint implementing ``Invoke``.

    Keyword arguments:
        region, account: where the registered functions live (ARNs in other regions or accounts
            are not found).
        throttle_rate: probability (0..1) of a 429 TooManyRequestsException; seeded by ``seed``.
        async_payload_limit: largest Event payload in bytes (Lambda's documented 256 KB).
        invoke_error: a fault switch (default off; also a plain attribute): ``"AccessDeniedException"``
            refuses Invoke with 403, as when the caller lacks ``lambda:InvokeFunction``;
            ``"TooManyRequestsException"`` throttles it with 429 and Reason
            ``ReservedFunctionConcurrentInvocationLimitExceeded``.
        invoke_error_count: how many Invoke calls ``invoke_error`` applies to, counting down with
            each refused call (None: every call while the switch is on).
        answer_delay: real seconds to wait before acting on an Invoke and answering it (also a
            plain attribute): a client whose read timeout is shorter gives up, while the request
            still goes on, as Lambda's does, and may start the invocation.
        answer_delay_count: how many Invoke calls ``answer_delay`` applies to (None: every call).
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        throttle_rate: float = 0.0,
        seed: int | None = 0,
        async_payload_limit: int = ASYNC_PAYLOAD_LIMIT,
        invoke_error: str | None = None,
        invoke_error_count: int | None = None,
        answer_delay: float = 0.0,
        answer_delay_count: int | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self.throttle_rate = throttle_rate
        self.async_payload_limit = async_payload_limit
        self.invoke_error = invoke_error
        self.invoke_error_count = invoke_error_count
        self.answer_delay = answer_delay
        self.answer_delay_count = answer_delay_count
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._functions: dict[str, Callable[[bytes], None]] = {}
        self._records: list[InvokeRecord] = []
        self.internal_errors: list[str] = []
        self._op = service_model("lambda").operation_model("Invoke")
        self._validator = Validator(mode="fullmatch")
        self._server: LocalServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LambdaServiceStandIn:
        """Start serving on 127.0.0.1 (ephemeral port)."""
        if self._server is None:
            self._server = LocalServer(self._handle)
            self._server.start("lambda-standin")
        return self

    def stop(self) -> None:
        """Stop serving; raise AssertionError if a callback crashed meanwhile."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.internal_errors:
            raise AssertionError("Lambda stand-in internal errors:\n" + "\n".join(self.internal_errors))

    def __enter__(self) -> LambdaServiceStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("the Lambda stand-in is not started")
        return f"http://127.0.0.1:{self._server.port}"

    # ------------------------------------------------------------------ functions

    def function_arn(self, function_name: str) -> str:
        """The unqualified ARN of a function in this stand-in's region and account."""
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{function_name}"

    def register(self, function_name: str, on_async_invoke: Callable[[bytes], None]) -> str:
        """Make a function invocable; ``on_async_invoke(payload)`` receives each accepted Event.

        ``function_name`` may be a name, a partial ARN or a full ARN. Returns the function's ARN.
        """
        name = self._resolve(function_name, None, registering=True)
        with self._lock:
            self._functions[name] = on_async_invoke
        return self.function_arn(name)

    def unregister(self, function_name: str) -> None:
        """Remove a function (later invocations get ResourceNotFoundException)."""
        name = self._resolve(function_name, None, registering=True)
        with self._lock:
            self._functions.pop(name, None)

    @property
    def invocations(self) -> list[InvokeRecord]:
        """Every Invoke request received (a copy)."""
        with self._lock:
            return list(self._records)

    def _resolve(self, function_name: str, qualifier: str | None, registering: bool = False) -> str:
        found = _ARN.match(function_name)
        if not found:
            raise LambdaError(400, "InvalidParameterValueException", f"Invalid function name: {function_name}")
        name = found.group("name")
        if not FUNCTION_NAME.fullmatch(name):
            raise LambdaError(400, "InvalidParameterValueException", f"Invalid function name: {name}")
        region = found.group("region")
        account = found.group("account")
        if registering:
            if found.group("qualifier") is not None:
                raise ValueError("register an unqualified function name or ARN")
            if (region and region != self.region) or (account and account != self.account):
                raise ValueError(f"{function_name} is not in {self.region}/{self.account}")
            return name
        derived = found.group("qualifier")
        if derived is not None and qualifier is not None and derived != qualifier:
            raise LambdaError(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
            )
        wanted = derived or qualifier
        arn = self.function_arn(name) + (f":{wanted}" if wanted else "")
        with self._lock:
            known = name in self._functions
        if (region and region != self.region) or (account and account != self.account) or not known:
            shown = function_name if function_name.startswith("arn:") else arn
            raise LambdaError(404, "ResourceNotFoundException", f"Function not found: {shown}")
        if wanted not in (None, "$LATEST"):
            raise LambdaError(404, "ResourceNotFoundException", f"Function not found: {arn}")
        return name

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: RequestHandler) -> None:
        request_id = str(uuid.uuid4())
        body = request.read_body()
        self._delay_the_answer()
        split = urlsplit(request.path)
        invocation_type = request.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        name: str | None = None
        status = 500
        error: str | None = None
        try:
            found = _PATH.match(split.path)
            if request.command != "POST" or not found:
                raise LambdaError(404, "UnknownOperationException", f"No operation at {request.command} {split.path}")
            scope = credential_scope(request.headers.get("Authorization"))
            if scope is None:
                raise LambdaError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
            if scope[2] != "lambda" or scope[1] != self.region:
                raise LambdaError(
                    403, "InvalidSignatureException", f"Credential should be scoped to {self.region}/lambda."
                )
            params: dict[str, Any] = {"FunctionName": unquote(found.group(1))}
            for header, member in (
                ("X-Amz-Invocation-Type", "InvocationType"),
                ("X-Amz-Log-Type", "LogType"),
                ("X-Amz-Client-Context", "ClientContext"),
            ):
                if request.headers.get(header) is not None:
                    params[member] = request.headers[header]
            query = parse_qs(split.query, keep_blank_values=True)
            if "Qualifier" in query:
                params["Qualifier"] = query["Qualifier"][0]
            violations = self._validator.validate(self._op.input_shape, params)
            if violations:
                raise LambdaError(400, "ValidationException", render_violations(violations))
            self._injected_error(params["FunctionName"])
            with self._lock:
                throttled = self._random.random() < self.throttle_rate
            if throttled:
                raise LambdaError(429, "TooManyRequestsException", "Rate Exceeded.")
            name = self._resolve(params["FunctionName"], params.get("Qualifier"))
            if invocation_type == "DryRun":
                status = 204
            elif invocation_type == "Event":
                if len(body) > self.async_payload_limit:
                    raise LambdaError(
                        413,
                        "RequestTooLargeException",
                        f"{len(body)} byte payload is too large for the Event invocation type "
                        f"(limit {self.async_payload_limit} bytes)",
                    )
                if body:
                    try:
                        json.loads(body)
                    except ValueError as exc:
                        raise LambdaError(
                            400, "InvalidRequestContentException", f"Could not parse request body into json: {exc}"
                        ) from exc
                with self._lock:
                    callback = self._functions[name]
                callback(body or b"{}")
                status = 202
            else:
                raise LambdaError(
                    400,
                    "InvalidParameterValueException",
                    "The Lambda stand-in accepts only the Event and DryRun invocation types.",
                )
        except LambdaError as exc:
            status, error = exc.status, exc.code
            self._record(name, invocation_type, len(body), status, error)
            request.send(
                status,
                json.dumps({"Type": exc.kind, "Message": exc.message, **exc.extra}).encode(),
                {
                    "Content-Type": "application/json",
                    "x-amzn-RequestId": request_id,
                    "x-amzn-ErrorType": f"{exc.code}:http://internal.amazon.com/coral/com.amazonaws.awsgambit/",
                },
            )
            return
        except Exception:
            with self._lock:
                self.internal_errors.append(traceback.format_exc())
            self._record(name, invocation_type, len(body), 500, "ServiceException")
            request.send(
                500,
                json.dumps({"Type": "Service", "Message": "stand-in error"}).encode(),
                {"Content-Type": "application/json", "x-amzn-ErrorType": "ServiceException"},
            )
            return
        self._record(name, invocation_type, len(body), status, None)
        request.send(status, b"", {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": "$LATEST"})

    def _delay_the_answer(self) -> None:
        with self._lock:
            delay = self.answer_delay
            if delay <= 0 or (self.answer_delay_count is not None and self.answer_delay_count <= 0):
                return
            if self.answer_delay_count is not None:
                self.answer_delay_count -= 1
        time.sleep(delay)

    def _injected_error(self, function_name: str) -> None:
        """Raise the error that ``invoke_error`` asks for, while ``invoke_error_count`` lasts."""
        with self._lock:
            code = self.invoke_error
            if code is None or (self.invoke_error_count is not None and self.invoke_error_count <= 0):
                return
            if self.invoke_error_count is not None:
                self.invoke_error_count -= 1
        if code == "AccessDeniedException":
            raise LambdaError(
                403,
                code,
                f"User: arn:aws:sts::{self.account}:assumed-role/forecast-export-provider-role/provider is not "
                f"authorized to perform: lambda:InvokeFunction on resource: {function_name} because no "
                "identity-based policy allows the lambda:InvokeFunction action",
            )
        if code == "TooManyRequestsException":
            raise LambdaError(
                429,
                code,
                "Rate Exceeded.",
                extra={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
            )
        raise ValueError(f"unknown invoke_error {code!r}")

    def _record(self, name: str | None, invocation_type: str, size: int, status: int, error: str | None) -> None:
        with self._lock:
            self._records.append(InvokeRecord(time.time(), name, invocation_type, size, status, error))
