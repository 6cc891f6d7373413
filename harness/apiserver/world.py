"""One simulator, owned by one thread, with virtual time kept moving while the API server serves it.

The simulator is single-threaded by design (one clock, one store, controllers called back synchronously), so the
server never touches it from a request thread. Every request hands a function to :meth:`World.call`; the world
thread runs it between clock steps and hands back the result or the exception. Watches do not poll: a store
watcher on the world thread copies each change into the queue of every open watch (:class:`WatchHub`).

How virtual time moves while serving (``Pacing``):

- ``WallClock`` (the default): virtual time follows the wall clock at one virtual second per second, so that
  ``kubectl get rayjob -w`` shows a lifecycle at the pace of a real cluster. With the real Ray executor, the clock
  itself also paces while Ray works (:mod:`harness.sim.clock`); nothing else changes.
- ``Manual``: virtual time stands still between requests; only :meth:`World.advance` moves it, and nothing runs
  in between, not even what a request made due at the current instant (a controller's first reconcile): an
  advance, of 0 s too, runs it. A program that drives the server gets the event order of the in-process
  simulator, whose world also runs only when asked to, whatever the wall clock does.

In both modes :meth:`World.advance` fast-forwards: everything due in the span runs at once (an hour of TTL costs
microseconds with the scripted executor). Requests keep being served while a long span runs, because the clock
yields whenever a request is waiting.

Not here: HTTP (:mod:`.http`), what a request does (:mod:`.rest`).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from ..sim.store import WatchEvent
from ..simulator import Simulator

T = TypeVar("T")
log = logging.getLogger(__name__)
Pacing = Literal["WallClock", "Manual"]
PACINGS: Final[tuple[Pacing, ...]] = ("WallClock", "Manual")
_IDLE_WAKEUP: Final = 0.1  # seconds between clock catch-ups when nothing is asked of the world
CALL_TIMEOUT: Final = 60.0


class WorldStopped(RuntimeError):
    """The world thread has stopped; no more calls are served."""


@dataclass(eq=False)
class Subscription:
    """One open watch: the changes published since it subscribed, in resourceVersion order."""

    events: queue.SimpleQueue[WatchEvent | None] = field(default_factory=queue.SimpleQueue)

    def close(self) -> None:
        self.events.put(None)  # wakes a reader blocked on the queue


class WatchHub:
    """Fans the store's changes out to every open watch. Subscribe and unsubscribe on the world thread only.

    It also remembers the last few encoded event lines (:meth:`encoded`): a hundred watches of the same resource
    send the same bytes for each change, and encoding them once instead of a hundred times is most of the work.
    """

    _ENCODED_KEPT: Final = 4096

    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []
        self.last_rv = 0  # the resourceVersion of the last change queued to every subscriber
        self._encoded: dict[tuple[object, ...], bytes] = {}
        self._encoded_lock = threading.Lock()

    def encoded(self, key: tuple[object, ...], encode: Callable[[], bytes]) -> bytes:
        """The line for ``key`` (a change and how it is shown), encoded once for every watch that sends it."""
        with self._encoded_lock:
            line = self._encoded.get(key)
        if line is None:
            line = encode()
            with self._encoded_lock:
                if len(self._encoded) >= self._ENCODED_KEPT:
                    self._encoded.clear()
                self._encoded[key] = line
        return line

    def publish(self, event: WatchEvent) -> None:
        for subscriber in self._subscribers:
            subscriber.events.put(event)
        self.last_rv = event.resource_version

    def subscribe(self) -> Subscription:
        subscription = Subscription()
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def close_all(self) -> None:
        for subscriber in self._subscribers:
            subscriber.close()
        self._subscribers.clear()

    @property
    def open_watches(self) -> int:
        return len(self._subscribers)


@dataclass(eq=False)
class _Waiter:
    virtual_time: float
    done: threading.Event = field(default_factory=threading.Event)


class World:
    """The simulator and the thread that owns it. ``start()`` it, ``call()`` into it, ``stop()`` it."""

    def __init__(self, sim: Simulator, *, pacing: Pacing = "WallClock") -> None:
        self.sim = sim
        self.hub = WatchHub()
        sim.store.watch(self.hub.publish)
        self._inbox: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] = queue.SimpleQueue()
        self._pacing: Pacing = pacing
        self._virtual_base = sim.clock.now
        self._wall_base = time.monotonic()
        self._waiters: list[_Waiter] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rayjob-harness-world", daemon=True)
        self.error: BaseException | None = None  # what stopped the world thread, if it crashed
        self.failures: list[str] = []  # simulator steps that raised (logged; serving went on)

    # -- life ------------------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._wall_base = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after the call in progress; pending and later calls fail with WorldStopped."""
        self._stopping.set()
        self._inbox.put(None)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)
        self.hub.close_all()
        for waiter in self._waiters:
            waiter.done.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    # -- calling in ------------------------------------------------------------------------------------------------

    def call(self, fn: Callable[[], T], *, timeout: float = CALL_TIMEOUT) -> T:
        """Run ``fn`` on the world thread (after virtual time has caught up) and return its result or raise."""
        if threading.current_thread() is self._thread:
            return fn()
        if not self.running:
            raise WorldStopped("the simulator has stopped")
        future: Future[object] = Future()
        self._inbox.put((fn, future))
        result = future.result(timeout=timeout)
        return result  # type: ignore[return-value]

    # -- time ------------------------------------------------------------------------------------------------------

    @property
    def pacing(self) -> Pacing:
        return self._pacing

    def set_pacing(self, pacing: Pacing) -> None:
        """Switch how time moves between requests (world thread)."""
        self._virtual_base = self._target()
        self._wall_base = time.monotonic()
        self._pacing = pacing

    def _target(self) -> float:
        if self._pacing == "Manual":
            return self._virtual_base
        return self._virtual_base + (time.monotonic() - self._wall_base)

    def advance(self, seconds: float, *, timeout: float = CALL_TIMEOUT) -> float:
        """Fast-forward ``seconds`` of virtual time (from a request thread); returns the virtual time reached.

        Returns early, at the time reached, when ``timeout`` wall seconds pass first: real Ray work in flight holds
        virtual time to the wall clock, as in the in-process simulator.
        """

        def schedule() -> _Waiter:
            want = self.sim.clock.now + seconds
            self._virtual_base += seconds
            waiter = _Waiter(want)
            self._waiters.append(waiter)
            return waiter

        waiter = self.call(schedule)
        waiter.done.wait(timeout)
        return self.call(lambda: self.sim.clock.now)

    # -- the loop --------------------------------------------------------------------------------------------------

    def _requests_waiting(self) -> bool:
        return not self._inbox.empty() or self._stopping.is_set()

    def _catch_up(self) -> None:
        target = self._target()
        clock = self.sim.clock
        # what a request made due at the current instant waits for time to move, or for an advance (even of 0 s)
        if clock.now < target or (self._waiters and clock.next_event_time() <= target):
            clock.run(until=target, stop=self._requests_waiting)
        if self._waiters:
            reached = [w for w in self._waiters if w.virtual_time <= clock.now + 1e-9]
            for waiter in reached:
                self._waiters.remove(waiter)
                waiter.done.set()

    def _wait_time(self) -> float:
        if self._waiters and self.sim.clock.now < self._target():
            return 0.0
        delay = self.sim.clock.next_event_time() - self._target()
        if self._pacing == "Manual" or math.isinf(delay):
            return _IDLE_WAKEUP
        return min(max(delay, 0.0), _IDLE_WAKEUP)

    def _step_time(self) -> None:
        """Catch virtual time up; a failure inside the simulator is logged and serving goes on (the step that failed
        is gone from the clock; the requests of everyone else still deserve answers)."""
        try:
            self._catch_up()
        except Exception as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}")
            log.error("a simulator step failed at virtual time %.3f; serving goes on:\n%s", self.sim.clock.now,
                      traceback.format_exc())

    def _loop(self) -> None:
        try:
            while not self._stopping.is_set():
                self._step_time()
                try:
                    item = self._inbox.get(timeout=self._wait_time())
                except queue.Empty:
                    continue
                while item is not None:
                    fn, future = item
                    if future.set_running_or_notify_cancel():
                        try:
                            future.set_result(fn())
                        except BaseException as exc:  # handed to the caller, which decides what it means
                            future.set_exception(exc)
                    try:
                        item = self._inbox.get_nowait()
                    except queue.Empty:
                        item = None
                if self._stopping.is_set():
                    break
        except BaseException as exc:  # a crash in the simulator: every caller learns it, nothing hangs
            self.error = exc
        finally:
            self._stopping.set()
            self._fail_pending()

    def _fail_pending(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[1].set_exception(WorldStopped("the simulator has stopped"))
