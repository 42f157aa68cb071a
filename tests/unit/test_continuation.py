"""crhelper's private parts that compat.py relies on, pinned; and what compat.py makes of them."""

from __future__ import annotations

import importlib.metadata
import inspect
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from crhelper import CfnResource

from forecast_export_provider.continuation import ContinuingResource, HandOver

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
    assert "self._response_url = event['ResponseURL']" in init


class _Context:
    """A Lambda context whose invocation ends ``seconds`` after it was made."""

    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    aws_request_id = "r"

    def __init__(self, seconds: float = 60.0) -> None:
        self.ends_at = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends_at - time.monotonic()) * 1000))


class _Recorder:
    """What leaves for CloudFormation: each answer's URL, body and the moment it left."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.sent: list[tuple[str, float]] = []
        self.handed_over: list[dict[str, Any]] = []

    def send(self, url: str, body: dict[str, Any], ssl_verify: Any = None) -> None:
        self.bodies.append(body)
        self.sent.append((url, time.monotonic()))

    def wait_for_answer(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.bodies and time.monotonic() < deadline:
            time.sleep(0.01)


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


def routed(helper: ContinuingResource) -> None:
    """Route every request type to a function that leaves the request unsettled."""

    @helper.create
    @helper.update
    @helper.delete
    def work(event: Any, context: Any) -> None:
        helper.Data = {"state": 1}

    @helper.poll_create
    @helper.poll_update
    @helper.poll_delete
    def poll(event: Any, context: Any) -> None:  # pragma: no cover - routing only
        return None


def test_the_guard_answers_during_an_invoke_that_outlasts_the_invocation(recorder: _Recorder) -> None:
    """Fault table: crhelper's timeout guard fires during the hand-over's Invoke."""

    def slow_invoke(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
        time.sleep(1.5)
        raise TimeoutError("Read timeout on endpoint URL")

    helper = resource(recorder, hand_over=slow_invoke)
    routed(helper)
    context = _Context(1.0)
    helper(dict(EVENT), context)
    [body] = recorder.bodies
    [(url, sent_at)] = recorder.sent
    assert url == EVENT["ResponseURL"] and sent_at < context.ends_at, "no answer before the invocation ended"
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "arn:job"


def refused_hand_over(hand_over_failed: Callable[[Exception], str], seconds: float) -> _Context:
    """Run a request whose Invoke Lambda refuses, with ``hand_over_failed`` describing the failure."""

    def refuse(event: Mapping[str, Any], data: Mapping[str, Any], context: Any) -> None:
        raise RuntimeError("AccessDenied")

    helper = ContinuingResource(
        hand_over=refuse, failure_physical_id=lambda: "arn:job", hand_over_failed=hand_over_failed, sleep_on_delete=0
    )
    routed(helper)
    context = _Context(seconds)
    helper(dict(EVENT), context)
    return context


def test_an_error_while_describing_a_failed_hand_over_still_answers(recorder: _Recorder) -> None:
    """Fault table: the continuation cannot be started, and the failed hand-over's own path fails."""

    def broken_reason(error: Exception) -> str:
        raise KeyError("state")

    context = refused_hand_over(broken_reason, 5.0)
    [body] = recorder.bodies
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "arn:job" and "AccessDenied" in body["Reason"]
    assert recorder.sent[0][1] < context.ends_at


def test_a_slow_failed_hand_over_leaves_its_answer_to_the_guard(recorder: _Recorder) -> None:
    """Fault table: the cleanup of a failed hand-over runs into crhelper's timeout guard."""

    def slow_reason(error: Exception) -> str:
        time.sleep(1.5)
        return f"could not continue: {error}"

    context = refused_hand_over(slow_reason, 1.0)
    [body] = recorder.bodies
    assert recorder.sent[0][1] < context.ends_at, "no answer before the invocation ended"
    assert body["Status"] == "FAILED" and body["PhysicalResourceId"] == "arn:job"


MALFORMED = {
    "no StackId (a console test)": {key: value for key, value in EVENT.items() if key != "StackId"},
    "no RequestId": {key: value for key, value in EVENT.items() if key != "RequestId"},
    "an unknown RequestType": dict(EVENT, RequestType="Test"),
}


@pytest.mark.parametrize("event", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_event_is_answered_at_its_own_url_never_at_the_last_requests(
    recorder: _Recorder, event: dict[str, Any]
) -> None:
    """Fault table: an event that is not a CloudFormation request reaches a warm container."""
    helper = ContinuingResource(
        hand_over=lambda event, data, context: None,
        failure_physical_id=lambda: None,
        hand_over_failed=lambda error: "",
        json_logging=True,
        sleep_on_delete=0,
    )

    @helper.create
    def create(event: Any, context: Any) -> str:
        return "arn:job"

    helper(dict(EVENT), _Context())
    assert [url for url, _ in recorder.sent] == [EVENT["ResponseURL"]]
    own = dict(event, ResponseURL="https://127.0.0.1:9/console-test")
    helper(own, _Context())
    assert [url for url, _ in recorder.sent] == [EVENT["ResponseURL"], own["ResponseURL"]]
    assert recorder.bodies[-1]["Status"] == "FAILED"
    assert "Not a CloudFormation custom resource request" in recorder.bodies[-1]["Reason"]
    assert recorder.bodies[-1]["RequestId"] != EVENT["RequestId"] or "RequestId" in own
    without_url = {key: value for key, value in event.items() if key != "ResponseURL"}
    helper(without_url, _Context())
    assert len(recorder.sent) == 2, "an event without a ResponseURL of its own is only logged"
