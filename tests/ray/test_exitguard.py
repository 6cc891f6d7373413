"""Specifications of the exit guard the Ray runtime relies on: cleanups run once, on exit or on SIGINT/SIGTERM/SIGHUP,
signals never cut a cleanup in half, and the process then ends as the signal asked. Each case is a small Python
process (no Ray); a cleanup prints what it does, so the order of events is read from its output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ray_sim_support import eventually

PROJECT = Path(__file__).resolve().parents[2]
PRELUDE = """
import os, signal, sys, time
from harness._util import exitguard
def say(text):
    print(text, flush=True)
"""


def start(body: str, *, ignore_sigint: bool = False) -> subprocess.Popen[str]:
    code = PRELUDE + body
    argv = [sys.executable, "-c", code]
    if ignore_sigint:
        argv = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                "os.execv(sys.executable, [sys.executable, '-c', sys.argv[1]])", code]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_line(proc: subprocess.Popen[str], line: str) -> list[str]:
    seen: list[str] = []
    assert proc.stdout is not None
    while (got := proc.stdout.readline()) != "":
        seen.append(got.rstrip("\n"))
        if seen[-1] == line:
            return seen
    raise AssertionError(f"{line!r} never printed; saw {seen}")


def finish(proc: subprocess.Popen[str]) -> tuple[int, list[str], list[str]]:
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out.splitlines(), err.splitlines()


WAITING = """
exitguard.register(lambda: say("cleanup"))
say("ready")
time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_termination_signal_runs_the_cleanup_then_ends_the_process_by_that_signal(signum: int) -> None:
    proc = start(WAITING)
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signum)
    assert finish(proc)[:2] == (-signum, ["cleanup"])


def test_sigint_runs_the_cleanup_then_raises_keyboard_interrupt_where_the_program_was() -> None:
    proc = start("""
exitguard.register(lambda: say("cleanup"))
try:
    say("ready")
    time.sleep(60)
except KeyboardInterrupt:
    say("interrupted in the program")
""")
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGINT)
    assert finish(proc)[:2] == (0, ["cleanup", "interrupted in the program"])


def test_the_cleanup_runs_once_at_a_normal_exit() -> None:
    proc = start("""
exitguard.register(lambda: say("cleanup"))
say("done")
""")
    assert finish(proc) == (0, ["done", "cleanup"], [])


def test_a_signal_during_a_critical_section_waits_for_its_end() -> None:
    proc = start("""
exitguard.register(lambda: say("cleanup"))
with exitguard.critical():
    say("ready")
    time.sleep(1.0)
    say("critical section done")
time.sleep(60)
""")
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGTERM)
    assert finish(proc)[:2] == (-signal.SIGTERM, ["critical section done", "cleanup"])


def test_a_second_signal_does_not_cut_the_cleanup_short() -> None:
    proc = start("""
def slow_cleanup():
    say("cleanup begins")
    time.sleep(1.5)
    say("cleanup ends")
exitguard.register(slow_cleanup)
say("ready")
time.sleep(60)
""")
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGTERM)
    wait_for_line(proc, "cleanup begins")
    os.kill(proc.pid, signal.SIGINT)
    os.kill(proc.pid, signal.SIGTERM)
    assert finish(proc)[:2] == (-signal.SIGTERM, ["cleanup ends"])


def test_ctrl_c_during_the_exit_time_cleanup_exits_130_with_one_line_after_it() -> None:
    proc = start("""
def slow_cleanup():
    say("cleanup begins")
    time.sleep(1.5)
    say("cleanup ends")
exitguard.register(slow_cleanup)
say("main done")
""")
    wait_for_line(proc, "cleanup begins")
    os.kill(proc.pid, signal.SIGINT)
    code, out, err = finish(proc)
    assert (code, out, err) == (130, ["cleanup ends"], ["interrupted"])


def test_ctrl_c_after_the_exit_time_cleanup_still_exits_130_with_one_line() -> None:
    proc = start("""
import atexit
atexit.register(lambda: (say("later exit handler"), time.sleep(60)))  # runs after ours: registered before it
exitguard.register(lambda: say("cleanup"))
say("main done")
""")
    wait_for_line(proc, "later exit handler")
    os.kill(proc.pid, signal.SIGINT)
    assert finish(proc) == (130, [], ["interrupted"])


def test_a_sigint_inherited_as_ignored_stays_ignored() -> None:
    proc = start(WAITING, ignore_sigint=True)
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGINT)
    assert not eventually(lambda: proc.poll() is not None, timeout=1.0)
    os.kill(proc.pid, signal.SIGTERM)
    assert finish(proc)[:2] == (-signal.SIGTERM, ["cleanup"])


def test_a_handler_installed_before_is_called_after_the_cleanup() -> None:
    proc = start("""
signal.signal(signal.SIGTERM, lambda signum, frame: (say("previous handler"), sys.exit(3)))
exitguard.register(lambda: say("cleanup"))
say("ready")
time.sleep(60)
""")
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGTERM)
    assert finish(proc)[:2] == (3, ["cleanup", "previous handler"])


def test_an_unregistered_cleanup_does_not_run() -> None:
    proc = start("""
def cleanup():
    say("cleanup")
exitguard.register(cleanup)
exitguard.unregister(cleanup)
say("done")
""")
    assert finish(proc)[:2] == (0, ["done"])


def test_cleanups_registered_from_another_thread_still_run_on_a_signal_once_the_main_thread_registers() -> None:
    proc = start("""
import threading
thread = threading.Thread(target=lambda: exitguard.register(lambda: say("from a thread")))
thread.start()
thread.join()
exitguard.register(lambda: say("from the main thread"))
say("ready")
time.sleep(60)
""")
    wait_for_line(proc, "ready")
    os.kill(proc.pid, signal.SIGTERM)
    assert finish(proc)[:2] == (-signal.SIGTERM, ["from the main thread", "from a thread"])


def test_a_forked_child_runs_its_own_cleanups_not_its_parents() -> None:
    proc = start("""
exitguard.register(lambda: say("parent cleanup"))
child = os.fork()
if child == 0:
    exitguard.register(lambda: say("child cleanup"))
    say(f"child {os.getpid()}")
    time.sleep(60)
    os._exit(0)
_, status = os.waitpid(child, 0)
say(f"child ended by signal {os.WTERMSIG(status)}")
""")
    assert proc.stdout is not None
    child = int(proc.stdout.readline().split()[1])
    os.kill(child, signal.SIGTERM)
    assert finish(proc)[:2] == (0, ["child cleanup", f"child ended by signal {signal.SIGTERM}", "parent cleanup"])
