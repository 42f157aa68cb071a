"""The crhelper wiring: routing, log levels, the hand-over time and the response limits."""

from __future__ import annotations

from types import ModuleType

import pytest

from forecast_export_provider.handoff import handoff_time


@pytest.fixture
def entrypoint(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    import forecast_export_provider.entrypoint as module

    return module


def test_every_request_type_has_a_continuation(entrypoint: ModuleType) -> None:
    helper = entrypoint.helper
    for request_type in ("create", "update", "delete"):
        assert getattr(helper, f"_{request_type}_func") is entrypoint.start
        assert getattr(helper, f"_poll_{request_type}_func") is entrypoint.resume
    assert helper._sleep_on_delete == 0


def test_crhelper_never_logs_below_info(entrypoint: ModuleType) -> None:
    import logging

    assert logging.getLogger("crhelper").getEffectiveLevel() >= logging.INFO


def test_a_long_reason_keeps_its_start(entrypoint: ModuleType) -> None:
    reason = "CREATE_FAILED: " + "x" * 400
    short = entrypoint.shorten(reason)
    assert short.startswith("CREATE_FAILED: ") and len(short) <= 250


def test_source_arn_is_dropped_only_when_the_response_would_be_too_long(entrypoint: ModuleType) -> None:
    entrypoint.helper.StackId = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/" + "0" * 36
    entrypoint.helper.LogicalResourceId = "Export"
    small = {"Arn": "a", "SourceArn": "arn:aws:forecast:us-east-1:123456789012:what-if-forecast/a/b"}
    assert entrypoint.fit_response("a", small) == small
    many = ["arn:aws:forecast:us-east-1:123456789012:what-if-forecast/a/" + "w" * 60] * 50
    huge = dict(small, SourceArn=",".join(many))
    assert "SourceArn" not in entrypoint.fit_response("a", huge)


def test_handoff_keeps_room_for_the_slowest_calls_and_the_hand_over(entrypoint: ModuleType) -> None:
    slowest_call = entrypoint.FORECAST_CONNECT_TIMEOUT + entrypoint.FORECAST_READ_TIMEOUT
    invoke_call = entrypoint.INVOKE_CONNECT_TIMEOUT + entrypoint.INVOKE_READ_TIMEOUT
    reserve = 1000.0 + 900 - handoff_time(1000.0, 900)
    assert reserve >= 2 * slowest_call + invoke_call + 0.5, "two Forecast calls and the Invoke end before the guard"
    assert reserve <= 60, "a long invocation should wait most of its time"


def test_handoff_always_precedes_crhelpers_timeout_guard_and_never_lies_in_the_past(entrypoint: ModuleType) -> None:
    for remaining in (1.0, 3.0, 8.0, 60.0, 900.0):
        handoff = handoff_time(1000.0, remaining)
        assert handoff > 1000.0, "a hand-over time in the past would hand over before doing anything"
        if remaining >= 3.0:
            assert 1000.0 + remaining - handoff >= 2.0, "crhelper answers FAILED 0.5 s before the end"


def test_every_invoke_attempt_ends_before_crhelpers_guard(
    entrypoint: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault table: Invoke attempts that time out, one after another, near the invocation's end.

    Each attempt takes its whole connect and read timeouts; none may still run when crhelper's
    guard answers, half a second before the end, nor start without the time for a whole attempt.
    """
    from types import SimpleNamespace

    from botocore.exceptions import BotoCoreError, ReadTimeoutError

    from tests.standins.memory_forecast import ManualClock

    clock = ManualClock()
    ends_at = clock.now() + 20.0
    attempts: list[tuple[float, float]] = []

    class TimingOut:
        def __init__(self, connect_timeout: float, read_timeout: float) -> None:
            self.length = connect_timeout + read_timeout

        def invoke(self, **request: object) -> None:
            attempts.append((clock.now(), self.length))
            clock.sleep(self.length)
            raise ReadTimeoutError(endpoint_url="https://lambda.us-east-1.amazonaws.com")

    context = SimpleNamespace(
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        get_remaining_time_in_millis=lambda: int((ends_at - clock.now()) * 1000),
    )
    wiring = entrypoint.Wiring(lifecycle=None, lambda_client=TimingOut(2.0, 5.0))
    monkeypatch.setattr(wiring, "invoker", TimingOut, raising=False)
    monkeypatch.setattr(entrypoint, "time", SimpleNamespace(sleep=clock.sleep))
    saved = entrypoint.install(wiring)
    try:
        with pytest.raises(BotoCoreError):
            entrypoint.continue_in_new_invocation({"LogicalResourceId": "Export"}, {}, context)
    finally:
        entrypoint.install(saved)
    assert len(attempts) >= 3, "the time left allowed more attempts"
    for started, length in attempts:
        assert started + length <= ends_at - 0.5 - 0.25, (
            f"an attempt of {length} s started {ends_at - started} s before the end"
        )
