"""Runs a Lambda handler as the Lambda service would: each invocation in a fresh subprocess.

The worker gets Lambda's isolation: ``python -S -s`` (no site-packages) with an import path of the
function's code directory followed by a "runtime packages" directory holding only boto3, botocore
and their dependencies, as the Lambda Python runtime ships them. Anything else (crhelper, the
provider package) must be in the code directory, as it must be in a Lambda asset.

As in Lambda, the function's timeout counts from the moment the handler is called; the init phase
(importing the handler's module) has its own limit of ten seconds.

Asynchronous invocations that fail (unhandled exception, non-zero exit, timeout, kill) are retried
up to ``max_async_retries`` times with the same payload and request id, as Lambda retries them.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import importlib.machinery
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .lambda_service import LambdaServiceStandIn

RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six", "urllib3")
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
ENV_SIZE_LIMIT = 4096
INIT_LIMIT_SECONDS = 10.0
"""Lambda's limit on a function's init phase (module imports), apart from its timeout."""
ASYNC_PAYLOAD_LIMIT = 256 * 1024
_BOOTSTRAP = Path(__file__).with_name("_lambda_bootstrap.py")


@functools.cache
def runtime_packages_dir() -> Path:
    """A directory (built once per process) holding symlinks to boto3, botocore and their dependencies."""
    root = Path(tempfile.mkdtemp(prefix="lambda-runtime-"))
    atexit.register(shutil.rmtree, root, True)
    packages = root / "python"
    packages.mkdir()
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise RuntimeError(f"{name} is not installed; the Lambda runtime stand-in needs it")
        if spec.submodule_search_locations:
            source = Path(next(iter(spec.submodule_search_locations)))
            (packages / name).symlink_to(source, target_is_directory=True)
        else:
            assert spec.origin is not None
            source = Path(spec.origin)
            (packages / source.name).symlink_to(source)
    bootstrap_dir = root / "bootstrap"
    bootstrap_dir.mkdir()
    shutil.copy(_BOOTSTRAP, bootstrap_dir / "bootstrap.py")
    return root


def stage_code(dest: Path, packages: list[str], *, search_path: list[str] | None = None) -> Path:
    """Copy importable packages or modules (by import name) into ``dest``, to form a code directory.

    ``search_path`` limits where they are looked up (default: this process's ``sys.path``).
    ``__pycache__`` directories are skipped. Returns ``dest``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in packages:
        if search_path is not None:
            spec = importlib.machinery.PathFinder.find_spec(name, search_path)
        else:
            spec = importlib.util.find_spec(name)
        if spec is None:
            raise ModuleNotFoundError(f"cannot stage {name!r}: not importable")
        if spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                shutil.copytree(
                    location, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True
                )
        else:
            if spec.origin is None:
                raise ModuleNotFoundError(f"cannot stage {name!r}: no file")
            shutil.copy2(spec.origin, dest / Path(spec.origin).name)
    return dest


@dataclass
class Invocation:
    """One run of the handler (one attempt of one event)."""

    request_id: str
    attempt: int
    payload_size: int
    start: float
    end: float | None = None
    exit_code: int | None = None
    timed_out: bool = False
    killed: bool = False
    error_type: str | None = None
    result: Any = None
    log_lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        """The invocation's output, as CloudWatch would show its log stream."""
        return "".join(self.log_lines)

    @property
    def succeeded(self) -> bool:
        """True when the handler returned normally."""
        return self.exit_code == 0 and not self.timed_out and not self.killed

    @property
    def running(self) -> bool:
        """True while the worker process has not ended."""
        return self.end is None


@dataclass
class _Event:
    request_id: str
    payload: bytes
    attempts: int = 0
    waiting_retry: bool = False


class LambdaRuntime:
    """Runs a handler like the Lambda service: a fresh ``python -S -s`` subprocess per invocation.

    Keyword arguments:
        code_dir: the function's code (first on the import path).
        handler: ``package.module.function``.
        environment: the function's environment variables (Lambda's reserved names are refused,
            and their total size is limited to 4 KB as Lambda limits it).
        extra_env: more variables for the worker that are not function configuration (for
            example ``SSL_CERT_FILE``); not size-checked.
        timeout_seconds: the function timeout; a worker still running then is killed.
        function_name, region, account: the function's identity (its ARN in the context).
        lambda_service: registers the function there, so that ``Invoke`` on it (for example a
            self-invocation) starts new asynchronous invocations.
        max_async_retries: retries of a failed asynchronous invocation (Lambda: 2).
        retry_delay_seconds: wait before each retry (Lambda waits about 1 and 2 minutes).
        memory_mb: reported to the handler (not enforced).
        python: the interpreter (default: this one).
    """

    def __init__(
        self,
        *,
        code_dir: Path,
        handler: str,
        environment: Mapping[str, str] | None = None,
        timeout_seconds: float = 30.0,
        function_name: str = "forecast-export-provider",
        region: str = "us-east-1",
        account: str = "123456789012",
        lambda_service: LambdaServiceStandIn | None = None,
        max_async_retries: int = 2,
        retry_delay_seconds: float = 0.2,
        memory_mb: int = 256,
        init_limit_seconds: float = INIT_LIMIT_SECONDS,
        extra_env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        environment = dict(environment or {})
        reserved = sorted(set(environment) & RESERVED_ENV)
        if reserved:
            raise ValueError(f"Lambda reserves these environment variables: {', '.join(reserved)}")
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in environment.items())
        if size > ENV_SIZE_LIMIT:
            raise ValueError(f"environment variables take {size} bytes, over Lambda's {ENV_SIZE_LIMIT}-byte limit")
        self.code_dir = Path(code_dir).resolve()
        self.handler = handler
        self.environment = {k: str(v) for k, v in environment.items()}
        self.extra_env = dict(extra_env or {})
        self.timeout_seconds = timeout_seconds
        self.function_name = function_name
        self.region = region
        self.account = account
        self.max_async_retries = max_async_retries
        self.retry_delay_seconds = retry_delay_seconds
        self.memory_mb = memory_mb
        self.init_limit_seconds = init_limit_seconds
        self.python = python
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.credentials = {
            "AWS_ACCESS_KEY_ID": "ASIA" + secrets.token_hex(8).upper(),
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
            "AWS_SESSION_TOKEN": secrets.token_urlsafe(60),
        }
        self._runtime_root = runtime_packages_dir()
        self._work = Path(tempfile.mkdtemp(prefix=f"lambda-{function_name}-"))
        self._log_stream = f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
        self._lock = threading.Condition()
        self._invocations: list[Invocation] = []
        self._running: dict[int, tuple[subprocess.Popen[bytes], Invocation]] = {}
        self._events: list[_Event] = []  # not yet finished
        self._closed = False
        self._lambda_service = lambda_service
        if lambda_service is not None:
            lambda_service.register(function_name, self.enqueue)

    # ------------------------------------------------------------------ public API

    def invoke_async(self, event: dict[str, Any]) -> None:
        """Invoke asynchronously, as CloudFormation invokes a custom resource's function."""
        payload = json.dumps(event).encode()
        if len(payload) > ASYNC_PAYLOAD_LIMIT:
            raise ValueError(f"{len(payload)} byte payload is over the 256 KB asynchronous limit")
        self.enqueue(payload)

    def enqueue(self, payload: bytes) -> None:
        """Queue an asynchronous invocation with a raw JSON payload (the Lambda stand-in's callback)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the runtime of {self.function_name} is closed")
            event = _Event(str(uuid.uuid4()), payload)
            self._events.append(event)
        threading.Thread(target=self._run_event, args=(event,), name=f"lambda-{event.request_id}", daemon=True).start()

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Invoke synchronously (RequestResponse): one attempt, no retry; returns its record."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the runtime of {self.function_name} is closed")
        return self._run_once(_Event(str(uuid.uuid4()), json.dumps(event).encode()), attempt=0)

    def wait_idle(self, timeout: float) -> None:
        """Wait until no invocation runs or waits for a retry; TimeoutError lists what is still busy."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._events:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    now = time.time()
                    busy = [
                        f"request {inv.request_id} attempt {inv.attempt + 1} running for {now - inv.start:.1f} s"
                        for _, inv in self._running.values()
                    ]
                    busy += [
                        f"request {e.request_id} waiting to retry (after {e.attempts} attempts)"
                        for e in self._events
                        if e.waiting_retry
                    ]
                    busy += [f"request {e.request_id} queued" for e in self._events if e.attempts == 0]
                    raise TimeoutError(
                        f"{self.function_name} still busy after {timeout:.1f} s: " + "; ".join(busy or ["starting"])
                    )
                self._lock.wait(min(remaining, 0.5))

    def kill_running(self) -> int:
        """SIGKILL every running worker (counts as an error and is retried). Returns how many."""
        with self._lock:
            running = list(self._running.values())
            for _, inv in running:
                inv.killed = True
        for proc, _ in running:
            _kill_group(proc)
        return len(running)

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation so far, in start order (snapshots)."""
        with self._lock:
            return [replace(inv, log_lines=list(inv.log_lines)) for inv in self._invocations]

    @property
    def invocation_count(self) -> int:
        """How many worker processes were started."""
        with self._lock:
            return len(self._invocations)

    @property
    def logs(self) -> str:
        """All output of all invocations (including running ones), in start order."""
        with self._lock:
            return "".join(line for inv in self._invocations for line in inv.log_lines)

    def close(self) -> None:
        """Stop accepting invocations, kill running workers and remove temporary files."""
        with self._lock:
            self._closed = True
        if self._lambda_service is not None:
            self._lambda_service.unregister(self.function_name)
        self.kill_running()
        try:
            self.wait_idle(10)
        finally:
            shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> LambdaRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def worker_environment(self) -> dict[str, str]:
        """The environment a worker process gets."""
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        env.update(self.environment)
        env.update(self.extra_env)
        env.update(self.credentials)
        env.update(
            {
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": self._log_stream,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
                "LAMBDA_TASK_ROOT": str(self.code_dir),
                "LAMBDA_RUNTIME_DIR": str(self._runtime_root / "python"),
                "_HANDLER": self.handler,
                "TZ": ":UTC",
                "PYTHONPATH": os.pathsep.join([str(self.code_dir), str(self._runtime_root / "python")]),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1",
                # No shared config or credential files, no instance metadata: only what Lambda gives.
                "AWS_CONFIG_FILE": str(self._work / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self._work / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        return env

    def _run_event(self, event: _Event) -> None:
        try:
            for attempt in range(self.max_async_retries + 1):
                invocation = self._run_once(event, attempt)
                if invocation.succeeded:
                    break
                with self._lock:
                    if self._closed or attempt == self.max_async_retries:
                        break
                    event.waiting_retry = True
                time.sleep(self.retry_delay_seconds)
                with self._lock:
                    event.waiting_retry = False
                    if self._closed:
                        break
        finally:
            with self._lock:
                self._events.remove(event)
                self._lock.notify_all()

    def _run_once(self, event: _Event, attempt: int) -> Invocation:
        tag = f"{event.request_id}-{attempt}-{secrets.token_hex(4)}"
        event_file = self._work / f"{tag}.event.json"
        result_file = self._work / f"{tag}.result.json"
        started_file = self._work / f"{tag}.started"
        event_file.write_bytes(event.payload)
        start = time.time()
        invocation = Invocation(event.request_id, attempt, len(event.payload), start)
        invocation.log_lines.append(f"START RequestId: {event.request_id} Version: $LATEST\n")
        with self._lock:
            event.attempts += 1
            self._invocations.append(invocation)
            proc = subprocess.Popen(
                [
                    self.python,
                    "-S",
                    "-s",
                    str(self._runtime_root / "bootstrap" / "bootstrap.py"),
                    str(event_file),
                    event.request_id,
                    str(int(self.timeout_seconds * 1000)),
                    str(result_file),
                    self.function_arn,
                    str(started_file),
                ],
                cwd=self.code_dir,
                env=self.worker_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._running[proc.pid] = (proc, invocation)
        reader = threading.Thread(target=self._read_output, args=(proc, invocation), daemon=True)
        reader.start()
        if not self._wait_within_limits(proc, start, started_file):
            with self._lock:
                invocation.timed_out = True
            _kill_group(proc)
            proc.wait()
        reader.join(timeout=5)
        end = time.time()
        with self._lock:
            del self._running[proc.pid]
            invocation.end = end
            invocation.exit_code = proc.returncode
            lines = invocation.log_lines
            if invocation.timed_out:
                stamp = dt.datetime.fromtimestamp(end, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                lines.append(f"{stamp} {event.request_id} Task timed out after {self.timeout_seconds:.2f} seconds\n")
                invocation.error_type = "Sandbox.Timedout"
            elif invocation.killed or proc.returncode < 0:
                lines.append(
                    f"RequestId: {event.request_id} Error: Runtime exited with error: signal: killed\n"
                    "Runtime.ExitError\n"
                )
                invocation.error_type = "Runtime.ExitError"
            else:
                try:
                    invocation.result = json.loads(result_file.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    invocation.result = None
                if proc.returncode != 0:
                    if isinstance(invocation.result, dict) and "errorType" in invocation.result:
                        invocation.error_type = str(invocation.result["errorType"])
                    else:
                        invocation.error_type = "Runtime.ExitError"
            duration_ms = (end - start) * 1000
            lines.append(f"END RequestId: {event.request_id}\n")
            lines.append(
                f"REPORT RequestId: {event.request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {self.memory_mb} MB\n"
            )
            self._lock.notify_all()
        for path in (event_file, result_file, started_file):
            path.unlink(missing_ok=True)
        return invocation

    def _wait_within_limits(self, proc: subprocess.Popen[bytes], start: float, started_file: Path) -> bool:
        """Wait for the worker as Lambda does: the init phase (imports) has its own limit, and the
        function's timeout counts from the moment the handler is called. False on a timeout."""
        handler_started: float | None = None
        while True:
            try:
                proc.wait(timeout=0.02)
                return True
            except subprocess.TimeoutExpired:
                pass
            if handler_started is None and started_file.exists():
                with contextlib.suppress(OSError, ValueError):
                    handler_started = float(started_file.read_text(encoding="utf-8"))
            if handler_started is None:
                limit = start + self.init_limit_seconds
            else:
                limit = handler_started + self.timeout_seconds
            if time.time() > limit:
                return False

    def _read_output(self, proc: subprocess.Popen[bytes], invocation: Invocation) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            text = raw.decode("utf-8", "replace")
            with self._lock:
                invocation.log_lines.append(text if text.endswith("\n") else text + "\n")
        proc.stdout.close()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and anything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
