"""Specification of skipping ahead: loop runs proven to do nothing are passed over, exactly as stepping would.

A loop here is a callback that re-arms itself with ``loop=`` (as controller requeues and poll loops do). Every
test that says "as stepping" runs the same world twice, with ``fast_forward`` on and off, and compares.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import SimulationError
from harness.sim.clock import PRIORITY_CONTROLLER, PRIORITY_KUBELET, Clock
from harness.sim.fastforward import Loop, NoProgress, Undecidable, meeting, nth, orbit, plan
from harness.sim.transcript import Transcript

HOUR = 3600.0


@dataclass
class World:
    """A value one-shot events change; changing it is a change to the world (the clock is told)."""

    clock: Clock
    value: int = 0

    def set_at(self, t: float, value: int) -> None:
        def change() -> None:
            self.value = value
            self.clock.touch()

        self.clock.call_at(t, change)


@dataclass
class Poller:
    """Re-arms every ``period``; acts (records and changes the world) only when the world's value changed."""

    clock: Clock
    world: World
    name: str
    period: float = 3.0
    priority: int = PRIORITY_CONTROLLER
    deadline: float = math.inf
    seen: int = 0
    noticed: list[tuple[str, float, int]] = field(default_factory=list)
    passed_deadline: bool = False

    def start(self, at: float = 0.0) -> None:
        self.clock.call_at(at, self.run, priority=self.priority, loop=self)

    def run(self) -> None:
        if self.world.value != self.seen:
            self.seen = self.world.value
            self.noticed.append((self.name, self.clock.now, self.seen))
            self.clock.touch()
        if not self.passed_deadline and self.clock.reached(self.deadline):
            self.passed_deadline = True
            self.noticed.append((self.name, self.clock.now, -1))
            self.clock.touch()
        self.clock.call_later(self.period, self.run, priority=self.priority, loop=self)


def both_ways(build: Callable[[Clock], list[Poller]], until: float) -> tuple[list[object], list[object], Clock]:
    """Run the world built by ``build`` with and without fast-forward; what the pollers noticed, in order."""
    results = []
    clocks = []
    for fast in (True, False):
        clock = Clock()
        clock.fast_forward = fast
        noticed: list[tuple[str, float, int]] = []
        pollers = build(clock)
        for poller in pollers:
            poller.noticed = noticed
        clock.advance(until)
        pending = sorted((t.when, t.priority, t.seq, t.label) for *_, t in clock._queue if not t.cancelled)
        results.append([noticed, [(when, prio) for when, prio, _, _ in pending], clock.now])
        clocks.append(clock)
    return results[0], results[1], clocks[0]


def test_a_loop_that_finds_nothing_to_do_costs_nothing_however_long_it_runs() -> None:
    clock = Clock()
    poller = Poller(clock, World(clock), "p")
    poller.start()
    clock.advance(10_000 * HOUR)
    assert clock.events_run < 10
    assert clock.skipped == pytest.approx(10_000 * HOUR / 3.0, abs=2)


def test_a_change_to_the_world_is_noticed_at_the_run_stepping_would_notice_it() -> None:
    def build(clock: Clock) -> list[Poller]:
        world = World(clock)
        world.set_at(5_000.5, 1)
        world.set_at(7_000.25, 2)
        pollers = [Poller(clock, world, "a", period=3.0), Poller(clock, world, "b", period=0.7,
                                                                  priority=PRIORITY_KUBELET)]
        pollers[0].start(0.1)
        pollers[1].start(0.2)
        return pollers

    fast, stepped, clock = both_ways(build, 3 * HOUR)
    assert fast == stepped
    assert clock.skipped > 10_000


def test_a_deadline_compared_with_reached_ends_the_skip_at_the_first_run_past_it() -> None:
    def build(clock: Clock) -> list[Poller]:
        poller = Poller(clock, World(clock), "p", deadline=4_321.123)
        poller.start(1.7)
        return [poller]

    fast, stepped, _ = both_ways(build, 2 * HOUR)
    assert fast == stepped
    noticed = fast[0]
    assert isinstance(noticed, list) and noticed[0][2] == -1 and noticed[0][1] >= 4_321.123


