"""The simulator backend: the Backend protocol over an in-process :class:`~harness.simulator.Simulator`.

Time is virtual: ``advance`` and ``wait_until`` cost no wall time with the scripted executor (with the Ray
executor, time follows the wall clock only while real Ray work is in flight).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

from .._util.jsoncopy import deep_copy
from ..executors import ExecutorName, ExecutorSettings
from ..executors.build import build_executor
from ..journal import Journal
from ..raysim.dashboard import DashboardError
from ..sim.store import NotFound
from ..simulator import Simulator
from .base import RayJobSubmitRefused

Obj = dict[str, Any]


class SimBackend:
    name = "sim"
    virtual_time = True

    def __init__(self, kuberay_version: str = "1.7", executor: ExecutorSettings | None = None,
                 operator_env: Mapping[str, str] | None = None, feature_gates: Mapping[str, bool] | None = None,
                 seed: int = 0, simulator: Simulator | None = None) -> None:
        settings = executor or ExecutorSettings()
        self.executor_name: ExecutorName = settings.name
        self.sim = simulator or Simulator(kuberay_version, executor=build_executor(settings),
                                          operator_env=operator_env, feature_gates=feature_gates, seed=seed)
        self.kuberay_version = self.sim.profile.version

    @property
    def journal(self) -> Journal:
        return self.sim.journal

    def create_namespace(self, name: str) -> None:
        self.sim.create_namespace(name)

    def delete_namespace(self, name: str) -> None:
        # Objects of a finished scenario stay for diagnostics; a namespace is never reused within a run.
        self.sim.journal.record_action("delete namespace", namespace=name)

    def apply(self, obj: Mapping[str, Any], namespace: str) -> Obj:
        applied: Obj = deep_copy(self.sim.apply(dict(obj), namespace=namespace)[0])
        return applied

    def apply_manifests(self, source: Any, namespace: str) -> builtins.list[Obj]:
        """Apply a path, YAML text or Manifest objects with file:line validation errors."""
        return [deep_copy(o) for o in self.sim.apply(source, namespace=namespace)]

    def patch(self, kind: str, namespace: str, name: str, patch: Mapping[str, Any]) -> Obj:
        patched: Obj = deep_copy(self.sim.patch(kind, name, patch, namespace))
        return patched

    def delete(self, kind: str, namespace: str, name: str, *, wait: bool = True, timeout: float = 300.0) -> None:
        self.sim.delete(kind, name, namespace, wait=wait, timeout=timeout)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.sim.get(kind, name, namespace)

    def list(self, kind: str, namespace: str, selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        return self.sim.list(kind, namespace, selector)

    def events(self, namespace: str) -> builtins.list[Obj]:
        return self.sim.events_in(namespace)

    def pod_logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        return self.sim.pod_logs(pod, namespace, container)

    def driver_log(self, namespace: str, rayjob: str) -> str:
        return self.sim.driver_log(rayjob, namespace)

    def submit_ray_job(self, namespace: str, rayjob: str, submission_id: str, entrypoint: str | None = None) -> None:
        """A user's ``ray job submit`` to the RayJob's cluster (InteractiveMode); see SupportsRayJobSubmit."""
        try:
            self.sim.ray_job_submit(rayjob, submission_id, entrypoint, namespace)
        except DashboardError as exc:
            raise RayJobSubmitRefused(exc.message, hint=exc.hint or
                                      "submit once the RayJob's cluster is ready (jobDeploymentStatus Waiting), "
                                      "with a submission id not used before on that cluster") from None

    def now(self) -> float:
        return self.sim.now

    def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        return self.sim.run_until(condition, timeout)

    def operator_log(self) -> builtins.list[str]:
        return self.sim.operator_log

    def close(self) -> None:
        self.sim.close()


__all__ = ["NotFound", "SimBackend"]
