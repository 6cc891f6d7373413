"""Specifications of the local Ray runtime's ownership: it starts, stops without leaks, and is cleaned up at once by
the next start after an owner that died without a reaper. (The reaper after SIGKILL: test_ray_signals.py, and
without Ray, test_ray_procs.py.)"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from ray_sim_support import eventually
from runtime_probes import marked, reapers_of

from harness._util import procs
from harness.executors.ray_runtime import RayRuntime, get_shared_runtime, stop_shared_runtime, sweep_stale

pytestmark = pytest.mark.ray

PROJECT = Path(__file__).resolve().parents[2]
OWNER_SCRIPT = """
import os, signal, sys, time
from pathlib import Path
from harness.executors.ray_runtime import RayRuntime
runtime = RayRuntime(root=Path(sys.argv[1]), reaper=sys.argv[2] == "reaper").start()
print(runtime.dir, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def owner_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")])}


def crashed_owner(root: Path, *, reaper: bool = False) -> Path:
    """Start a runtime in a child process that then dies by SIGKILL; return the runtime's directory."""
    result = procs.run([sys.executable, "-c", OWNER_SCRIPT, str(root), "reaper" if reaper else "-"],
                       env=owner_env(), cwd=PROJECT, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr
    return Path(result.stdout.strip())


def test_stopping_a_runtime_leaves_no_process_no_directory_and_no_port_lock(short_root: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    runtime = RayRuntime(root=short_root).start()
    JobSubmissionClient(runtime.dashboard_url, headers=runtime.auth_headers).submit_job(
        entrypoint="python -c 'import time; print(\"leak-check\", flush=True); time.sleep(120)'")
    assert eventually(lambda: any("leak-check" in procs.cmdline(pid) for pid in runtime.processes()))
    pids = runtime.processes()
    assert runtime.dir is not None and reapers_of(runtime.dir)

    assert runtime.stop() == []

    assert not [pid for pid in pids if procs.pid_alive(pid)]
    assert marked(runtime.dir) == []
    assert not runtime.dir.exists()
    assert reapers_of(runtime.dir) == []  # it left as soon as nothing was left to watch
    assert list((short_root / "ports").iterdir()) == []


def test_the_next_start_sweeps_a_runtime_whose_owner_died_at_once(short_root: Path) -> None:
    runtime_dir = crashed_owner(short_root)
    assert marked(runtime_dir), "the runtime outlives its killed owner"

    assert sweep_stale(short_root) == [runtime_dir]  # seconds after the start: liveness, not age, decides

    assert marked(runtime_dir) == []
    assert not runtime_dir.exists()


def test_the_runtime_keeps_ray_out_of_the_users_home(ray_runtime: RayRuntime, home_had_dot_ray: bool) -> None:
    assert ray_runtime.dir is not None
    assert Path(ray_runtime.env["HOME"]).is_relative_to(ray_runtime.dir)
    assert (Path.home() / ".ray").exists() == home_had_dot_ray


def test_the_shared_runtime_is_one_per_process(ray_runtime: RayRuntime) -> None:
    assert get_shared_runtime() is ray_runtime
    assert ray_runtime.running


def test_stopping_the_shared_runtime_when_none_runs_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.executors import ray_runtime

    monkeypatch.setattr(ray_runtime, "_shared", {})
    assert stop_shared_runtime() == []
