"""How time passes on the Kubernetes backend: the wall clock on a cluster, or the simulator's virtual clock,
stepped from timer to timer, when the server offers the simulator's controls.

:class:`WallTime`: ``advance`` sleeps and ``wait_until`` re-checks its condition whenever a watch reports a
change (and at least every quarter second, for conditions about time itself). The steps say they waited in real
time; scenarios that must wait long are for the simulator.

:class:`SteppedTime`: the server's clock is switched to ``Manual`` pacing (it stands still between requests) and
moved by ``advance`` requests, one timer's instant at a time, as far as the next pending timer: so a wait checks
its condition after every instant at which something could have changed, an hour of TTL costs a few requests, and
every journal entry is stamped with the virtual instant at which it happened. After each step the backend waits
until its watches have delivered every change the step made (:class:`VersionLedger`), so that a condition is
never checked against a half-delivered instant. The simulator's server counts resourceVersions one per write,
and the backend watches every kind it serves in every namespace: a step is complete once every version up to the
server's current one has arrived.

Not here: the requests (:mod:`.controls`), what the watches deliver (:mod:`.observed`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Final, Protocol

from ...errors import HarnessError
from .controls import SimulatorControls
from .observed import Observed

POLL: Final = 0.25  # wall seconds between checks of a condition while nothing changes
SLEEP_SLICE: Final = 0.5
# The least step: a step of nothing makes the server run nothing, not even what is due now; and a step must still
# move a clock that has run for years (a float's resolution at 10^8 seconds is about 1.5e-8).
EPSILON: Final = 1e-7
TOLERANCE: Final = 1e-6  # virtual time left below this is none
DELIVERY_TIMEOUT: Final = 30.0


class TimeSource(Protocol):
    virtual: bool

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool: ...


def holds_on_the_way(condition: Callable[[], bool], observed: Observed) -> bool:
    """Whether ``condition`` holds now, or in one of the states the changes held back lead through (each shown in
    turn); the rest are shown once it holds."""
    if condition():
        return True
    while observed.show_next():
        if condition():
            return True
    return False


class WallTime:
    """Real time: seconds since the backend started."""

    virtual = False

    def __init__(self, observed: Observed) -> None:
        self._observed = observed
        self._start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._start

    def advance(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, SLEEP_SLICE))  # short slices keep Ctrl-C prompt

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._observed.replaying():
            seen = self._observed.changes
            while True:
                if holds_on_the_way(condition, self._observed):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                seen = self._observed.wait_changed(seen, min(left, POLL))


class VersionLedger:
    """Which resourceVersions the watches have delivered since a starting version, to know when they have all up
    to a given one (the simulator's server gives each write the next version)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._complete = 0  # every version up to this one is accounted for
        self._ahead: set[int] = set()  # versions seen beyond it

    def start_at(self, version: int) -> None:
        """Count everything up to ``version`` as delivered (a list at that version covers it)."""
        with self._cond:
            if version > self._complete:
                self._complete = version
                self._ahead = {v for v in self._ahead if v > version}
                self._settle()

    def saw(self, version: int) -> None:
        with self._cond:
            if version > self._complete:
                self._ahead.add(version)
                self._settle()

    def _settle(self) -> None:
        while self._complete + 1 in self._ahead:
            self._complete += 1
            self._ahead.discard(self._complete)
        self._cond.notify_all()

    @property
    def complete(self) -> int:
        return self._complete

    def wait_complete(self, version: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._complete < version:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


class SteppedTime:
    """The simulator server's virtual clock, driven by this backend (see the module docstring)."""

    virtual = True

    def __init__(self, controls: SimulatorControls, observed: Observed, ledger: VersionLedger,
                 current_version: Callable[[], int], *, max_step: float | None = None) -> None:
        self._controls = controls
        self._max_step = max_step  # with real Ray work, virtual time follows the wall clock: check often
        self._observed = observed
        self._ledger = ledger
        self._current_version = current_version
        state = controls.clock()
        self.previous_pacing = state.pacing
        if state.pacing != "Manual":
            state = controls.set_pacing("Manual")
        # Start on a whole second of the server's clock, as the in-process simulator does: object timestamps have
        # whole seconds, so a scenario then sees the same second boundaries (and the same writes) as there.
        fraction = state.now - math.floor(state.now)
        if fraction > 1e-6:
            state = controls.advance(1.0 - fraction)
        self._state = state
        self._origin = state.now

    def restore(self) -> None:
        """Give the clock back its pacing as found (a server someone else drives with kubectl keeps moving)."""
        if self.previous_pacing and self.previous_pacing != "Manual":
            self._controls.set_pacing(self.previous_pacing)

    def now(self) -> float:
        return self._state.now - self._origin

    def _step(self, seconds: float) -> None:
        """Advance the server's clock ``seconds`` and wait until the watches have delivered what happened."""
        before = self._state.now
        self._observed.hold()
        try:
            self._state = self._controls.advance(seconds)
            self.deliver()
        finally:
            self._observed.release(t=self.now())
        if self._state.now <= before:
            raise HarnessError(f"the server's clock did not move when advanced {seconds:g}s (it stays at "
                               f"{self._state.now:g}s)", hint="something else drives its clock; restart the server")

    def deliver(self, version: int | None = None) -> None:
        """Wait until the watches have delivered every write up to ``version`` (default: the server's latest)."""
        if version is None:
            version = self._current_version()
        if not self._ledger.wait_complete(version, DELIVERY_TIMEOUT):
            raise HarnessError(f"the watches did not deliver the server's changes up to resourceVersion={version} "
                               f"within {DELIVERY_TIMEOUT:g}s (delivered up to {self._ledger.complete})",
                               hint="the server may be overloaded, or serve a kind the backend does not watch")

    def _left(self, until: float) -> float:
        left = until - self.now()
        return left if left > TOLERANCE else 0.0

    def _next_step(self, left: float) -> float:
        """The step toward a point ``left`` seconds away: as far as the next timer, and at least EPSILON."""
        limit = left if self._max_step is None else min(left, self._max_step)
        due = self._state.next_timer_in
        return max(limit if due is None or due > limit else due, EPSILON)

    def refresh(self) -> None:
        """Read the clock again: a write may have set a timer (a reconcile is queued by the object it wrote)."""
        self._state = self._controls.clock()

    def advance(self, seconds: float) -> None:
        self.refresh()
        target = self.now() + seconds
        while (left := self._left(target)) > 0 or self._due_now():
            self._step(self._next_step(left))

    def _due_now(self) -> bool:
        return self._state.next_timer_in is not None and self._state.next_timer_in <= 0

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        self.refresh()
        deadline = self.now() + timeout
        with self._observed.replaying():
            while True:
                if holds_on_the_way(condition, self._observed):
                    return True
                left = self._left(deadline)
                if left == 0 and not self._due_now():
                    return False
                if math.isinf(left) and self._state.next_timer_in is None:
                    return False  # nothing will ever happen
                self._step(self._next_step(left))
