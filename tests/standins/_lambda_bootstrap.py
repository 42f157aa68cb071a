"""The worker of :mod:`tests.standins.lambda_runtime`: runs ONE invocation of a Lambda handler.

Run as ``python -S -s _lambda_bootstrap.py EVENT_FILE REQUEST_ID TIMEOUT_MS RESULT_FILE FUNCTION_ARN STARTED_FILE``
with the function's environment (``_HANDLER`` names the handler). Like Lambda's Python runtime it puts one
logging handler on the root logger, writing to stdout, builds a context object, calls the handler
and reports an unhandled exception as Lambda's error JSON. It then exits at once, without waiting
for background threads, as a frozen Lambda execution environment would.

This file must import nothing outside the standard library before the handler does.
"""

import importlib
import json
import logging
import os
import sys
import time
import traceback

EVENT_FILE = REQUEST_ID = TIMEOUT_MS = RESULT_FILE = FUNCTION_ARN = STARTED_FILE = ""


class LambdaContext:
    """The context object the Python runtime passes to a handler."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = FUNCTION_ARN
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = REQUEST_ID
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        # As in Lambda, the timeout counts from the invocation's start, after the init phase.
        self._deadline_ms = int(time.time() * 1000) + int(TIMEOUT_MS)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the invocation times out."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = REQUEST_ID
        return True


def _setup_logging() -> None:
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""  # the format already ends the line, as in Lambda's runtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _finish(code: int, result: object) -> None:
    try:
        with open(RESULT_FILE, "w", encoding="utf-8") as out:
            json.dump(result, out)
    except OSError:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail(error_type: str, message: str, stack: list[str]) -> None:
    error = {"errorMessage": message, "errorType": error_type, "requestId": REQUEST_ID, "stackTrace": stack}
    text = f"[ERROR] {error_type}: {message}"
    if stack:
        text += "\nTraceback (most recent call last):\n" + "".join(stack)
    print(text, flush=True)
    print(json.dumps(error), flush=True)
    _finish(1, error)


def main() -> None:
    """Run one invocation; the arguments come from the command line."""
    global EVENT_FILE, REQUEST_ID, TIMEOUT_MS, RESULT_FILE, FUNCTION_ARN, STARTED_FILE
    sys.path.pop(0)  # this file's directory: not part of the function's import path
    EVENT_FILE, REQUEST_ID, TIMEOUT_MS, RESULT_FILE, FUNCTION_ARN, STARTED_FILE = sys.argv[1:7]
    _setup_logging()
    handler_name = os.environ["_HANDLER"]
    module_name, _, function_name = handler_name.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        _fail("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", [])
        return
    except SyntaxError as exc:
        _fail("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", [])
        return
    except Exception as exc:
        _fail(type(exc).__name__, str(exc), traceback.format_tb(exc.__traceback__))
        return
    handler = getattr(module, function_name, None)
    if handler is None:
        _fail("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'", [])
        return
    with open(EVENT_FILE, "rb") as source:
        event = json.loads(source.read() or b"{}")
    context = LambdaContext()
    with open(STARTED_FILE, "w", encoding="utf-8") as started:
        started.write(str(time.time()))
    try:
        result = handler(event, context)
    except Exception as exc:
        # The stack trace starts in the user's code, as Lambda reports it.
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        _fail(type(exc).__name__, str(exc), traceback.format_tb(tb))
        return
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        _fail("Runtime.MarshalError", f"Unable to marshal response: {exc}", [])
        return
    _finish(0, result)


if __name__ == "__main__":
    main()
