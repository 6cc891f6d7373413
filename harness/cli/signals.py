"""SIGTERM handled as Ctrl-C while a command works, so that what it started is cleaned up either way.

A CI runner stopping a job sends SIGTERM; Python's default would end the process at once, skipping every
``finally``. Raised as KeyboardInterrupt instead, it unwinds through the same cleanups as Ctrl-C (a scenario's
namespace on a cluster is deleted, a backend closed), and the command exits with the usual 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