def test_loops_that_land_on_one_instant_are_ordered_as_stepping_orders_them() -> None:
    # b starts exactly one period after a, c a hair later: a and b share every instant, c merges with them once
    # rounding absorbs the hair. When the world changes, the order in which they notice is the order stepping has.
    def build(clock: Clock) -> list[Poller]:
        world = World(clock)
        world.set_at(9_000.0, 1)
        pollers = [Poller(clock, world, "c"), Poller(clock, world, "b"), Poller(clock, world, "a")]
        pollers[2].start(0.5)
        pollers[1].start(3.5)
        pollers[0].start(6.5 + 1e-12)
        return pollers

    fast, stepped, _ = both_ways(build, 4 * HOUR)
    assert fast == stepped
    noticed = fast[0]
    assert isinstance(noticed, list) and len({t for _, t, _ in noticed}) < len(noticed)  # some noticed together


def test_a_run_that_reads_the_time_directly_is_never_skipped() -> None:
    clock = Clock()
    runs: list[float] = []

    def run() -> None:
        if clock.now < 0:  # a decision on the raw time: the clock cannot know until when it holds
            clock.touch()
        clock.call_later(3.0, run, loop="reader")

    clock.call_at(0.0, lambda: (runs.append(1.0), run()))
    clock.advance(HOUR)
    assert clock.skipped == 0
    assert clock.events_run == 1 + int(HOUR / 3.0)


def test_a_run_that_arms_a_different_step_is_not_taken_for_a_repeat() -> None:
    clock = Clock()
    done: list[float] = []

    def wait() -> None:
        clock.call_later(2.0, submit, loop="submit")  # same shape of timer, but another step

    def submit() -> None:
        done.append(clock.now)
        clock.touch()

    clock.call_at(1.0, wait, loop="wait")
    clock.advance(10.0)
    assert done == [3.0]


@dataclass
class Printer:
    """Re-arms every ``period`` and prints a line each run (the line says what the world's value is)."""

    clock: Clock
    world: World
    log: Transcript
    period: float = 2.0

    def start(self, at: float = 0.0) -> None:
        self.clock.call_at(at, self.run, loop=self)

    def run(self) -> None:
        self.clock.output(self.log, f"waiting, value={self.world.value}")
        self.clock.call_later(self.period, self.run, loop=self)


def test_a_loop_that_only_prints_is_passed_over_and_prints_what_stepping_prints() -> None:
    logs = []
    for fast in (True, False):
        clock = Clock()
        clock.fast_forward = fast
        world = World(clock)
        world.set_at(5_000.5, 1)
        log = Transcript(lambda t, item: f"{t:.3f} {item}")
        Printer(clock, world, log, period=2.0 + 1 / 3).start(0.1)
        clock.advance(3 * HOUR)
        logs.append((log.lines(), len(log), log.text(), log.latest(5)))
        if fast:
            assert clock.events_run < 20
    assert logs[0] == logs[1]


def test_two_loops_printing_into_one_log_are_stepped_through_in_order() -> None:
    logs = []
    for fast in (True, False):
        clock = Clock()
        clock.fast_forward = fast
        world = World(clock)
        log = Transcript()
        Printer(clock, world, log, period=2.0).start(0.5)
        Printer(clock, world, log, period=3.0).start(0.7)
        clock.advance(HOUR)
        logs.append(log.lines())
    assert logs[0] == logs[1]


def test_a_loop_that_fails_and_backs_off_is_stepped_through() -> None:
    clock = Clock()
    delays = iter([0.005 * 2**n for n in range(40)])

    def failing() -> None:
        clock.touch()  # what the work queue does when it counts a failure
        clock.call_later(next(delays), failing, loop="failing")

    clock.call_at(0.0, failing, loop="failing")
    clock.advance(60.0)
    assert clock.skipped == 0


def test_with_fast_forward_off_every_run_is_stepped() -> None:
    clock = Clock()
    clock.fast_forward = False
    Poller(clock, World(clock), "p").start()
    clock.advance(HOUR)
    assert clock.skipped == 0
    assert clock.events_run == int(HOUR / 3.0) + 1


def test_virtual_time_never_passes_the_last_instant_a_timestamp_can_show() -> None:
    clock = Clock()
    with pytest.raises(SimulationError, match="9999-12-31T23:59:59Z"):
        clock.advance(clock.horizon + 1.0)
    clock.call_at(clock.horizon + 10.0, lambda: None)
    with pytest.raises(SimulationError, match="9999-12-31T23:59:59Z"):
        clock.run()
    clock.advance(clock.horizon - 1.0)
    assert clock.timestamp() == "9999-12-31T23:59:58Z"


# -- the arithmetic ---------------------------------------------------------------------------------------------


def repeated(start: float, period: float, bound: float) -> tuple[float, float | None, int]:
    x, previous, steps = start, None, 0
    while x < bound:
        x, previous, steps = x + period, x, steps + 1
    return x, previous, steps


