"""Virtual time: a discrete-event scheduler that is the single source of time in the simulator.

Everything in the simulated world reads ``clock.now`` and schedules work with ``call_at``/``call_later``.
Events at the same instant run in (time, priority, sequence) order, so a run repeats exactly.

Two ways time moves:
- **Virtual** (the default): time jumps from one event to the next; an hour of TTL costs microseconds.
- **Paced** while real work is in flight: when a registered :class:`RealWork` source reports that it is busy (a
  real Ray job is running), virtual time follows the wall clock, and the source is polled so that real progress
  is turned into simulator events. As soon as no source is busy, time jumps again. This is the only place that
  reads the wall clock; it is a variant of the same loop, not a second code path.

Skipping ahead: a loop that re-arms itself (a controller requeue, a poll) is run under watch when its timer says
which loop it belongs to (``loop=``). A run that changed nothing in the world (the :attr:`Clock.revision` counter,
bumped by every store write, dashboard change, timer armed or cancelled, and by every call to :meth:`Clock.run`
for what the caller changed in between) except re-arming the same loop, and that read the time only through
:meth:`Clock.reached`, proves that the next run is a no-op too, until the world changes or a deadline it compared
against comes. Stepping then jumps over those runs (:mod:`.fastforward` does the arithmetic), so a RayJob that
stays Running for 10,000 hours costs what happens in those hours. A run may print (:meth:`Clock.output`: log
lines are read by no one in the simulation): each run passed over prints the same again, kept as one
:class:`.transcript.Series`, so a loop stuck printing the same line every few seconds is cheap too. With
``fast_forward = False`` every run is stepped through; the journal and the logs are the same either way.

Not here: what the events do (controllers), or object timestamps' formatting beyond :meth:`Clock.timestamp`.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Final, Protocol

from .._util.gofmt import parse_rfc3339, rfc3339
from ..errors import SimulationError
from . import fastforward
from .transcript import Series, Transcript

# Priorities at one instant: API-side bookkeeping (garbage collection, finishing deletions) settles before
# controllers look at the world, and observers (journal flushes, waits) run last.
PRIORITY_API: Final = 0
PRIORITY_KUBELET: Final = 1
PRIORITY_CONTROLLER: Final = 2
PRIORITY_OBSERVER: Final = 3
# The last instant an RFC 3339 timestamp (four-digit year) can show: virtual time never passes it.
LAST_TIMESTAMP: Final = int(parse_rfc3339("9999-12-31T23:59:59Z"))


class RealWork(Protocol):
    """Something outside the simulator whose progress happens in wall time (a real Ray runtime)."""

    def busy(self) -> bool:
        """True while real work is in flight, so virtual time must follow the wall clock."""
        ...

    def poll(self) -> None:
        """Pull real progress into the simulator (typically by scheduling events at ``clock.now``)."""
        ...


class Repeat(float):
    """A delay that re-arms the same poll (a program's loop yields it): ``loop`` names that poll, so the timer
    armed with it can be given ``loop=`` and the clock can pass over its idle runs. Only a run that left the
    program's own state as the previous run did may say so (printing is not a change to the world: a run that
    printed something new must not)."""

    loop: Hashable

    def __new__(cls, seconds: float, loop: Hashable) -> Repeat:
        made = super().__new__(cls, seconds)
        made.loop = loop
        return made


@dataclass(frozen=True)
class Quiet:
    """Proof, made by the previous run of a loop, that its next run does nothing but re-arm ``period`` later:
    valid while :attr:`Clock.revision` is still ``revision`` and the run comes before ``until``."""

    period: float
    revision: int
    until: float
    output: tuple[tuple[Transcript, str], ...] = ()  # what the run printed: each skipped run prints it again


@dataclass(order=True, slots=True)
class Timer:
    """A scheduled callback. ``cancel()`` makes it a no-op; it stays in the heap until its time comes.

    ``loop`` names the loop the callback is a run of (the same value for every run that does the same thing);
    ``delay`` is what ``call_later`` was given; ``quiet`` is set by the clock when the run is proven idle.
    """

    when: float
    priority: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)
    loop: Hashable | None = field(default=None, compare=False)
    delay: float | None = field(default=None, compare=False)
    quiet: Quiet | None = field(default=None, compare=False, repr=False)
    owner: Clock | None = field(default=None, compare=False, repr=False)

    def cancel(self) -> None:
        if not self.cancelled and self.owner is not None:
            self.owner.revision += 1  # a future event that will not happen is a change
        self.cancelled = True


@dataclass
class _Watch:
    """What one run of a loop did: timers it armed, whether it read the time, the deadlines it compared against."""

    armed: int = 0
    last: Timer | None = None
    read_now: bool = False
    until: float = math.inf
    output: list[tuple[Transcript, str]] = field(default_factory=list)


# The heap holds (when, priority, seq, timer): tuples of numbers compare in C, where the dataclass's generated
# ordering would run Python code for every comparison. ``seq`` is unique, so the timer itself is never compared.
_Slot = tuple[float, int, int, Timer]


class Clock:
    """The virtual clock and its event queue.

    ``origin`` is the wall-clock instant (whole UNIX seconds) that virtual time 0 corresponds to; object
    timestamps are ``origin + now`` rendered as RFC 3339, so they look like a real cluster's.
    """

    def __init__(self, origin: int = 1_767_225_600, *, poll_interval: float = 0.05) -> None:
        # Default origin 2026-01-01T00:00:00Z: fixed, so that runs are byte-for-byte repeatable.
        self.origin = int(origin)
        self._now = 0.0
        self._queue: list[_Slot] = []
        self._seq = 0
        self._real: list[RealWork] = []
        self.poll_interval = poll_interval
        self.events_run = 0
        # Bumped by every change to the simulated world; see the module docstring.
        self.revision = 0
        self.fast_forward = True
        self.skipped = 0  # loop runs passed over as proven no-ops
        self.horizon = float(LAST_TIMESTAMP - self.origin)
        self._watch: _Watch | None = None

    # -- reading time ----------------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Virtual seconds since the start of the simulation.

        Inside a watched loop run, reading it makes the run time-dependent (it cannot be skipped over); compare
        against deadlines with :meth:`reached` instead.
        """
        if self._watch is not None:
            self._watch.read_now = True
        return self._now

    def reached(self, instant: float) -> bool:
        """``now >= instant``: the one way a decision should read the clock (a skip stops at ``instant``)."""
        if self._watch is not None and instant > self._now:
            self._watch.until = min(self._watch.until, instant)
        return self._now >= instant

    def touch(self) -> None:
        """Record a change to the simulated world that is not a store write or a timer (a job row, a counter)."""
        self.revision += 1

    def output(self, sink: Transcript, item: str) -> None:
        """Print ``item`` into ``sink`` now. Output is no change to the world (nothing in the simulation reads a
        log back): a run that only prints what its previous run printed can still be passed over, and each run
        passed over prints it again (:class:`.transcript.Series`)."""
        sink.add(self._now, item)
        if self._watch is not None:
            self._watch.output.append((sink, item))

    def timestamp(self, t: float | None = None) -> str:
        """``metav1.Time`` as serialised by Kubernetes: RFC 3339, whole seconds, UTC (``2026-01-01T00:00:05Z``)."""
        if t is None and self._watch is not None:
            self._watch.read_now = True
        return rfc3339(self.origin + math.floor(self._now if t is None else t))

    def parse_timestamp(self, value: str) -> float:
        """Inverse of :meth:`timestamp`: virtual seconds for an RFC 3339 string (sub-seconds are dropped)."""
        return parse_rfc3339(value) - self.origin

    def epoch_ms(self, t: float | None = None) -> int:
        """Milliseconds since the UNIX epoch, the unit of Ray's ``start_time``/``end_time``."""
        if t is None and self._watch is not None:
            self._watch.read_now = True
        return round((self.origin + (self._now if t is None else t)) * 1000)

    # -- scheduling ------------------------------------------------------------------------------------------------

    def call_at(self, when: float, callback: Callable[[], None], *, priority: int = PRIORITY_CONTROLLER,
                label: str = "", loop: Hashable | None = None) -> Timer:
        """Run ``callback`` at virtual time ``when`` (never earlier than now)."""
        return self._arm(max(when, self._now), callback, priority, label, loop, None)

    def call_later(self, delay: float, callback: Callable[[], None], *, priority: int = PRIORITY_CONTROLLER,
                   label: str = "", loop: Hashable | None = None) -> Timer:
        """Run ``callback`` ``delay`` seconds from now; ``loop`` marks it as one run of a self-re-arming loop."""
        delay = max(delay, 0.0)
        return self._arm(self._now + delay, callback, priority, label, loop, delay)

    def call_time(self, delay: float) -> float:
        """The instant ``call_later(delay, ...)`` would schedule at."""
        return self._now + max(delay, 0.0)

    def _arm(self, when: float, callback: Callable[[], None], priority: int, label: str, loop: Hashable | None,
             delay: float | None) -> Timer:
        self._seq += 1
        self.revision += 1
        timer = Timer(when, priority, self._seq, callback, label, loop=loop, delay=delay, owner=self)
        heapq.heappush(self._queue, (when, priority, self._seq, timer))
        if self._watch is not None:
            self._watch.armed += 1
            self._watch.last = timer
        return timer

    def add_real_work(self, source: RealWork) -> None:
        """Register a source of wall-clock progress (see the module docstring)."""
        if source not in self._real:
            self._real.append(source)

    def remove_real_work(self, source: RealWork) -> None:
        if source in self._real:
            self._real.remove(source)

    def next_event_time(self) -> float:
        """Time of the next pending (not cancelled) event, or ``inf``."""
        queue = self._queue
        while queue and queue[0][3].cancelled:
            heapq.heappop(queue)
        return queue[0][0] if queue else math.inf

    def pending(self) -> int:
        return sum(1 for slot in self._queue if not slot[3].cancelled)

    # -- running ---------------------------------------------------------------------------------------------------

    def step(self) -> bool:
        """Run the next event (advancing time to it). False when the queue is empty."""
        if self.next_event_time() == math.inf:
            return False
        slot = heapq.heappop(self._queue)
        timer = slot[3]
        if timer.when > self.horizon:
            heapq.heappush(self._queue, slot)
            raise self._beyond_horizon(timer.when)
        self._now = max(self._now, timer.when)
        self.events_run += 1
        if timer.loop is None or self._watch is not None:
            timer.callback()
        else:
            self._run_watched(timer)
        return True

    def _run_watched(self, timer: Timer) -> None:
        """Run one loop iteration and, if it changed nothing but re-arming itself, mark the new timer quiet."""
        before = self.revision
        watch = self._watch = _Watch()
        try:
            timer.callback()
        finally:
            self._watch = None
        armed = watch.last
        if (armed is not None and watch.armed == 1 and self.revision == before + 1 and not watch.read_now
                and armed.loop == timer.loop and armed.delay and not armed.cancelled):
            # Re-arming a loop that stands still is not a change: other loops' proofs stay valid.
            self.revision = before
            armed.quiet = Quiet(armed.delay, before, watch.until, tuple(watch.output))

    def _beyond_horizon(self, when: float) -> SimulationError:
        last = rfc3339(LAST_TIMESTAMP)
        return SimulationError(f"virtual time t={when:.0f}s would pass {last}, the last instant Kubernetes "
                               "timestamps can show", hint="shorten the advances, waits and durations of this run")

    def run(self, until: float = math.inf, stop: Callable[[], bool] | None = None) -> bool:
        """Run events up to virtual time ``until``; return True as soon as ``stop()`` holds.

        When ``stop`` never holds, time ends at exactly ``until`` (if finite). With nothing left to do and no
        real work in flight, an infinite ``until`` returns False immediately rather than spinning. ``stop`` must
        depend on the world only, not on the time (runs proven idle are skipped without calling it).
        """
        if math.isnan(until) or (until != math.inf and until > self.horizon):
            raise self._beyond_horizon(until)
        # What the caller changed since the last run (a fault set, a submitter held) is no store write: count it.
        self.revision += 1
        while True:
            if stop is not None and stop():
                return True
            next_time = self.next_event_time()
            if self._real_busy():
                self._pace(min(next_time, until))
                if self._now >= until and next_time > until:
                    return stop() if stop is not None else False
                continue
            if next_time > until or next_time == math.inf:
                if until != math.inf:
                    self._now = max(self._now, until)
                return stop() if stop is not None else False
            if not (self.fast_forward and self._skip_idle_runs(until)):
                self.step()

    def advance(self, duration: float) -> None:
        """Let ``duration`` virtual seconds pass, running everything due in between."""
        self.run(until=self._now + duration)

    def _is_quiet(self, timer: Timer) -> bool:
        quiet = timer.quiet
        return quiet is not None and quiet.revision == self.revision and timer.when < quiet.until

    def _skip_idle_runs(self, until: float) -> bool:
        """Move every loop whose next runs are proven no-ops past those runs; False when nothing moved.

        The loops at the head of the queue that are quiet are taken out; the first other event (or ``until``, or
        the horizon) bounds the skip; :func:`fastforward.plan` says where each loop lands and in which order
        loops landing on one instant must be re-armed. When that order cannot be rebuilt, the skip is shortened.
        """
        if not self._queue or not self._is_quiet(self._queue[0][3]):
            return False
        taken: list[Timer] = []
        claimed: set[int] = set()  # logs whose line order matters, printed into by a loop taken
        while self._queue:
            head = self._queue[0][3]
            if head.cancelled:
                heapq.heappop(self._queue)
            elif self._is_quiet(head) and head.when <= until:
                sinks = {id(sink) for sink, _ in head.quiet.output if sink.ordered}  # type: ignore[union-attr]
                if sinks & claimed:
                    break  # two loops printing into one log: their lines interleave, so step through them
                claimed |= sinks
                taken.append(heapq.heappop(self._queue)[3])
            else:
                break
        loops = [fastforward.Loop(t.when, t.priority, t.seq, t.quiet.period, t.quiet.until)  # type: ignore[union-attr]
                 for t in taken]
        boundary = min(self.next_event_time(), until, self.horizon)
        moves = self._plan(loops, boundary)
        moved = 0
        for timer, move in sorted(zip(taken, moves, strict=True), key=lambda pair: pair[1].rank or (0.0, 0, -1)):
            if move.rank is not None:
                self._print_skipped(timer, move.position.steps)
                self._seq += 1
                timer.when, timer.seq = move.position.value, self._seq
                moved += move.position.steps
            heapq.heappush(self._queue, (timer.when, timer.priority, timer.seq, timer))
        self.skipped += moved
        return moved > 0

    @staticmethod
    def _print_skipped(timer: Timer, runs: int) -> None:
        """What ``runs`` runs of ``timer``'s loop from ``timer.when`` on print, as each proven run printed it."""
        quiet = timer.quiet
        assert quiet is not None
        sinks: dict[int, tuple[Transcript, list[str]]] = {}
        for sink, item in quiet.output:
            sinks.setdefault(id(sink), (sink, []))[1].append(item)
        for sink, items in sinks.values():
            sink.add_series(Series(tuple(items), timer.when, quiet.period, runs))

    @staticmethod
    def _plan(loops: list[fastforward.Loop], boundary: float) -> list[fastforward.Move]:
        """The plan up to ``boundary``, or up to the latest earlier instant whose plan is decidable."""
        low = min(loop.start for loop in loops)
        stay = [fastforward.Move(loop, fastforward.Position(loop.start, None, 0), None) for loop in loops]
        if not math.isfinite(boundary):
            return stay
        try:
            return fastforward.plan(loops, boundary)
        except fastforward.NoProgress:
            return stay
        except fastforward.Undecidable:
            pass
        best, high = stay, boundary
        for _ in range(64):  # bisection: a tie only appears once two loops have merged, and stays
            middle = low + (high - low) / 2
            if not low < middle < high:
                break
            try:
                best, low = fastforward.plan(loops, middle), middle
            except fastforward.Undecidable:
                high = middle
        return best

    def _real_busy(self) -> bool:
        return any(source.busy() for source in self._real)

    def _pace(self, target: float) -> None:
        """Follow the wall clock toward ``target`` for one poll interval, then poll the real sources."""
        start_wall = time.monotonic()
        start_virtual = self._now
        if target > start_virtual:
            time.sleep(min(self.poll_interval, target - start_virtual))
        elapsed = time.monotonic() - start_wall
        self._now = min(target, start_virtual + elapsed) if target != math.inf else start_virtual + elapsed
        for source in list(self._real):
            source.poll()
        # Run whatever became due, including events the poll scheduled at `now`.
        while self.next_event_time() <= self._now:
            self.step()
