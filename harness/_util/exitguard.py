"""Cleanups that run exactly once however the process ends, and that no signal can cut in half.

Whoever starts something that must not outlive the process (a local Ray runtime) registers a cleanup here. It
runs at interpreter exit, or as soon as SIGINT, SIGTERM or SIGHUP arrives; then the signal takes the effect it
would have had without us (KeyboardInterrupt for SIGINT, death by the signal for the others, or the handler that
was installed before). The rules that make it hold under any sequence of signals:

- **Critical sections defer signals.** While a cleanup runs, or while a caller is between starting a child and
  recording its PID (:func:`critical`), a signal is noted and acted on when the section ends. A second Ctrl-C
  therefore never leaves half a runtime behind, and the first one is never lost.
- **A signal the process inherited as ignored stays ignored** (``nohup``, ``cmd &`` in a script): no handler is
  installed for it, so it cannot stop anything.
- **Ctrl-C during the exit-time cleanup still means "interrupted"**: once the cleanup is done the process exits
  with status 130 after one line on stderr, instead of an "Exception ignored in atexit callback" traceback.

Handlers can only be installed from the main thread; from another thread the exit-time cleanup still runs.
SIGKILL cannot be caught: what survives it is the job of a watchdog process (:func:`harness._util.procs.spawn_reaper`).
Not here: what the cleanups do.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Final

Cleanup = Callable[[], object]

HANDLED: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTED_EXIT: Final = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
INTERRUPTED_LINE: Final = "interrupted"
# The most severe pending signal wins when several arrived during one critical section.
_SEVERITY: Final = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

_lock = threading.RLock()  # re-entrant: a signal handler may run while the main thread holds it
_cleanups: list[Cleanup] = []
_previous: dict[int, Any] = {}
_installed_in: int | None = None  # the pid whose cleanups these are (a forked child starts afresh)
_handlers_in: int | None = None  # the pid our signal handlers were installed in
_depth = 0  # critical sections in progress (main thread only: signal handlers run there)
_pending: list[int] = []
_exiting = False


def register(cleanup: Cleanup) -> None:
    """Run ``cleanup`` at exit or on the first handled signal (once; see the module docstring)."""
    _install()
    with _lock:
        if cleanup not in _cleanups:
            _cleanups.append(cleanup)


def unregister(cleanup: Cleanup) -> None:
    """Forget a cleanup that its owner has run already."""
    with _lock:
        if cleanup in _cleanups:
            _cleanups.remove(cleanup)


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """Defer handled signals until the block ends (then act on the most severe one)."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            act = _depth == 0 and bool(_pending)
        if act:
            _act_on_pending()


def _install() -> None:
    global _installed_in
    with _lock:
        first = _installed_in != os.getpid()
        if first:
            _installed_in = os.getpid()
            _cleanups.clear()  # a forked child does not own its parent's runtimes
            _pending.clear()
    if first:
        atexit.register(_at_exit)
        # Python runs these when the main thread ends, before any atexit callback: a Ctrl-C in one of those
        # (registered after ours, so run before it) must already exit quietly.
        register_early = getattr(threading, "_register_atexit", None)
        if callable(register_early):
            with contextlib.suppress(RuntimeError):  # the interpreter is already shutting down
                register_early(_mark_exiting)
    _install_handlers()


def _install_handlers() -> None:
    """Our handlers, once per process, as soon as a registration comes from the main thread."""
    global _handlers_in
    if _handlers_in == os.getpid() or threading.current_thread() is not threading.main_thread():
        return
    _handlers_in = os.getpid()
    for signum in HANDLED:
        current = signal.getsignal(signum)
        if current == signal.SIG_IGN:
            continue  # inherited as ignored: whoever started us meant it
        if current is _on_signal:
            continue  # a forked child: ours already, chaining to what its parent had before us
        _previous[signum] = current
        signal.signal(signum, _on_signal)


def _run_cleanups() -> None:
    """Run (and forget) every cleanup of this process, last registered first, with signals deferred.

    No lock is taken around the calls: this runs in a signal handler too, possibly while the interrupted code
    holds ``_lock`` (which only ever guards a few list operations, so the pop below may briefly contend).
    """
    global _depth
    _depth += 1
    try:
        while _cleanups:
            try:
                cleanup = _cleanups.pop()
            except IndexError:
                return
            try:
                cleanup()
            except Exception as error:  # one failing cleanup must not keep the others from running
                print(f"error while cleaning up: {error}", file=sys.stderr)
    finally:
        _depth -= 1


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _installed_in != os.getpid():  # a forked child: its parent's cleanups are not its own
        _chain(signum, frame)
        return
    if _depth:
        _pending.append(signum)  # finish the critical section first; see critical()
        return
    _run_cleanups()
    _pending.clear()  # signals that arrived during the cleanup are this one, repeated
    if _exiting:
        _exit_for(signum)  # an exception raised now would only be printed as "Exception ignored"
    _chain(signum, frame)


def _act_on_pending() -> None:
    signum = next(s for s in _SEVERITY if s in _pending)
    _pending.clear()
    if threading.current_thread() is threading.main_thread():
        _on_signal(signum, None)
    else:  # only the main thread runs signal handlers: hand the signal back to it
        os.kill(os.getpid(), signum)


def _chain(signum: int, frame: FrameType | None) -> None:
    """Give the signal the effect it had before our handler was installed."""
    previous = _previous.get(signum, signal.SIG_DFL)
    if previous is signal.default_int_handler:
        raise KeyboardInterrupt
    if callable(previous):
        previous(signum, frame)
        return
    _die_of(signum)


def _exit_for(signum: int) -> None:
    """End an exiting process as the signal asks: SIGINT exits 130 after one line, as a CLI reports Ctrl-C."""
    if signum != signal.SIGINT:
        _die_of(signum)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        print(INTERRUPTED_LINE, file=sys.stderr, flush=True)
    os._exit(INTERRUPTED_EXIT)


def _die_of(signum: int) -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)
    os._exit(128 + signum)  # not reached: the default action of these signals ends the process


def _mark_exiting() -> None:
    """The main thread has finished: from now on nothing can catch an exception a signal would raise."""
    global _exiting
    if _installed_in == os.getpid():
        _exiting = True


def _at_exit() -> None:
    if _installed_in != os.getpid():
        return
    _mark_exiting()
    with critical():  # a signal now is acted on once the cleanups are done (see _act_on_pending)
        _run_cleanups()
