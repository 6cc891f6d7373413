"""Faults a scenario injects, on the simulator's server: its ``faults`` control and its operator restart.

The same capabilities as the in-process simulator's (:mod:`harness.backends.faults`): kill a container, make a
RayCluster's dashboard answer the operator's job-status query as told, fail the next create or delete of a kind,
hold a submitter Job, make an image unpullable, restart the operator with other settings. Each is journaled as
the in-process simulator journals it (same action, same detail), then sent to the server, and returns once the
watches have delivered whatever the fault changed at once. A cluster has none of them: the backend offers them
only where it found the simulator's controls.

Not here: the controls' requests (:mod:`.controls`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...errors import InputError
from ..faults import DashboardAnswer, FaultNotApplicable, Verb
from .controls import ControlsRefused, SimulatorControls
from .resources import known

Record = Callable[..., None]


def describe_settings(env: Mapping[str, str], gates: Mapping[str, bool]) -> str:
    """An operator's settings as the in-process simulator's journal describes a restart."""
    parts = [f"{name}={value}" for name, value in sorted(env.items())]
    parts += [f"--feature-gates {name}={str(value).lower()}" for name, value in sorted(gates.items())]
    return ", ".join(parts) or "defaults"


class ServerFaults:
    """Every fault capability, through the server's controls. ``env``/``feature_gates``: the operator's own
    settings as the scenario set them (to describe a restart as in-process)."""

    def __init__(self, controls: SimulatorControls, record: Record, deliver: Callable[[], None], *,
                 env: Mapping[str, str], feature_gates: Mapping[str, bool]) -> None:
        self._controls = controls
        self._record = record
        self._deliver = deliver
        self._env = dict(env)
        self._gates = dict(feature_gates)
        self._unpullable: set[str] = set()  # images are the server's, not the namespace's
        self.restarted = False  # the operator was restarted with other settings (to be given back)

    def undo(self) -> None:
        """Give the server back what outlives the scenario's namespace: images made unpullable. (Faults about the
        namespace's own objects go with it; the operator's settings are the backend's to give back.)"""
        for image in sorted(self._unpullable):
            self._controls.inject("image", {"image": image, "pullable": True})
        self._unpullable.clear()

    def _inject(self, fault: str, spec: Mapping[str, Any]) -> None:
        try:
            self._controls.inject(fault, spec)
        except ControlsRefused as exc:
            raise InputError(f"the server refused the fault: {exc.message}") from None
        self._deliver()

    def kill_container(self, pod: str, container: str | None = None, *, namespace: str, exit_code: int = 137,
                       reason: str = "Error") -> None:
        self._record("kill container", kind="Pod", namespace=namespace, name=pod,
                     detail=f"{container or '(first container)'} exit code {exit_code} ({reason})")
        spec: dict[str, Any] = {"namespace": namespace, "pod": pod, "exitCode": exit_code, "reason": reason}
        if container is not None:
            spec["container"] = container
        try:
            self._controls.inject("killContainer", spec)
        except ControlsRefused as exc:
            raise FaultNotApplicable(f"cannot kill a container of pod {pod}: {exc.message}",
                                     hint="kill a container while it runs (wait for the pod to be Running)") from None
        self._deliver()

    def answer_job_info(self, raycluster: str, answer: DashboardAnswer | None, *, namespace: str) -> None:
        self._record("dashboard answers", kind="RayCluster", namespace=namespace, name=raycluster,
                     detail="normally" if answer is None else answer.job_status or answer.answer)
        spec: dict[str, Any] = {"namespace": namespace, "rayCluster": raycluster,
                                "answer": "truth" if answer is None else answer.answer}
        if answer is not None and answer.job_status is not None:
            spec["jobStatus"] = answer.job_status
        if answer is not None and answer.message is not None:
            spec["message"] = answer.message
        self._inject("dashboardAnswer", spec)

    def fail_next(self, verb: Verb, kind: str, *, namespace: str, times: int = 1, reason: str = "InternalError",
                  message: str = "") -> None:
        self._record(f"fail next {verb}", kind=known(kind).kind, namespace=namespace, detail=f"{times}x {reason}")
        self._inject("failNext", {"verb": verb, "kind": known(kind).kind, "namespace": namespace, "times": times,
                                  "reason": reason, "message": message})

    def hold_submitter(self, rayjob: str, *, namespace: str, held: bool = True) -> None:
        self._record("hold submitter" if held else "release submitter", kind="Job", namespace=namespace,
                     name=rayjob)
        self._inject("holdSubmitter", {"namespace": namespace, "rayJob": rayjob, "held": held})

    def make_image_unpullable(self, image: str, *, reason: str = "not found") -> None:
        self._record("image unpullable", detail=image)
        self._inject("image", {"image": image, "pullable": False, "reason": reason})
        self._unpullable.add(image)

    def make_image_pullable(self, image: str) -> None:
        self._record("image pullable", detail=image)
        self._inject("image", {"image": image, "pullable": True})
        self._unpullable.discard(image)

    def restart_operator(self, *, env: Mapping[str, str | None], feature_gates: Mapping[str, bool | None]) -> None:
        new_env, new_gates = dict(self._env), dict(self._gates)
        for target, changes in ((new_env, env), (new_gates, feature_gates)):
            for key, value in changes.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value  # type: ignore[assignment]
        try:
            self._controls.restart_operator(env, feature_gates)
        except ControlsRefused as exc:
            raise InputError(f"the server refused to restart the operator so: {exc.message}") from None
        self._record("restart operator", detail=describe_settings(new_env, new_gates))
        self._env, self._gates = new_env, new_gates
        self.restarted = True
        self._deliver()
