"""A controller work queue with controller-runtime's semantics, in virtual time.

- ``add(key)``: reconcile as soon as possible; a key already waiting to run is not queued twice.
- ``add_after(key, delay)``: one delayed entry per key; a later request never postpones an earlier one
  (client-go's ``waitingForQueue`` keeps the earliest ready time).
- ``add_rate_limited(key)``: the per-item exponential failure back-off, 5 ms doubling to 1000 s
  (``DefaultControllerRateLimiter``'s item limiter), reset by ``forget(key)`` after a successful reconcile.
Reconciles run one at a time (``--reconcile-concurrency`` 1), each at one virtual instant.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

from .clock import PRIORITY_CONTROLLER, Clock, Timer

K = TypeVar("K", bound=Hashable)
BASE_DELAY: Final = 0.005
MAX_DELAY: Final = 1000.0


class WorkQueue(Generic[K]):
    def __init__(self, clock: Clock, handler: Callable[[K], None], *, name: str) -> None:
        self.clock = clock
        self.handler = handler
        self.name = name
        self._ready: dict[K, Timer] = {}
        self._delayed: dict[K, Timer] = {}
        self._failures: dict[K, int] = {}
        self.processed = 0
        self.shut = False

    def shut_down(self) -> None:
        """The process owning the queue is gone: pending work is dropped and nothing is queued any more."""
        self.shut = True
        for table in (self._ready, self._delayed):
            for timer in table.values():
                timer.cancel()
            table.clear()
        self._failures.clear()

    def add(self, key: K) -> None:
        if key in self._ready or self.shut:
            return
        self._ready[key] = self.clock.call_later(0.0, lambda: self._run(key, ready=True),
                                                 priority=PRIORITY_CONTROLLER, label=f"{self.name} {key}")

    def add_after(self, key: K, delay: float) -> None:
        if self.shut:
            return
        if delay <= 0:
            self.add(key)
            return
        when = self.clock.now + delay
        existing = self._delayed.get(key)
        if existing is not None and not existing.cancelled and existing.when <= when:
            return
        if existing is not None:
            existing.cancel()
        self._delayed[key] = self.clock.call_at(when, lambda: self._run(key, ready=False),
                                                priority=PRIORITY_CONTROLLER, label=f"{self.name} {key} after")

    def add_rate_limited(self, key: K) -> None:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, min(BASE_DELAY * (2 ** failures), MAX_DELAY))

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)

    def has_delayed(self, key: K) -> bool:
        timer = self._delayed.get(key)
        return timer is not None and not timer.cancelled

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)

    def _run(self, key: K, *, ready: bool) -> None:
        if ready:
            self._ready.pop(key, None)
        else:
            self._delayed.pop(key, None)
        self.processed += 1
        self.handler(key)

    def drop(self, key: K) -> None:
        """Forget everything about a key (its object is gone)."""
        for table in (self._ready, self._delayed):
            timer = table.pop(key, None)
            if timer is not None:
                timer.cancel()
        self._failures.pop(key, None)