@settings(max_examples=300, deadline=None)
@given(start=st.floats(0, 1e6), period=st.sampled_from([1.0, 3.0, 2.8, 0.3, 7.0 / 3]) | st.floats(0.05, 50),
       periods=st.floats(0, 20_000))
def test_an_orbit_lands_where_repeated_additions_land(start: float, period: float, periods: float) -> None:
    position = orbit(start, period, start + periods * period)
    assert (position.value, position.previous, position.steps) == repeated(start, period, start + periods * period)


def test_an_orbit_over_millions_of_periods_matches_repeated_additions() -> None:
    start, period, bound = 0.1 + 1.5 + 0.9, 1.0, 2_000_000.0
    position = orbit(start, period, bound)
    assert (position.value, position.previous, position.steps) == repeated(start, period, bound)


@settings(max_examples=300, deadline=None)
@given(start=st.floats(0, 1e6), period=st.sampled_from([1.0, 3.0, 2.8, 0.3, 7.0 / 3]) | st.floats(0.05, 50),
       k=st.integers(0, 20_000))
def test_the_nth_run_is_where_n_repeated_additions_land(start: float, period: float, k: int) -> None:
    x = start
    for _ in range(k):
        x = x + period
    assert nth(start, period, k) == x


def test_a_period_below_the_clock_resolution_makes_no_progress() -> None:
    with pytest.raises(NoProgress):
        orbit(1e12, 1e-6, 2e12)


def test_moved_loops_on_one_instant_are_ranked_by_the_run_that_armed_them() -> None:
    loops = [Loop(start=1.0, priority=2, seq=7, period=3.0, quiet_until=math.inf),
             Loop(start=4.0, priority=2, seq=5, period=3.0, quiet_until=math.inf)]
    first, second = plan(loops, boundary=5.0)
    # at 4.0 the second loop's start run (an old timer) ran before the first loop's re-armed run: it re-armed first
    assert first.position.value == second.position.value == 7.0
    assert first.rank is not None and second.rank is not None and second.rank < first.rank
    # further on both land together, armed by runs re-armed during the skip: the order they had when they met
    first, second = plan(loops, boundary=20.0)
    assert first.position.value == second.position.value == 22.0
    assert first.rank is not None and second.rank is not None and second.rank < first.rank


def test_loops_that_merge_by_rounding_are_ordered_by_who_was_ahead() -> None:
    # 1e-14 apart, the two orbits merge once the spacing of floats outgrows the gap; until then the first one
    # ran (and re-armed) a hair earlier at every step, so it stays first
    loops = [Loop(start=3.5 + 1e-14, priority=2, seq=1, period=3.0, quiet_until=math.inf),
             Loop(start=0.5 + 3.0, priority=2, seq=2, period=3.0, quiet_until=math.inf)]
    met = meeting(loops[0].start, loops[1].start, 3.0)
    assert met is not None and met[1] is not None and met[2] is not None and met[2] < met[1]
    first, second = plan(loops, boundary=1e6)
    assert first.position.value == second.position.value
    assert first.rank is not None and second.rank is not None and second.rank < first.rank


@settings(max_examples=200, deadline=None)
@given(start=st.floats(0, 100), offset=st.sampled_from([0.0, 3.0, 6.0, 1e-15, 1e-12, 1e-9, 0.5]),
       period=st.sampled_from([1.0, 3.0, 2.8, 7.0 / 3]))
def test_two_orbits_meet_where_repeated_additions_first_share_a_value(start: float, offset: float,
                                                                     period: float) -> None:
    seen: dict[float, float | None] = {}
    x, previous = start, None
    while x < 3e4:
        seen[x], previous, x = previous, x, x + period
    expected = None
    y, before = start + offset, None
    while y < 3e4:
        if y in seen:
            expected = (y, seen[y], before)
            break
        before, y = y, y + period
    found = meeting(start, start + offset, period)
    assert found == expected or (expected is None and (found is None or found[0] >= 3e4))


def test_loops_of_different_periods_armed_together_by_re_armed_runs_are_undecidable() -> None:
    # periods one ulp apart round to the same step this far from zero: the two loops move together, and which
    # of them ran first at each instant is history the plan does not rebuild
    loops = [Loop(start=1000.0, priority=2, seq=1, period=3.0, quiet_until=math.inf),
             Loop(start=1000.0, priority=2, seq=2, period=math.nextafter(3.0, 4.0), quiet_until=math.inf)]
    with pytest.raises(Undecidable):
        plan(loops, boundary=1100.0)
