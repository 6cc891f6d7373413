"""The simulator's own controls, as ``rayjob-harness serve`` offers them: the API group
``simulator.rayjob-harness.io/v1alpha1`` (docs/serve.md is its reference).

A real cluster does not serve the group; :func:`find_controls` asking discovery for it is how the backend tells the
simulator's server from a cluster. Through it the backend reads and moves virtual time (``clocks/virtual``:
its pacing, ``now``, when the next timer is due, ``advance``), sets the scripted executor's behaviour
(``jobscripts/default``), reads and restarts the simulated operator with its release, environment, feature gates
and executor (``operators/kuberay``), and injects faults (``faults``).

Not here: stepping time so that a wait sees every change (:mod:`.clock`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ...executors.settings import JobScript, JobScripts
from .api import KubeApi
from .transport import ApiError

Obj = dict[str, Any]

GROUP: Final = "simulator.rayjob-harness.io"
VERSION: Final = "v1alpha1"
PREFIX: Final = f"/apis/{GROUP}/{VERSION}"
CLOCK: Final = f"{PREFIX}/clocks/virtual"
ADVANCE_TIMEOUT: Final = 3600.0  # wall seconds one advance may take (real Ray work holds virtual time back)


@dataclass(frozen=True)
class ClockState:
    now: float  # virtual seconds since the server's simulator started
    pacing: str  # "WallClock" or "Manual"
    next_timer_in: float | None  # virtual seconds until the next timer is due; None when none is pending

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> ClockState:
        status = obj.get("status") or {}
        nxt = status.get("nextTimerIn")
        return cls(now=float(status.get("now", 0.0)), pacing=str((obj.get("spec") or {}).get("pacing", "")),
                   next_timer_in=float(nxt) if nxt is not None else None)


@dataclass(frozen=True)
class OperatorState:
    version: str  # "1.7.0"
    env: Mapping[str, str]
    feature_gates: Mapping[str, bool]
    executor: str  # "scripted" or "ray"


class ControlsRefused(Exception):
    """The server refused a control (a message saying why, e.g. job scripts on a server running real Ray)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def find_controls(api: KubeApi) -> SimulatorControls | None:
    """The controls of the simulator's server, or None when the server is a cluster (no such group)."""
    document = api.discovery(PREFIX)
    if not document:
        return None
    names = {str(item.get("name", "")) for item in document.get("resources") or []}
    if not {"clocks", "clocks/advance"} <= names:
        return None
    return SimulatorControls(api)


class SimulatorControls:
    def __init__(self, api: KubeApi) -> None:
        self.api = api

    def _request(self, method: str, path: str, body: Any = None, *, timeout: float = 60.0,
                 content_type: str | None = None) -> Obj:
        try:
            found: Obj = self.api.transport.request(method, path, body=body, timeout=timeout,
                                                    content_type=content_type).json()
        except ApiError as exc:
            if exc.code in (405, 409, 422):
                raise ControlsRefused(exc.message) from None
            raise
        return found

    # -- time ------------------------------------------------------------------------------------------------------

    def clock(self) -> ClockState:
        return ClockState.from_object(self._request("GET", CLOCK))

    def set_pacing(self, pacing: str) -> ClockState:
        return ClockState.from_object(self._request("PATCH", CLOCK, {"spec": {"pacing": pacing}},
                                                    content_type="application/merge-patch+json"))

    def advance(self, seconds: float) -> ClockState:
        return ClockState.from_object(self._request("POST", f"{CLOCK}/advance", {"seconds": max(seconds, 0.0)},
                                                     timeout=ADVANCE_TIMEOUT))

    # -- the operator and the executor ----------------------------------------------------------------------------

    def operator(self) -> OperatorState:
        spec = self._request("GET", f"{PREFIX}/operators/kuberay").get("spec") or {}
        return OperatorState(version=str(spec.get("version", "")), env=dict(spec.get("env") or {}),
                             feature_gates={str(k): bool(v) for k, v in (spec.get("featureGates") or {}).items()},
                             executor=str(spec.get("executor", "")))

    def restart_operator(self, env: Mapping[str, str | None], feature_gates: Mapping[str, bool | None]) -> None:
        """Restart the simulated operator with these changes (None removes a variable, or returns a gate to its
        default); ControlsRefused for a setting the simulator does not model."""
        self._request("PATCH", f"{PREFIX}/operators/kuberay",
                      {"spec": {"env": dict(env), "featureGates": dict(feature_gates)}},
                      content_type="application/merge-patch+json")

    def replace_operator(self, env: Mapping[str, str], feature_gates: Mapping[str, bool]) -> None:
        """Restart the simulated operator with exactly this environment and these gates."""
        self._request("PUT", f"{PREFIX}/operators/kuberay", {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "Operator", "metadata": {"name": "kuberay"},
            "spec": {"env": dict(env), "featureGates": dict(feature_gates)}})

    def inject(self, fault: str, spec: Mapping[str, Any]) -> None:
        """Inject one fault at once (``killContainer``, ``dashboardAnswer``, ``failNext``, ``holdSubmitter``,
        ``image``); ControlsRefused when it cannot be (a container not running, bad input)."""
        self._request("POST", f"{PREFIX}/faults", {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Fault",
                                                   "spec": {fault: dict(spec)}})

    def job_scripts(self) -> Obj:
        return self._request("GET", f"{PREFIX}/jobscripts/default")

    def put_job_scripts(self, scripts: JobScripts) -> None:
        """Replace the scripted executor's behaviour; ControlsRefused when the server cannot take it."""
        self._request("PUT", f"{PREFIX}/jobscripts/default", job_scripts_object(scripts))

    def restore_job_scripts(self, saved: Mapping[str, Any]) -> None:
        self._request("PUT", f"{PREFIX}/jobscripts/default", dict(saved))


def _script(script: JobScript) -> Obj:
    out: Obj = {"runtime": script.runtime, "exitCode": script.exit_code, "output": list(script.output),
                "stopped": script.stopped, "startup": script.startup}
    if script.attempts:
        out["attempts"] = [_script(attempt) for attempt in script.attempts]
    return out


def job_scripts_object(scripts: JobScripts) -> Obj:
    """The ``JobScripts`` control object for ``scripts`` (only what is declared is sent)."""
    spec: Obj = {}
    if scripts.default is not None:
        spec["default"] = _script(scripts.default)
    for key, table in (("byRayJob", scripts.by_rayjob), ("byEntrypoint", scripts.by_entrypoint),
                       ("bySubmissionId", scripts.by_submission_id)):
        if table:
            spec[key] = {name: _script(script) for name, script in table.items()}
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "JobScripts", "metadata": {"name": "default"}, "spec": spec}
