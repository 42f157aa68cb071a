"""The crhelper wiring: the one private method the provider overrides, and the response limits."""

from __future__ import annotations

import importlib.metadata
import inspect

import pytest
from crhelper import CfnResource


@pytest.fixture
def entrypoint(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    import forecast_export_provider.entrypoint as module

    return module


def test_crhelper_is_the_version_whose_polling_step_is_replaced() -> None:
    assert importlib.metadata.version("crhelper") == "2.0.12"
    assert list(inspect.signature(CfnResource._polling_init).parameters) == ["self", "event"]
    source = inspect.getsource(CfnResource.__call__)
    assert "self._polling_init(event)" in source and "self._poll_enabled()" in source
    assert "self._setup_polling()" in inspect.getsource(CfnResource._polling_init)


def test_every_request_type_has_a_continuation(entrypoint) -> None:
    helper = entrypoint.helper
    for request_type in ("create", "update", "delete"):
        assert getattr(helper, f"_{request_type}_func") is entrypoint.start
        assert getattr(helper, f"_poll_{request_type}_func") is entrypoint.resume
    assert helper._sleep_on_delete == 0


def test_crhelper_never_logs_below_info(entrypoint) -> None:
    import logging

    assert logging.getLogger("crhelper").getEffectiveLevel() >= logging.INFO


def test_a_long_reason_keeps_its_start(entrypoint) -> None:
    reason = "CREATE_FAILED: " + "x" * 400
    short = entrypoint.shorten(reason)
    assert short.startswith("CREATE_FAILED: ") and len(short) <= 250


def test_source_arn_is_dropped_only_when_the_response_would_be_too_long(entrypoint) -> None:
    entrypoint.helper.StackId = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/" + "0" * 36
    entrypoint.helper.LogicalResourceId = "Export"
    small = {"Arn": "a", "SourceArn": "arn:aws:forecast:us-east-1:123456789012:what-if-forecast/a/b"}
    assert entrypoint.fit_response("a", small) == small
    many = ["arn:aws:forecast:us-east-1:123456789012:what-if-forecast/a/" + "w" * 60] * 50
    huge = dict(small, SourceArn=",".join(many))
    assert "SourceArn" not in entrypoint.fit_response("a", huge)


class _Context:
    def __init__(self, remaining_seconds: float) -> None:
        self.remaining = remaining_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining * 1000)


class _Clock:
    def now(self) -> float:
        return 1000.0


class _Lifecycle:
    clock = _Clock()


def test_handoff_leaves_thirty_seconds_of_a_long_invocation(entrypoint) -> None:
    assert entrypoint.handoff_time(_Lifecycle(), _Context(900)) == 1000.0 + 870


def test_handoff_always_precedes_crhelpers_timeout_guard(entrypoint) -> None:
    for remaining in (1.0, 3.0, 8.0, 60.0):
        reserve = 1000.0 + remaining - entrypoint.handoff_time(_Lifecycle(), _Context(remaining))
        assert reserve >= 2.0, "crhelper answers FAILED 0.5 s before the end; invoking the next takes time"
