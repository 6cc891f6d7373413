"""The simulator backend: the Backend protocol over an in-process :class:`~harness.simulator.Simulator`.

Time is virtual: ``advance`` and ``wait_until`` cost no wall time with the scripted executor (with the Ray
executor, time follows the wall clock only while real Ray work is in flight). Capabilities: a user's
``ray job submit`` (InteractiveMode), settling (run until every RayJob is done), a copy of each driver log
kept when its head pod goes away (which no real cluster offers), and every fault (:mod:`.faults`): killed
containers, a dashboard that answers the operator an error, "not found" or a chosen job status, refused
creates and deletes, a held submitter Job, unpullable images and operator restarts with other settings.

Not here: the simulated world itself (``harness.simulator`` and below); where logs are (:mod:`.logs`).
"""

from __future__ import annotations

import builtins
import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from .._util.jsoncopy import deep_copy
from ..errors import InputError, ManifestRefused
from ..executors import ExecutorName
from ..executors.build import build_executor
from ..journal import Journal
from ..kuberay.profile import DEFAULT_RELEASE, operator_problems
from ..model.enums import JobStatus
from ..raysim.dashboard import DashboardError
from ..raysim.faults import JobInfoFault
from ..sim.store import ApiError, NotFound
from ..simulator import Simulator, wall_clock_origin
from .base import BackendSettings, Capabilities, CapturedDriverLog, Log, LogSource, RayJobSubmitRefused, Refused
from .faults import DashboardAnswer, FaultNotApplicable, Verb
from .logs import read_log

Obj = dict[str, Any]


