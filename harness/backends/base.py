"""The Backend protocol every runner talks to, and the optional capabilities a backend may declare.

A scenario never knows which backend it is on, except by explicit ``backends:`` restrictions. The simulator
backend moves virtual time; a Kubernetes backend waits for real. Both feed the same :class:`~harness.journal.Journal`
and answer the same calls, with the same argument order: the object first (kind, name), then keyword-only
``namespace=`` (so that swapping two strings cannot type-check).

Optional capabilities are protocols of their own, reached through :attr:`Backend.capabilities`: a field is the
capability's implementation or None, so callers check ``is None`` and mypy checks that what a backend offers
really implements the protocol. A step that needs a missing capability is an error naming the backend.

Not here: which backends exist (:mod:`.registry`), how logs are found (:mod:`.logs`), the backends themselves.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol, get_args

from ..errors import HarnessError, SourcePos
from ..executors import ExecutorName, ExecutorSettings
from ..journal import Journal
from .faults import (
    ApiFaults,
    ContainerFaults,
    DashboardFaults,
    FaultCapabilityName,
    ImageFaults,
    OperatorRestart,
    SubmitterHold,
)

Obj = dict[str, Any]

LogSource = Literal["driver", "head", "submitter", "worker", "operator"]
"""Where a RayJob's log is read: the job-driver log on the head pod, the head container (``ray start``), the
submitter (K8sJobMode pod or SidecarMode container), the worker pods, or the operator's log about it."""
LOG_SOURCES: Final[tuple[LogSource, ...]] = get_args(LogSource)


class Refused(HarnessError):
    """The API server refused a request (apply, patch, delete): ``code`` and ``reason`` of its ``metav1.Status``
    (422 ``Invalid``, 400 ``BadRequest``, 404 ``NotFound``, 409 ``AlreadyExists``/``Conflict``, 500
    ``InternalError``...) and ``message``, the Status's message, the same text on every backend."""

    def __init__(self, message: str, *, code: int, reason: str, hint: str | None = None,
                 pos: SourcePos | None = None) -> None:
        super().__init__(message, hint=hint, pos=pos)
        self.code = code
        self.reason = reason


class UnsupportedByBackend(HarnessError):
    """A step needs a capability the backend does not have (e.g. ``ray_job_submit`` on a backend without it)."""


class RayJobSubmitRefused(HarnessError):
    """A user's ``ray job submit`` did not go through: the dashboard is not serving, or the id is taken."""


class ScenarioNotRunnable(HarnessError):
    """The backend's target cannot do what a scenario needs (scripted Ray jobs, operator settings, a simulator
    control) and has no way to: the scenario is skipped with this reason, not failed."""


class LogUnavailable(HarnessError):
    """A log source cannot be read now: no cluster yet, pod gone, a submission mode without a submitter."""


@dataclass(frozen=True)
class Log:
    """A log as read: what it is (for messages, e.g. "submitter log of RayJob/demo"), its text, and a note on
    where it came from when that is not the live source (e.g. a copy captured before the pod was deleted)."""

    subject: str
    text: str
    note: str = ""


