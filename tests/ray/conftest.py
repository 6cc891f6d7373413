"""Fixtures for the real-Ray specifications: one shared runtime per session (per xdist worker), and a small
driver that runs simulated dashboards over the ``ray`` executor under the virtual clock's wall-clock pacing.

Tests that need a runtime of their own (start/stop, crash recovery) start it in a short private root, so that
their sweeps never see another worker's runtimes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ray_sim_support import RaySim

from harness.executors.ray_executor import RayExecutor
from harness.executors.ray_runtime import RayRuntime, get_shared_runtime, ray_installed, stop_shared_runtime

# Without Ray (pip install 'rayjob-harness[ray]') only the specifications that need no runtime are collected.
collect_ignore = [] if ray_installed() else [
    "test_ray_runtime.py", "test_ray_executor.py", "test_ray_runtime_access.py", "test_ray_signals.py"]


@pytest.fixture(scope="session")
def home_had_dot_ray() -> bool:
    """Whether ``~/.ray`` existed before this session started a runtime (it must not appear because of us)."""
    return (Path.home() / ".ray").exists()


@pytest.fixture(scope="session")
def ray_runtime(home_had_dot_ray: bool) -> Iterator[RayRuntime]:
    if not ray_installed():
        pytest.skip("needs Ray, which is not installed here: pip install 'rayjob-harness[ray]'")
    runtime = get_shared_runtime()
    yield runtime
    assert stop_shared_runtime() == []


@pytest.fixture
def short_root() -> Iterator[Path]:
    """A private runtime root short enough for Ray's socket paths (pytest's tmp_path is too long)."""
    root = Path(tempfile.mkdtemp(prefix="rjt", dir="/tmp"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def ray_sim(ray_runtime: RayRuntime) -> Iterator[RaySim]:
    executor = RayExecutor(ray_runtime)
    yield RaySim(executor)
    executor.close()


@pytest.fixture
def make_sim(ray_runtime: RayRuntime) -> Iterator[Callable[..., RaySim]]:
    """A RaySim over an executor built with the given RayExecutor options (path_map, configmap_lookup, ...)."""
    made: list[RayExecutor] = []

    def make(**options: Any) -> RaySim:
        made.append(RayExecutor(ray_runtime, **options))
        return RaySim(made[-1])

    yield make
    for executor in made:
        executor.close()
