"""Specifications of the subprocess helper the Ray runtime relies on to start, find and stop processes.
These need no Ray runtime; they live here because the Ray executor is what depends on them most."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from ray_sim_support import eventually

from harness._util import procs


def test_run_captures_output_and_exit_code() -> None:
    result = procs.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_run_stops_the_whole_command_on_timeout() -> None:
    marker = procs.Marker("RJH_TEST_MARKER", secrets.token_hex(4))
    with pytest.raises(subprocess.TimeoutExpired):
        procs.run(["sh", "-c", "sleep 30 & sleep 31; wait"], timeout=0.5,
                  env={**os.environ, marker.env_name: marker.env_value})
    assert procs.find_marked(marker) == []


def test_stop_group_kills_members_that_ignore_sigterm() -> None:
    proc = procs.spawn(["sh", "-c", "trap '' TERM; sleep 60 & sleep 60; wait"])
    assert eventually(lambda: len(procs.group_members(proc.pid)) >= 2, 5)

    assert procs.stop_group(proc.pid, grace=0.3) is True

    assert procs.group_members(proc.pid) == []
    proc.wait()


def test_find_marked_follows_a_process_that_left_the_group() -> None:
    marker = procs.Marker("RJH_TEST_MARKER", secrets.token_hex(4))
    code = "import subprocess, time; subprocess.Popen(['sleep', '60'], start_new_session=True); time.sleep(60)"
    parent = procs.spawn([sys.executable, "-c", code], env={**os.environ, marker.env_name: marker.env_value})
    assert eventually(lambda: len(procs.find_marked(marker)) == 2, 10)
    sessions = {info.sid for pid in procs.find_marked(marker) if (info := procs.proc_info(pid))}
    assert len(sessions) == 2

    assert procs.stop_marked(marker, grace=1.0) == []

    assert procs.find_marked(marker) == []
    parent.wait()


def test_a_zombie_counts_as_dead() -> None:
    proc = procs.spawn(["true"])
    assert eventually(lambda: not procs.pid_alive(proc.pid), 5)
    info = procs.proc_info(proc.pid)
    assert info is not None and info.zombie  # not reaped yet, and still not alive
    proc.wait()


def test_pid_alive_tells_a_reused_pid_by_its_start_time() -> None:
    info = procs.proc_info(os.getpid())
    assert info is not None
    assert procs.pid_alive(os.getpid(), info.start_ticks)
    assert not procs.pid_alive(os.getpid(), info.start_ticks + 1)


def test_stopping_our_own_process_group_is_refused() -> None:
    with pytest.raises(ValueError, match="refusing"):
        procs.stop_group(os.getpgid(0))
