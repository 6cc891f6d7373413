"""Specification of the virtual clock: ordering, cancellation, bounded runs, timestamps and real-time pacing."""

from __future__ import annotations

import math
import time

from harness.sim.clock import (
    PRIORITY_API,
    PRIORITY_CONTROLLER,
    PRIORITY_KUBELET,
    PRIORITY_OBSERVER,
    Clock,
)


def drain(clock: Clock) -> None:
    """Run every pending event, one step at a time."""
    while clock.step():
        pass


def test_events_at_the_same_instant_run_by_priority_then_by_scheduling_order(clock: Clock) -> None:
    ran: list[str] = []
    clock.call_at(5.0, lambda: ran.append("observer"), priority=PRIORITY_OBSERVER)
    clock.call_at(5.0, lambda: ran.append("controller-1"), priority=PRIORITY_CONTROLLER)
    clock.call_at(5.0, lambda: ran.append("api"), priority=PRIORITY_API)
    clock.call_at(5.0, lambda: ran.append("controller-2"), priority=PRIORITY_CONTROLLER)
    clock.call_at(5.0, lambda: ran.append("kubelet"), priority=PRIORITY_KUBELET)
    drain(clock)
    assert ran == ["api", "kubelet", "controller-1", "controller-2", "observer"]


def test_earlier_events_run_before_later_ones_whatever_their_priority(clock: Clock) -> None:
    ran: list[float] = []
    clock.call_at(2.0, lambda: ran.append(clock.now), priority=PRIORITY_API)
    clock.call_at(1.0, lambda: ran.append(clock.now), priority=PRIORITY_OBSERVER)
    drain(clock)
    assert ran == [1.0, 2.0]


def test_an_event_scheduled_in_the_past_runs_now_not_earlier(clock: Clock) -> None:
    clock.advance(10.0)
    seen: list[float] = []
    clock.call_at(3.0, lambda: seen.append(clock.now))
    drain(clock)
    assert seen == [10.0]


def test_an_event_scheduled_from_a_callback_at_the_same_instant_runs_after_it(clock: Clock) -> None:
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        clock.call_later(0.0, lambda: ran.append("follow-up"))

    clock.call_at(1.0, first)
    clock.call_at(1.0, lambda: ran.append("second"))
    drain(clock)
    assert ran == ["first", "second", "follow-up"]


def test_a_cancelled_timer_never_runs_and_is_not_pending(clock: Clock) -> None:
    ran: list[str] = []
    timer = clock.call_later(1.0, lambda: ran.append("cancelled"))
    clock.call_later(2.0, lambda: ran.append("kept"))
    timer.cancel()
    assert clock.pending() == 1
    assert clock.next_event_time() == 2.0
    drain(clock)
    assert ran == ["kept"]


def test_run_without_a_stop_condition_ends_exactly_at_until(clock: Clock) -> None:
    ran: list[float] = []
    clock.call_at(3.0, lambda: ran.append(clock.now))
    clock.call_at(12.0, lambda: ran.append(clock.now))
    assert clock.run(until=7.5) is False
    assert clock.now == 7.5
    assert ran == [3.0]
    assert clock.next_event_time() == 12.0


def test_run_with_a_stop_condition_that_never_holds_ends_exactly_at_until(clock: Clock) -> None:
    clock.call_at(1.0, lambda: None)
    assert clock.run(until=60.0, stop=lambda: False) is False
    assert clock.now == 60.0


def test_run_stops_at_the_event_that_makes_the_condition_hold(clock: Clock) -> None:
    state = {"done": False}
    clock.call_at(4.0, lambda: state.update(done=True))
    clock.call_at(5.0, lambda: state.update(done=False))
    assert clock.run(until=100.0, stop=lambda: state["done"]) is True
    assert clock.now == 4.0
    assert clock.next_event_time() == 5.0


def test_run_returns_true_at_once_when_the_condition_already_holds(clock: Clock) -> None:
    clock.call_at(1.0, lambda: None)
    assert clock.run(until=10.0, stop=lambda: True) is True
    assert clock.now == 0.0


def test_run_forever_with_an_empty_queue_returns_false_without_moving_time(clock: Clock) -> None:
    # The stop condition is asked once per loop turn; if run() spun on the empty queue, it would end the spin
    # (returning True) instead of hanging the test run.
    turns = iter(range(1_000))
    assert clock.run(stop=lambda: next(turns, None) is None) is False
    assert clock.now == 0.0


def test_run_includes_events_due_exactly_at_until(clock: Clock) -> None:
    ran: list[float] = []
    clock.call_at(5.0, lambda: ran.append(clock.now))
    clock.run(until=5.0)
    assert ran == [5.0]


