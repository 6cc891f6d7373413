"""Virtual time: a discrete-event scheduler that is the single source of time in the simulator.

Everything in the simulated world reads ``clock.now`` and schedules work with ``call_at``/``call_later``.
Events at the same instant run in (time, priority, sequence) order, so a run repeats exactly.

Two ways time moves:
- **Virtual** (the default): time jumps from one event to the next; an hour of TTL costs microseconds.
- **Paced** while real work is in flight: when a registered :class:`RealWork` source reports that it is busy (a
  real Ray job is running), virtual time follows the wall clock, and the source is polled so that real progress
  is turned into simulator events. As soon as no source is busy, time jumps again. This is the only place that
  reads the wall clock; it is a variant of the same loop, not a second code path.

Not here: what the events do (controllers), or object timestamps' formatting beyond :meth:`Clock.timestamp`.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from .._util.gofmt import parse_rfc3339, rfc3339

# Priorities at one instant: API-side bookkeeping (garbage collection, finishing deletions) settles before
# controllers look at the world, and observers (journal flushes, waits) run last.
PRIORITY_API: Final = 0
PRIORITY_KUBELET: Final = 1
PRIORITY_CONTROLLER: Final = 2
PRIORITY_OBSERVER: Final = 3


class RealWork(Protocol):
    """Something outside the simulator whose progress happens in wall time (a real Ray runtime)."""

    def busy(self) -> bool:
        """True while real work is in flight, so virtual time must follow the wall clock."""
        ...

    def poll(self) -> None:
        """Pull real progress into the simulator (typically by scheduling events at ``clock.now``)."""
        ...


@dataclass(order=True, slots=True)
class Timer:
    """A scheduled callback. ``cancel()`` makes it a no-op; it stays in the heap until its time comes."""

    when: float
    priority: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


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

    # -- reading time ----------------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Virtual seconds since the start of the simulation."""
        return self._now

    def timestamp(self, t: float | None = None) -> str:
        """``metav1.Time`` as serialised by Kubernetes: RFC 3339, whole seconds, UTC (``2026-01-01T00:00:05Z``)."""
        return rfc3339(self.origin + math.floor(self._now if t is None else t))

    def parse_timestamp(self, value: str) -> float:
        """Inverse of :meth:`timestamp`: virtual seconds for an RFC 3339 string (sub-seconds are dropped)."""
        return parse_rfc3339(value) - self.origin

    def epoch_ms(self, t: float | None = None) -> int:
        """Milliseconds since the UNIX epoch, the unit of Ray's ``start_time``/``end_time``."""
        return round((self.origin + (self._now if t is None else t)) * 1000)

    # -- scheduling ------------------------------------------------------------------------------------------------

    def call_at(self, when: float, callback: Callable[[], None], *, priority: int = PRIORITY_CONTROLLER,
                label: str = "") -> Timer:
        """Run ``callback`` at virtual time ``when`` (never earlier than now)."""
        self._seq += 1
        timer = Timer(max(when, self._now), priority, self._seq, callback, label)
        heapq.heappush(self._queue, (timer.when, priority, self._seq, timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None], *, priority: int = PRIORITY_CONTROLLER,
                   label: str = "") -> Timer:
        return self.call_at(self._now + max(delay, 0.0), callback, priority=priority, label=label)

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
        timer = heapq.heappop(self._queue)[3]
        self._now = max(self._now, timer.when)
        self.events_run += 1
        timer.callback()
        return True

    def run(self, until: float = math.inf, stop: Callable[[], bool] | None = None) -> bool:
        """Run events up to virtual time ``until``; return True as soon as ``stop()`` holds.

        When ``stop`` never holds, time ends at exactly ``until`` (if finite). With nothing left to do and no
        real work in flight, an infinite ``until`` returns False immediately rather than spinning.
        """
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
            self.step()

    def advance(self, duration: float) -> None:
        """Let ``duration`` virtual seconds pass, running everything due in between."""
        self.run(until=self._now + duration)

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
