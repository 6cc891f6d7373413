"""Specification of the controller work queue: deduplication, delayed adds and the failure back-off."""

from __future__ import annotations

import pytest

from harness.sim.clock import PRIORITY_API, Clock
from harness.sim.workqueue import BASE_DELAY, MAX_DELAY, WorkQueue, failure_delay


class Recorder:
    """A handler that records the virtual time of each reconcile of each key."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, float]] = []

    def __call__(self, key: str) -> None:
        self.calls.append((key, self.clock.now))

    def times(self, key: str = "k") -> list[float]:
        return [t for k, t in self.calls if k == key]


@pytest.fixture
def recorder(clock: Clock) -> Recorder:
    return Recorder(clock)


@pytest.fixture
def queue(clock: Clock, recorder: Recorder) -> WorkQueue[str]:
    return WorkQueue(clock, recorder, name="test")


def test_an_added_key_is_reconciled_at_the_current_instant(clock: Clock, queue: WorkQueue[str],
                                                           recorder: Recorder) -> None:
    clock.advance(4.0)
    queue.add("k")
    clock.advance(10.0)
    assert recorder.times() == [4.0]
    assert queue.processed == 1


def test_a_key_added_twice_before_it_runs_is_reconciled_once(clock: Clock, queue: WorkQueue[str],
                                                             recorder: Recorder) -> None:
    queue.add("k")
    queue.add("k")
    queue.add("other")
    clock.advance(1.0)
    assert recorder.calls == [("k", 0.0), ("other", 0.0)]


def test_a_key_added_again_after_it_ran_is_reconciled_again(clock: Clock, queue: WorkQueue[str],
                                                            recorder: Recorder) -> None:
    queue.add("k")
    clock.advance(1.0)
    queue.add("k")
    clock.advance(1.0)
    assert recorder.times() == [0.0, 1.0]


def test_a_delayed_add_runs_after_the_delay(clock: Clock, queue: WorkQueue[str], recorder: Recorder) -> None:
    queue.add_after("k", 3.0)
    assert queue.has_delayed("k")
    clock.advance(10.0)
    assert recorder.times() == [3.0]
    assert not queue.has_delayed("k")


def test_a_later_delayed_add_does_not_postpone_an_earlier_one(clock: Clock, queue: WorkQueue[str],
                                                              recorder: Recorder) -> None:
    queue.add_after("k", 3.0)
    queue.add_after("k", 30.0)
    clock.advance(60.0)
    assert recorder.times() == [3.0]


def test_an_earlier_delayed_add_replaces_a_later_one(clock: Clock, queue: WorkQueue[str],
                                                     recorder: Recorder) -> None:
    queue.add_after("k", 30.0)
    queue.add_after("k", 3.0)
    clock.advance(60.0)
    assert recorder.times() == [3.0]


def test_a_delayed_add_with_no_delay_is_an_immediate_add(clock: Clock, queue: WorkQueue[str],
                                                         recorder: Recorder) -> None:
    queue.add("k")
    queue.add_after("k", 0.0)
    assert not queue.has_delayed("k")
    clock.advance(1.0)
    assert recorder.times() == [0.0]


def test_an_immediate_add_does_not_cancel_a_pending_delayed_add(clock: Clock, queue: WorkQueue[str],
                                                                recorder: Recorder) -> None:
    queue.add_after("k", 3.0)
    queue.add("k")
    clock.advance(10.0)
    assert recorder.times() == [0.0, 3.0]


def test_rate_limited_adds_back_off_from_five_milliseconds_doubling(clock: Clock, recorder: Recorder) -> None:
    def always_failing(key: str) -> None:
        recorder(key)
        failing.add_rate_limited(key)

    failing: WorkQueue[str] = WorkQueue(clock, always_failing, name="t")
    failing.add_rate_limited("k")
    clock.advance(0.2)
    times = recorder.times()
    gaps = [round(b - a, 9) for a, b in zip([0.0, *times[:-1]], times, strict=True)]
    assert gaps[:5] == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert BASE_DELAY == 0.005


def test_the_failure_count_grows_with_each_rate_limited_add(clock: Clock, queue: WorkQueue[str]) -> None:
    for _ in range(3):
        queue.add_rate_limited("k")
        clock.advance(1.0)
    assert queue.failures("k") == 3


def test_forget_resets_the_back_off(clock: Clock, queue: WorkQueue[str], recorder: Recorder) -> None:
    for _ in range(6):
        queue.add_rate_limited("k")
        clock.advance(1.0)
    queue.forget("k")
    assert queue.failures("k") == 0
    start = clock.now
    queue.add_rate_limited("k")
    clock.advance(1.0)
    assert recorder.times()[-1] == pytest.approx(start + BASE_DELAY)


def test_the_back_off_is_capped_at_one_thousand_seconds(clock: Clock, queue: WorkQueue[str],
                                                        recorder: Recorder) -> None:
    for _ in range(30):
        queue.add_rate_limited("k")
        clock.advance(2_000.0)
    start = clock.now
    queue.add_rate_limited("k")
    clock.advance(2_000.0)
    assert recorder.times()[-1] == pytest.approx(start + MAX_DELAY)
    assert MAX_DELAY == 1000.0


def test_back_offs_are_kept_per_key(clock: Clock, queue: WorkQueue[str], recorder: Recorder) -> None:
    for _ in range(4):
        queue.add_rate_limited("a")
        clock.advance(1.0)
    start = clock.now
    queue.add_rate_limited("b")
    clock.advance(1.0)
    assert recorder.times("b") == [pytest.approx(start + BASE_DELAY)]


def test_drop_cancels_pending_work_and_forgets_failures(clock: Clock, queue: WorkQueue[str],
                                                        recorder: Recorder) -> None:
    queue.add_rate_limited("k")
    queue.add("k")
    queue.add_after("k", 5.0)
    queue.drop("k")
    clock.advance(60.0)
    assert recorder.times() == []
    assert queue.failures("k") == 0
    assert not queue.has_delayed("k")


def test_the_handler_runs_at_controller_priority_after_api_bookkeeping(clock: Clock,
                                                                       queue: WorkQueue[str]) -> None:
    order: list[str] = []
    queue.handler = lambda key: order.append("reconcile")
    queue.add("k")
    clock.call_later(0.0, lambda: order.append("api"), priority=PRIORITY_API)
    clock.advance(0.0)
    assert order == ["api", "reconcile"]


def test_the_back_off_stays_at_the_cap_after_thousands_of_failures(clock: Clock, recorder: Recorder) -> None:
    # client-go computes 5ms * 2**failures as a float64 and caps it: no failure count overflows the delay
    def always_failing(key: str) -> None:
        recorder(key)
        failing.add_rate_limited(key)

    failing: WorkQueue[str] = WorkQueue(clock, always_failing, name="t")
    failing.add_rate_limited("k")
    clock.advance(1_100 * MAX_DELAY)
    times = recorder.times()
    assert failing.failures("k") > 1_050
    assert times[-1] - times[-2] == pytest.approx(MAX_DELAY)


@pytest.mark.parametrize(("failures", "delay"), [(0, 0.005), (1, 0.01), (17, 655.36), (18, 1000.0), (10**6, 1000.0)])
def test_the_failure_delay_doubles_from_five_milliseconds_up_to_the_cap(failures: int, delay: float) -> None:
    assert failure_delay(failures) == pytest.approx(delay)
