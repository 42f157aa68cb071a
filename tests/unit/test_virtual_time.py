"""Virtual time for many threads (tests/standins/virtual_time.py), which the queueing benchmark runs on."""

from __future__ import annotations

from tests.standins.virtual_time import Conductor


def test_virtual_time_jumps_to_the_earliest_wake_up_and_runs_one_thread_at_a_time() -> None:
    conductor = Conductor(start=100.0)
    seen: list[tuple[str, float]] = []

    def sleeper(name: str, naps: list[float]) -> None:
        for nap in naps:
            conductor.sleep(nap)
            seen.append((name, conductor.now()))

    conductor.spawn(lambda: sleeper("a", [5.0, 5.0]))
    conductor.spawn(lambda: sleeper("b", [3.0, 0.0, 10.0]))
    conductor.run(timeout=10)

    assert seen == [("b", 103.0), ("b", 103.0), ("a", 105.0), ("a", 110.0), ("b", 113.0)]
    assert conductor.errors == []


def test_virtual_time_reports_a_thread_that_raised_and_finishes_the_others() -> None:
    conductor = Conductor()
    finished: list[float] = []

    def broken() -> None:
        raise RuntimeError("boom")

    def fine() -> None:
        conductor.sleep(1.0)
        finished.append(conductor.now())

    conductor.spawn(broken)
    conductor.spawn(fine)
    conductor.run(timeout=10)

    assert finished == [1.0]
    assert len(conductor.errors) == 1 and "boom" in conductor.errors[0]