def test_advance_lets_the_duration_pass_and_runs_what_is_due(clock: Clock) -> None:
    ran: list[float] = []
    clock.call_later(30.0, lambda: ran.append(clock.now))
    clock.call_later(90.0, lambda: ran.append(clock.now))
    clock.advance(60.0)
    assert clock.now == 60.0
    assert ran == [30.0]
    clock.advance(60.0)
    assert clock.now == 120.0
    assert ran == [30.0, 90.0]


def test_step_runs_one_event_and_reports_an_empty_queue(clock: Clock) -> None:
    clock.call_at(2.0, lambda: None)
    assert clock.step() is True
    assert clock.now == 2.0
    assert clock.step() is False


def test_timestamp_renders_origin_plus_virtual_time_in_rfc3339_utc() -> None:
    clock = Clock(origin=1_767_225_600)  # 2026-01-01T00:00:00Z
    assert clock.timestamp() == "2026-01-01T00:00:00Z"
    assert clock.timestamp(3725.0) == "2026-01-01T01:02:05Z"


def test_timestamp_truncates_to_whole_seconds(clock: Clock) -> None:
    assert clock.timestamp(5.999) == clock.timestamp(5.0)
    assert clock.timestamp(5.999) != clock.timestamp(6.0)


def test_parse_timestamp_inverts_timestamp_to_the_whole_second(clock: Clock) -> None:
    for t in (0.0, 1.0, 59.5, 3600.25, 86_400.0 * 40 + 7.75):
        assert clock.parse_timestamp(clock.timestamp(t)) == math.floor(t)


def test_parse_timestamp_drops_sub_seconds(clock: Clock) -> None:
    assert clock.parse_timestamp("2026-01-01T00:00:05.750000Z") == 5.0


def test_timestamp_reads_the_current_virtual_time_by_default(clock: Clock) -> None:
    clock.advance(42.9)
    assert clock.parse_timestamp(clock.timestamp()) == 42.0


def test_epoch_ms_is_origin_plus_virtual_time_in_milliseconds() -> None:
    clock = Clock(origin=1_000)
    clock.advance(1.5)
    assert clock.epoch_ms() == 1_001_500
    assert clock.epoch_ms(0.25) == 1_000_250


class _WallClockWork:
    """A real-work source busy for ``seconds`` of wall time from its first ``busy()`` question.

    Each poll schedules an event at the current virtual instant, as a real executor turns progress into events.
    """

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.deadline: float | None = None
        self.polls: list[float] = []
        self.progress_events: list[float] = []

    def busy(self) -> bool:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds
        return time.monotonic() < self.deadline

    def poll(self) -> None:
        self.polls.append(self.clock.now)
        self.clock.call_later(0.0, lambda: self.progress_events.append(self.clock.now))


def test_virtual_time_follows_the_wall_clock_while_real_work_is_busy_then_jumps() -> None:
    clock = Clock(poll_interval=0.02)
    work = _WallClockWork(clock, seconds=0.2)
    clock.add_real_work(work)
    ran: list[tuple[str, float, bool]] = []
    clock.call_at(0.01, lambda: ran.append(("early timer", clock.now, work.busy())))
    clock.call_at(1000.0, lambda: ran.append(("late timer", clock.now, work.busy())))

    clock.run(until=2000.0)

    # While busy, time crept forward with the wall clock: polls at small, increasing virtual instants.
    assert len(work.polls) >= 2
    assert work.polls == sorted(work.polls)
    assert work.polls[-1] > 0.0
    assert all(t < 1000.0 for t in work.polls)
    # Progress reported by a poll became an event at that very virtual instant.
    assert work.progress_events == work.polls
    # A timer due during the busy stretch ran at its own time, while the work was still in flight.
    assert ran[0] == ("early timer", 0.01, True)
    # Once idle, time jumped to the next timer and then to `until`.
    assert ran[1] == ("late timer", 1000.0, False)
    assert clock.now == 2000.0


def test_pacing_with_nothing_scheduled_still_stops_at_until() -> None:
    clock = Clock(poll_interval=0.01)
    work = _WallClockWork(clock, seconds=0.05)
    clock.add_real_work(work)
    assert clock.run(until=500.0) is False
    assert clock.now == 500.0
    assert work.polls and all(t < 500.0 for t in work.polls)


def test_a_removed_real_work_source_no_longer_paces_the_clock() -> None:
    clock = Clock(poll_interval=0.01)
    work = _WallClockWork(clock, seconds=60.0)
    clock.add_real_work(work)
    clock.remove_real_work(work)
    ran: list[float] = []
    clock.call_at(3600.0, lambda: ran.append(clock.now))
    clock.run(until=7200.0)
    assert ran == [3600.0]
    assert clock.now == 7200.0
    assert work.polls == []
