"""crhelper's private parts that compat.py relies on, pinned; and what compat.py makes of them."""

from __future__ import annotations

import importlib.metadata
import inspect
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from crhelper import CfnResource

from forecast_export_provider.compat import ContinuingResource, HandOver

# crhelper's stubs declare no private members: read them through an untyped view of the class.
UNTYPED_CRHELPER: Any = CfnResource

EVENT = {
    "RequestType": "Create",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/0",
    "RequestId": "request-1",
    "LogicalResourceId": "Export",
    "ResponseURL": "https://127.0.0.1:9/response",
    "ResourceType": "Custom::ForecastExportJob",
    "ResourceProperties": {},
}


def test_crhelper_is_the_version_whose_private_parts_are_overridden() -> None:
    assert importlib.metadata.version("crhelper") == "2.0.12"
    assert list(inspect.signature(UNTYPED_CRHELPER._polling_init).parameters) == ["self", "event"]
    assert list(inspect.signature(UNTYPED_CRHELPER._timeout).parameters) == ["self"]
    assert list(inspect.signature(UNTYPED_CRHELPER._send).parameters) == ["self", "status", "reason", "send_response"]
    call = inspect.getsource(CfnResource.__call__)
    assert "self._polling_init(event)" in call and "self._poll_enabled()" in call
    assert "self._send(FAILED, str(e))" in call
    assert "self._setup_polling()" in inspect.getsource(UNTYPED_CRHELPER._polling_init)
    assert "self._timeout" in inspect.getsource(UNTYPED_CRHELPER._set_timeout)
    init = inspect.getsource(UNTYPED_CRHELPER._crhelper_init)
    assert "self._event = event" in init and "self._context = context" in init
    assert 'self.Data = event["CrHelperData"]' in init


class _Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    aws_request_id = "r"

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


class _Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.handed_over: list[dict[str, Any]] = []

    def send(self, url: str, body: dict[str, Any], ssl_verify: Any = None) -> None:
        self.bodies.append(body)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    recorder = _Recorder()
    # crhelper binds its sender as a default argument of _send.
    monkeypatch.setattr(UNTYPED_CRHELPER._send, "__defaults__", (None, "", recorder.send))
    return recorder


def resource(
    recorder: _Recorder, *, hand_over: HandOver | None = None, physical_id: str | None = "arn:job"
) -> ContinuingResource:
    def default_hand_over(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
        recorder.handed_over.append(dict(data))

    return ContinuingResource(
        hand_over=hand_over or default_hand_over,
        failure_physical_id=lambda: physical_id,
        hand_over_failed=lambda error: f"could not continue: {error}",
        sleep_on_delete=0,
    )


def test_an_unsettled_request_is_handed_over_and_not_answered(recorder: _Recorder) -> None:
    helper = resource(recorder)

    @helper.create
    def create(event: Any, context: Any) -> None:
        helper.Data = {"state": 1}

    @helper.poll_create
    def poll(event: Any, context: Any) -> None:  # pragma: no cover - routing only
        return None

    helper(dict(EVENT), _Context())
    assert recorder.handed_over == [{"state": 1}]
    assert recorder.bodies == []


def test_a_failed_hand_over_answers_failed_with_the_jobs_arn_and_no_state(recorder: _Recorder) -> None:
    def refuse(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
        raise RuntimeError("AccessDenied")

    helper = resource(recorder, hand_over=refuse)

    @helper.create
    def create(event: Any, context: Any) -> None:
        helper.Data = {"state": 1}

    @helper.poll_create
    def poll(event: Any, context: Any) -> None:  # pragma: no cover - routing only
        return None

    helper(dict(EVENT), _Context())
    [body] = recorder.bodies
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "arn:job"
    assert body["Data"] == {} and "AccessDenied" in body["Reason"]


def test_the_timeout_guard_answers_with_the_jobs_arn_once_and_blocks_the_hand_over(recorder: _Recorder) -> None:
    helper = resource(recorder)
    release = threading.Event()

    @helper.create
    def create(event: Any, context: Any) -> None:
        release.wait(5)
        helper.Data = {"state": 1}

    @helper.poll_create
    def poll(event: Any, context: Any) -> None:  # pragma: no cover - routing only
        return None

    # The guard fires 0.5 s before the end: with 0.6 s left it fires almost at once.
    worker = threading.Thread(target=helper, args=(dict(EVENT), _Context(0.6)))
    worker.start()
    while not recorder.bodies:
        threading.Event().wait(0.02)
    release.set()
    worker.join(5)
    [body] = recorder.bodies
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "arn:job" and body["Data"] == {}
    assert recorder.handed_over == [], "no continuation may follow the guard's answer"


def test_a_failed_answer_never_carries_the_wait_state_or_the_string_none(recorder: _Recorder) -> None:
    helper = resource(recorder, physical_id=None)

    @helper.create
    def create(event: Any, context: Any) -> None:
        helper.Data = {"state": 1}
        raise ValueError("boom")

    helper(dict(EVENT), _Context())
    [body] = recorder.bodies
    assert body["Status"] == "FAILED" and body["Data"] == {}
    assert body["PhysicalResourceId"] not in ("", "None")