class Backend(Protocol):
    """Where scenarios run. Every method is required; optional ones are in :class:`Capabilities`."""

    name: str  # as registered: "sim", later "kube"
    kuberay_version: str  # the release the backend runs, e.g. "1.7.0"
    executor_name: ExecutorName  # "scripted", "ray", or "cluster" for a real cluster
    virtual_time: bool  # True when advance() costs no wall time

    @property
    def journal(self) -> Journal: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def create_namespace(self, name: str) -> None: ...

    def delete_namespace(self, name: str) -> None: ...

    def apply(self, obj: Mapping[str, Any], *, namespace: str) -> Obj:
        """Create, or merge onto the existing object (``kubectl apply`` semantics for the fields given).
        Raises :class:`Refused` when the API server refuses it (as :meth:`patch` and :meth:`delete` do)."""
        ...

    def apply_manifests(self, source: str | Path, *, namespace: str | None = None) -> builtins.list[Obj]:
        """``kubectl apply -f``: a YAML file or folder, validated as the API server would (ManifestError with
        file:line for what it refuses); ``namespace`` None keeps each manifest's own (else ``default``)."""
        ...

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], *, namespace: str,
              subresource: Literal["status"] | None = None) -> Obj:
        """RFC 7386 merge patch on the main resource, or on its ``status`` subresource (``kubectl patch
        --subresource=status``). A write to the main resource leaves ``status`` as it is, and a write to
        ``status`` leaves everything else, as the API server does for kinds with a status subresource."""
        ...

    def delete(self, kind: str, name: str, *, namespace: str, wait: bool = True, timeout: float = 300.0) -> None:
        """Delete (background propagation), as ``kubectl delete``: by default return only once the object is
        gone, raising DeletionTimeout after ``timeout`` seconds; ``wait=False`` returns once it is requested."""
        ...

    def get(self, kind: str, name: str, *, namespace: str) -> Obj | None: ...

    def list(self, kind: str, *, namespace: str | None,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        """Objects of ``kind`` matching ``selector`` in ``namespace`` (None: every namespace), by name."""
        ...

    def events(self, *, namespace: str) -> builtins.list[Obj]:
        """core/v1 Events in the namespace, oldest first."""
        ...

    def pod_logs(self, pod: str, *, namespace: str, container: str | None = None) -> str:
        """``kubectl logs <pod> [-c container]``."""
        ...

    def driver_log(self, rayjob: str, *, namespace: str) -> str:
        """``/tmp/ray/session_latest/logs/job-driver-<status.jobId>.log`` on the RayJob's head pod."""
        ...

    def operator_log(self, *, namespace: str, objects: Sequence[tuple[str, str]] | None = None) -> builtins.list[str]:
        """The KubeRay operator's log lines about ``objects`` ((kind, name) pairs) in ``namespace``, or about
        anything in it when ``objects`` is None; oldest first. Each backend knows its operator's log format."""
        ...

    def logs(self, *, namespace: str, source: LogSource, rayjob: str | None = None, raycluster: str | None = None,
             container: str | None = None) -> Log:
        """The log of a RayJob (or RayCluster, for head, worker and operator) from ``source``; raises
        LogUnavailable when it cannot be read now. Every backend answers through :func:`.logs.read_log`."""
        ...

    def warnings(self) -> builtins.list[str]:
        """Warnings reported so far (API-server warnings on apply, executor notes), each once."""
        ...

    def now(self) -> float:
        """Seconds since the backend started (virtual on the simulator)."""
        ...

    def advance(self, seconds: float) -> None:
        """Let time pass: virtual on the simulator, a real wait on a cluster."""
        ...

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run until ``condition()`` holds (True) or ``timeout`` seconds pass (False); ``condition`` is checked
        first. On a virtual-time backend the instant where it returns is run to its end before returning, so
        that a check right after sees that instant's state settled, as it would be by then on a real cluster."""
        ...

    def close(self) -> None: ...


# -- optional capabilities -----------------------------------------------------------------------------------------


class RayJobSubmit(Protocol):
    """A user's ``ray job submit --submission-id ID`` to a RayJob's cluster (InteractiveMode)."""

    def submit_ray_job(self, rayjob: str, submission_id: str, entrypoint: str | None = None, *,
                       namespace: str) -> None:
        """Submit to the dashboard of the RayJob's current RayCluster; ``entrypoint`` None means the RayJob's
        ``spec.entrypoint``. Raises :class:`RayJobSubmitRefused` when the dashboard does not accept the job."""
        ...


@dataclass(frozen=True)
class CapturedDriverLog:
    """A driver log as it was when the head pod that held it went away."""

    text: str
    submission_id: str
    pod: str  # the head pod the log was on
    cluster: str  # its RayCluster
    at: float  # backend time (seconds since start) when the pod's Ray head stopped
    pod_deleted: bool  # True: the pod was deleted (TTL, deletion rules...); False: its Ray container stopped


class DriverLogCapture(Protocol):
    """Keeps the driver log of a head pod's jobs when the pod goes away.

    On a real cluster the log file dies with the head pod (the submitter's log, which streamed it, is what remains);
    only a backend that owns the pods, such as the simulator, can keep a copy. Readers must mark it as such.
    """

    def captured_driver_log(self, rayjob: str, *, namespace: str) -> CapturedDriverLog | None:
        """The driver log of the RayJob's job (``status.jobId``; the last one submitted for it when the RayJob is
        gone) as captured when its head stopped, or None when no stopped head held it."""
        ...


class Settle(Protocol):
    """Run until every RayJob is settled: terminal with its cleanup done, ValidationFailed, or Suspended."""

    def settle(self, timeout: float) -> bool:
        """True once settled; False if ``timeout`` seconds ran out first."""
        ...


CapabilityName = Literal["ray_job_submit", "settle", "driver_log_capture", FaultCapabilityName]
CAPABILITY_NAMES: Final[tuple[CapabilityName, ...]] = ("ray_job_submit", "settle", "driver_log_capture",
                                                      *get_args(FaultCapabilityName))


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond the protocol: each field is an implementation, or None. The field names
    are the capability names a registry entry declares (:data:`CAPABILITY_NAMES`)."""

    ray_job_submit: RayJobSubmit | None = None
    settle: Settle | None = None
    driver_log_capture: DriverLogCapture | None = None
    kill_container: ContainerFaults | None = None
    dashboard_answers: DashboardFaults | None = None
    fail_next: ApiFaults | None = None
    hold_submitter: SubmitterHold | None = None
    unpullable_image: ImageFaults | None = None
    restart_operator: OperatorRestart | None = None

    @property
    def names(self) -> frozenset[CapabilityName]:
        """The capabilities present, by name (as a registry entry declares them)."""
        return frozenset(name for name in CAPABILITY_NAMES if getattr(self, name) is not None)


# -- making a backend ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendSettings:
    """What a backend is made with; each backend uses what applies to it and refuses what it cannot honour."""

    kuberay_version: str | None = None  # None: the backend's default release
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    operator_env: Mapping[str, str] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    seed: int = 0  # generated names (simulator)
    wall_clock_timestamps: bool = False  # object timestamps start at today instead of a fixed origin (simulator)
    on_warning: Callable[[str], None] | None = None  # told each warning as it is reported
    kubeconfig: Path | None = None  # the API server to use (Kubernetes backend); None: as kubectl would
    context: str | None = None  # the kubeconfig's context (Kubernetes backend); None: its current one
    keep_namespaces: bool = False  # leave the namespaces the backend created when it closes


class BackendFactory(Protocol):
    """What a backend module offers the registry."""

    def create(self, settings: BackendSettings) -> Backend:
        """A fresh backend; InputError for settings it cannot honour."""
        ...

    def operator_problems(self, env: Mapping[str, str],
                          feature_gates: Mapping[str, bool]) -> list[tuple[str, str]]:
        """Why these operator settings cannot be honoured: (env var or gate name, one sentence) per problem."""
        ...

    def check_target(self, settings: BackendSettings) -> None:
        """InputError when the settings cannot lead anywhere (a kubeconfig that cannot be read, a context that is
        not there, a server that does not answer, a flag that does not apply), before any scenario runs."""
        ...
