"""The Backend protocol every runner talks to, and the optional capabilities a backend may add.

A scenario never knows which backend it is on, except by explicit ``backends:`` restrictions. The simulator
backend moves virtual time; a Kubernetes backend waits for real. Both feed the same :class:`Journal`.

Optional capabilities are protocols of their own (:class:`SupportsRayJobSubmit`), checked with ``isinstance``
when a step needs one; a backend without it makes that step an error naming the backend.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ..errors import HarnessError
from ..executors import ExecutorName
from ..journal import Journal


class UnsupportedByBackend(HarnessError):
    """A step needs a capability the backend does not have (e.g. ``ray_job_submit`` on a backend without it)."""


class RayJobSubmitRefused(HarnessError):
    """A user's ``ray job submit`` did not go through: the dashboard is not serving, or the id is taken."""

Obj = dict[str, Any]


class Backend(Protocol):
    name: str  # "sim" or "kube"
    kuberay_version: str
    executor_name: ExecutorName  # "scripted", "ray", or "cluster" for a real cluster
    virtual_time: bool  # True when advance() costs no wall time

    @property
    def journal(self) -> Journal: ...

    def create_namespace(self, name: str) -> None: ...

    def delete_namespace(self, name: str) -> None: ...

    def apply(self, obj: Mapping[str, Any], namespace: str) -> Obj:
        """Create, or merge onto the existing object (``kubectl apply`` semantics for the fields given)."""
        ...

    def patch(self, kind: str, namespace: str, name: str, patch: Mapping[str, Any]) -> Obj:
        """RFC 7386 merge patch on the main resource."""
        ...

    def delete(self, kind: str, namespace: str, name: str, *, wait: bool = True, timeout: float = 300.0) -> None:
        """Delete (background propagation); with ``wait``, return only once the object is gone."""
        ...

    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...

    def list(self, kind: str, namespace: str,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]: ...

    def events(self, namespace: str) -> builtins.list[Obj]:
        """core/v1 Events in the namespace, oldest first."""
        ...

    def pod_logs(self, namespace: str, pod: str, container: str | None = None) -> str: ...

    def driver_log(self, namespace: str, rayjob: str) -> str:
        """``/tmp/ray/session_latest/logs/job-driver-<status.jobId>.log`` on the RayJob's head pod."""
        ...

    def now(self) -> float:
        """Seconds since the backend started (virtual on the simulator)."""
        ...

    def advance(self, seconds: float) -> None:
        """Let time pass: virtual on the simulator, a real wait on a cluster."""
        ...

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SupportsRayJobSubmit(Protocol):
    """Optional: a user's ``ray job submit --submission-id ID`` to a RayJob's cluster (InteractiveMode)."""

    def submit_ray_job(self, namespace: str, rayjob: str, submission_id: str, entrypoint: str | None = None) -> None:
        """Submit to the dashboard of the RayJob's current RayCluster; ``entrypoint`` None means the RayJob's
        ``spec.entrypoint``. Raises :class:`RayJobSubmitRefused` when the dashboard does not accept the job."""
        ...