class SimBackend:
    """A fresh simulated cluster running the KubeRay release of ``settings`` (or over a given ``simulator``)."""

    name = "sim"
    virtual_time = True

    def __init__(self, settings: BackendSettings | None = None, *, simulator: Simulator | None = None) -> None:
        settings = settings or BackendSettings()
        _refuse_a_target(settings)
        self.executor_name: ExecutorName = settings.executor.name
        if simulator is None:
            origin = wall_clock_origin() if settings.wall_clock_timestamps else None
            simulator = Simulator(settings.kuberay_version or DEFAULT_RELEASE,
                                  executor=build_executor(settings.executor), operator_env=settings.operator_env,
                                  feature_gates=settings.feature_gates, seed=settings.seed, origin=origin,
                                  on_warning=settings.on_warning)
        else:
            self.executor_name = "ray" if simulator.executor.name == "ray" else "scripted"
        self.sim = simulator
        self.kuberay_version = self.sim.profile.version
        self._capabilities = Capabilities(ray_job_submit=self, settle=self, driver_log_capture=self,
                                          kill_container=self, dashboard_answers=self, fail_next=self,
                                          hold_submitter=self, unpullable_image=self, restart_operator=self)

    @property
    def journal(self) -> Journal:
        return self.sim.journal

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def create_namespace(self, name: str) -> None:
        self.sim.create_namespace(name)

    def delete_namespace(self, name: str) -> None:
        # Objects of a finished scenario stay for diagnostics; a namespace is never reused within a run.
        self.sim.journal.record_action("delete namespace", namespace=name)

    def apply(self, obj: Mapping[str, Any], *, namespace: str) -> Obj:
        with _refusals():
            applied: Obj = deep_copy(self.sim.apply(dict(obj), namespace=namespace)[0])
        return applied

    def apply_manifests(self, source: str | Path, *, namespace: str | None = None) -> builtins.list[Obj]:
        return [deep_copy(o) for o in self.sim.apply(Path(source), namespace=namespace)]

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], *, namespace: str,
              subresource: Literal["status"] | None = None) -> Obj:
        with _refusals():
            patched: Obj = deep_copy(self.sim.patch(kind, name, patch, namespace=namespace, subresource=subresource))
        return patched

    def delete(self, kind: str, name: str, *, namespace: str, wait: bool = True, timeout: float = 300.0) -> None:
        with _refusals():
            self.sim.delete(kind, name, namespace=namespace, wait=wait, timeout=timeout)

    def get(self, kind: str, name: str, *, namespace: str) -> Obj | None:
        return self.sim.get(kind, name, namespace=namespace)

    def list(self, kind: str, *, namespace: str | None,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        return self.sim.list(kind, namespace=namespace, selector=selector)

    def events(self, *, namespace: str) -> builtins.list[Obj]:
        return self.sim.events_in(namespace=namespace)

    def pod_logs(self, pod: str, *, namespace: str, container: str | None = None) -> str:
        return self.sim.pod_logs(pod, namespace=namespace, container=container)

    def driver_log(self, rayjob: str, *, namespace: str) -> str:
        return self.sim.driver_log(rayjob, namespace=namespace)

    def operator_log(self, *, namespace: str, objects: Sequence[tuple[str, str]] | None = None) -> builtins.list[str]:
        # The simulated controllers log "<t> RayJob <ns>/<name> ..." and "<t> RayCluster <ns>/<name>: ...".
        if objects is None:
            about = re.compile(rf"\b(RayJob|RayCluster) {re.escape(namespace)}/")
        else:
            names = "|".join(f"{re.escape(kind)} {re.escape(namespace)}/{re.escape(name)}" for kind, name in objects)
            about = re.compile(rf"\b(?:{names})(?=[\s:]|$)")
        return [line for line in self.sim.operator_log if about.search(line)]

    def captured_driver_log(self, rayjob: str, *, namespace: str) -> CapturedDriverLog | None:
        """See DriverLogCapture: the simulator keeps each stopped head's job table, driver logs included."""
        found = self.sim.stopped_head_with_job(rayjob, namespace=namespace)
        if found is None:
            return None
        dashboard, record = found
        assert dashboard.gone_at is not None
        pod = str(((dashboard.cluster.head_pod or {}).get("metadata") or {}).get("name", ""))
        return CapturedDriverLog(text="".join(line + "\n" for line in record.driver_log),
                                 submission_id=record.submission_id, pod=pod, cluster=dashboard.cluster.name,
                                 at=dashboard.gone_at, pod_deleted=self.sim.pod_deleted(pod, namespace=namespace))

    def logs(self, *, namespace: str, source: LogSource, rayjob: str | None = None, raycluster: str | None = None,
             container: str | None = None) -> Log:
        return read_log(self, namespace=namespace, source=source, rayjob=rayjob, raycluster=raycluster,
                        container=container)

    def warnings(self) -> builtins.list[str]:
        return self.sim.executor_warnings()

    def submit_ray_job(self, rayjob: str, submission_id: str, entrypoint: str | None = None, *,
                       namespace: str) -> None:
        """A user's ``ray job submit`` to the RayJob's cluster (InteractiveMode); see RayJobSubmit."""
        try:
            self.sim.ray_job_submit(rayjob, submission_id, entrypoint, namespace=namespace)
        except DashboardError as exc:
            raise RayJobSubmitRefused(exc.message, hint=exc.hint or
                                      "submit once the RayJob's cluster is ready (jobDeploymentStatus Waiting), "
                                      "with a submission id not used before on that cluster") from None

    def settle(self, timeout: float) -> bool:
        return self.sim.settle(timeout)

    # -- faults ----------------------------------------------------------------------------------------------------

    def kill_container(self, pod: str, container: str | None = None, *, namespace: str, exit_code: int = 137,
                       reason: str = "Error") -> None:
        try:
            self.sim.kill_container(pod, container, namespace=namespace, exit_code=exit_code, reason=reason)
        except ApiError as exc:
            raise FaultNotApplicable(f"cannot kill a container of pod {pod}: {exc.message}",
                                     hint="kill a container while it runs (wait for the pod to be Running)") from None

    def answer_job_info(self, raycluster: str, answer: DashboardAnswer | None, *, namespace: str) -> None:
        fault = None if answer is None else JobInfoFault(
            answer.answer, JobStatus(answer.job_status) if answer.job_status is not None else None, answer.message)
        self.sim.answer_job_info(raycluster, fault, namespace=namespace)

    def fail_next(self, verb: Verb, kind: str, *, namespace: str, times: int = 1, reason: str = "InternalError",
                  message: str = "") -> None:
        self.sim.fail_next(verb, kind, namespace=namespace, times=times, reason=reason, message=message)

    def hold_submitter(self, rayjob: str, *, namespace: str, held: bool = True) -> None:
        self.sim.hold_submitter(rayjob, namespace=namespace, held=held)

    def make_image_unpullable(self, image: str, *, reason: str = "not found") -> None:
        self.sim.make_image_unpullable(image, reason=reason)

    def make_image_pullable(self, image: str) -> None:
        self.sim.make_image_pullable(image)

    def restart_operator(self, *, env: Mapping[str, str | None], feature_gates: Mapping[str, bool | None]) -> None:
        current_env = {**self.sim.config.env}
        current_gates = {**self.sim.config.feature_gates}
        for name, value in env.items():
            if value is None:
                current_env.pop(name, None)
            else:
                current_env[name] = value
        for gate, enabled in feature_gates.items():
            if enabled is None:
                current_gates.pop(gate, None)
            else:
                current_gates[gate] = enabled
        self.sim.restart_operator(operator_env=current_env, feature_gates=current_gates)

    def now(self) -> float:
        return self.sim.now

    def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        held = self.sim.run_until(condition, timeout)
        # The condition may hold half-way through an instant; what that instant's remaining events (the
        # reconciles a write triggered) do belongs to it, so the next step sees the instant settled.
        self.sim.finish_instant()
        return held

    def close(self) -> None:
        self.sim.close()


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """What the simulated API server refuses, as the Backend protocol says it: :class:`Refused`."""
    try:
        yield
    except ManifestRefused as exc:
        raise Refused(exc.status_message, code=exc.code, reason=exc.reason, hint=exc.hint, pos=exc.pos) from None
    except ApiError as exc:
        raise Refused(exc.message, code=exc.code, reason=exc.reason, hint=exc.hint) from None


class _Factory:
    """The registry's way into this module."""

    def create(self, settings: BackendSettings) -> SimBackend:
        return SimBackend(settings)

    def operator_problems(self, env: Mapping[str, str],
                          feature_gates: Mapping[str, bool]) -> builtins.list[tuple[str, str]]:
        return operator_problems(env, feature_gates)

    def check_target(self, settings: BackendSettings) -> None:
        _refuse_a_target(settings)


def _refuse_a_target(settings: BackendSettings) -> None:
    """A kubeconfig or context names an API server; the simulator is in-process and would ignore them."""
    flags = [flag for flag, value in (("--kubeconfig", settings.kubeconfig), ("--context", settings.context))
             if value is not None]
    if flags:
        raise InputError(f"{' and '.join(flags)} name a Kubernetes API server; backend=sim is in-process",
                         hint="add --backend kube to run against that server, or leave the flag out")


FACTORY = _Factory()

__all__ = ["FACTORY", "NotFound", "SimBackend"]
