"""Specifications of the local Ray runtime's ownership: it starts, stops without leaks, and is cleaned up after
an owner that died (crash, SIGKILL, SIGTERM, Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import sys
import urllib.request
from pathlib import Path

import pytest
from ray_sim_support import eventually

from harness._util import procs
from harness.executors.ray_runtime import (
    ENV_MARKER,
    RayRuntime,
    get_shared_runtime,
    stop_shared_runtime,
    sweep_stale,
)

pytestmark = pytest.mark.ray

PROJECT = Path(__file__).resolve().parents[2]
OWNER_SCRIPT = """
import os, signal, sys, time
from pathlib import Path
from harness.executors.ray_runtime import RayRuntime
runtime = RayRuntime(root=Path(sys.argv[1]), reaper=sys.argv[2] == "reaper").start()
print(runtime.dir, flush=True)
if sys.argv[3] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
time.sleep(600)
"""


def marker_of(runtime_dir: Path) -> procs.Marker:
    return procs.Marker(ENV_MARKER, runtime_dir.name, f"{runtime_dir}/")


def owner_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")])}


def crashed_owner(root: Path, *, reaper: bool) -> Path:
    """Start a runtime in a child process that then dies by SIGKILL; return the runtime's directory."""
    result = procs.run([sys.executable, "-c", OWNER_SCRIPT, str(root), "reaper" if reaper else "-", "crash"],
                       env=owner_env(), cwd=PROJECT, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr
    return Path(result.stdout.strip())


def test_stopping_a_runtime_leaves_no_process_and_no_directory(short_root: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    runtime = RayRuntime(root=short_root).start()
    JobSubmissionClient(runtime.dashboard_url).submit_job(
        entrypoint="python -c 'import time; print(\"leak-check\", flush=True); time.sleep(120)'")
    assert eventually(lambda: any("leak-check" in procs.cmdline(pid) for pid in runtime.processes()))
    pids = runtime.processes()

    assert runtime.stop() == []

    assert not [pid for pid in pids if procs.pid_alive(pid)]
    assert procs.find_marked(runtime.marker) == []
    assert runtime.dir is not None and not runtime.dir.exists()


def test_sweep_stops_a_runtime_left_by_a_crashed_owner(short_root: Path) -> None:
    runtime_dir = crashed_owner(short_root, reaper=False)
    assert procs.find_marked(marker_of(runtime_dir)), "the runtime outlives its killed owner"

    assert sweep_stale(short_root) == [runtime_dir]

    assert procs.find_marked(marker_of(runtime_dir)) == []
    assert not runtime_dir.exists()


def test_the_reaper_stops_the_runtime_when_its_owner_is_killed(short_root: Path) -> None:
    runtime_dir = crashed_owner(short_root, reaper=True)
    assert eventually(lambda: not procs.find_marked(marker_of(runtime_dir)) and not runtime_dir.exists(), 30)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_owner_stops_its_runtime_before_it_exits(short_root: Path, signum: int) -> None:
    output = short_root / "owner.out"
    owner = procs.spawn([sys.executable, "-c", OWNER_SCRIPT, str(short_root), "-", "wait"], env=owner_env(),
                        cwd=PROJECT, output=output)
    try:
        line = eventually(lambda: output.read_text().strip().splitlines()[:1] if output.exists() else [], 90)
        assert line, output.read_text() if output.exists() else "no output"
        runtime_dir = Path(line[0])
        os.kill(owner.pid, signum)
        assert owner.wait(timeout=60) == -signum
    finally:
        procs.stop_group(owner.pid, grace=1.0)
    assert procs.find_marked(marker_of(runtime_dir)) == []
    assert not runtime_dir.exists()


def test_runtimes_of_one_machine_get_distinct_port_blocks(short_root: Path) -> None:
    from harness.executors.ray_runtime import BLOCK_SIZE, _reserve_ports

    first, first_lock = _reserve_ports(short_root)
    second, second_lock = _reserve_ports(short_root)
    try:
        assert abs(first.base - second.base) >= BLOCK_SIZE
    finally:
        first_lock.close()
        second_lock.close()


def test_the_runtime_keeps_ray_out_of_the_users_home(ray_runtime: RayRuntime, home_had_dot_ray: bool) -> None:
    assert ray_runtime.dir is not None
    assert Path(ray_runtime.env["HOME"]).is_relative_to(ray_runtime.dir)
    assert ray_runtime.env["RAY_AUTH_MODE"] == "disabled"
    assert (Path.home() / ".ray").exists() == home_had_dot_ray


def test_the_job_api_answers_without_a_token(ray_runtime: RayRuntime) -> None:
    with urllib.request.urlopen(f"{ray_runtime.dashboard_url}/api/jobs/", timeout=5) as response:
        assert response.status == 200
        assert isinstance(json.loads(response.read()), list)


def test_the_shared_runtime_is_one_per_process(ray_runtime: RayRuntime) -> None:
    assert get_shared_runtime() is ray_runtime
    assert ray_runtime.running


def test_stopping_the_shared_runtime_when_none_runs_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.executors import ray_runtime

    monkeypatch.setattr(ray_runtime, "_shared", {})
    assert stop_shared_runtime() == []
