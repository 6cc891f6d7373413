"""Fixtures for the KubeRay behaviour specification: a fresh simulator per test, and journal readers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.simulator import Simulator


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    """Build simulators with a scripted executor; every one is closed at the end of the test."""
    made: list[Simulator] = []

    def build(*, runtime: float = 5.0, exit_code: int = 0, stopped: bool = False, output: tuple[str, ...] = (),
              **kwargs: Any) -> Simulator:
        executor = kwargs.pop("executor", None) or ScriptedExecutor(
            JobScript(runtime=runtime, exit_code=exit_code, stopped=stopped, output=output))
        sim = Simulator("1.7", executor=executor, **kwargs)
        made.append(sim)
        return sim

    yield build
    for sim in made:
        sim.close()


@pytest.fixture
def sim(make_sim: Callable[..., Simulator]) -> Simulator:
    return make_sim()


def deployment_states(sim: Simulator, name: str = "demo", namespace: str = "default") -> list[str]:
    """Every jobDeploymentStatus the RayJob went through, in order; the empty New state reads as "New"."""
    values = sim.journal.values("status.jobDeploymentStatus", kind="RayJob", namespace=namespace, name=name,
                                include_initial=True)
    return [v or "New" for _, v in values]


def job_states(sim: Simulator, name: str = "demo", namespace: str = "default") -> list[str]:
    values = sim.journal.values("status.jobStatus", kind="RayJob", namespace=namespace, name=name,
                                include_initial=True)
    return [v or "New" for _, v in values]


def time_of(sim: Simulator, path: str, value: Any, *, kind: str = "RayJob", name: str = "demo",
            namespace: str = "default") -> float:
    """Virtual time at which ``path`` first took ``value``."""
    for t, v in sim.journal.values(path, kind=kind, namespace=namespace, name=name, include_initial=True):
        if v == value:
            return t
    raise AssertionError(f"{kind}/{name} never had {path}={value!r}")


def status(sim: Simulator, name: str = "demo", namespace: str = "default") -> dict[str, Any]:
    raw = sim.get("RayJob", name, namespace=namespace)
    assert raw is not None, f"RayJob {namespace}/{name} does not exist"
    return dict(raw.get("status") or {})


def reached(sim: Simulator, state: str, name: str = "demo", timeout: float = 3600) -> bool:
    return sim.run_until(lambda: sim.deployment_status(name) == state, timeout)
