"""Progress of slow provisioning steps: what is happening, for how long, and how it ended.

Creating a cluster, pulling a multi-GB Ray image and waiting for the operator each take from seconds to
minutes; a person (or a CI log) should never stare at a silent terminal. Provisioning talks to a
:class:`Progress`; :class:`LineProgress` writes plain, timestamped lines (good for CI logs and pipes), and
:class:`NullProgress` stays quiet (tests, library use). A step's ``update`` carries a short live detail (the
tool's last output line, bytes pulled); line output prints updates at most every few seconds.

Not here: what the steps are (:mod:`.provision`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TextIO

from ..._util.durations import format_duration


class Step(Protocol):
    def update(self, detail: str) -> None: ...


class Progress(Protocol):
    def step(self, title: str) -> AbstractContextManager[Step]: ...

    def note(self, text: str) -> None: ...


class _NullStep:
    def update(self, detail: str) -> None:
        pass


class NullProgress:
    """Says nothing."""

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        yield _NullStep()

    def note(self, text: str) -> None:
        pass


class _LineStep:
    def __init__(self, out: TextIO, clock: Callable[[], float], started: float, every: float) -> None:
        self._out = out
        self._clock = clock
        self._started = started
        self._every = every
        self._last_print = started
        self._last_detail = ""

    def update(self, detail: str) -> None:
        detail = detail.strip()
        now = self._clock()
        if not detail or detail == self._last_detail or now - self._last_print < self._every:
            return
        self._last_detail = detail
        self._last_print = now
        print(f"    ... {detail} ({format_duration(round(now - self._started))})", file=self._out, flush=True)


class LineProgress:
    """One line when a step starts, a line for each live detail (throttled), one line when it ends."""

    def __init__(self, out: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic,
                 every: float = 5.0) -> None:
        self._out = out if out is not None else sys.stderr
        self._clock = clock
        self._every = every

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        started = self._clock()
        print(f"==> {title}", file=self._out, flush=True)
        try:
            yield _LineStep(self._out, self._clock, started, self._every)
        except BaseException:
            print(f"  x {title}: failed after {format_duration(round(self._clock() - started, 1))}", file=self._out,
                  flush=True)
            raise
        print(f"  ok {title} ({format_duration(round(self._clock() - started, 1))})", file=self._out, flush=True)

    def note(self, text: str) -> None:
        print(f"  - {text}", file=self._out, flush=True)
