"""The fault-injection capabilities a backend may offer: what a scenario can break, at a moment it chooses.

Each fault is a capability of its own (a Protocol, reached through :attr:`Backend.capabilities`), because a
backend may be able to do one and not another: the simulator injects every one; a real cluster can kill a
container but cannot make the Ray dashboard lie to the operator. A scenario whose steps need a capability the
backend lacks is skipped, saying which step needs what (``harness.runner``); no fault is ever silently ignored.

The faults mirror what KubeRay's own tests inject: a fake dashboard client answering errors, "not found" or a
chosen job status; a Kubernetes client whose next create or delete fails; an envtest without a Job controller,
where the submitter Job never runs and its status is written by the test; killed containers.

Not here: the fault steps of the scenario language (``harness.scenario.faults``), how the simulator injects them
(``harness.backends.sim`` and below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import HarnessError

Verb = Literal["create", "delete"]


class FaultNotApplicable(HarnessError):
    """The fault cannot be injected now, e.g. the container to kill is not running."""


@dataclass(frozen=True)
class DashboardAnswer:
    """How the Ray dashboard answers KubeRay's job-status query (``GET /api/jobs/<id>``) from now on.

    ``error``: the request fails (``message``, by default a refused connection); ``not_found``: HTTP 404;
    ``status``: the job's info with ``job_status`` (and ``message``) instead of the truth.
    """

    answer: Literal["error", "not_found", "status"]
    job_status: str | None = None
    message: str | None = None


class ContainerFaults(Protocol):
    def kill_container(self, pod: str, container: str | None = None, *, namespace: str, exit_code: int = 137,
                       reason: str = "Error") -> None:
        """End the container's process now with ``exit_code`` (137 for SIGKILL, 143 for SIGTERM); the kubelet
        then restarts it or not by the pod's ``restartPolicy``. ``container`` None: the pod's first container.
        Raises :class:`FaultNotApplicable` when the container is not running."""
        ...


class DashboardFaults(Protocol):
    def answer_job_info(self, raycluster: str, answer: DashboardAnswer | None, *, namespace: str) -> None:
        """From now on the dashboard of ``raycluster`` (whichever head serves it, including later ones) answers
        the operator's job-status query with ``answer``; None answers truthfully again."""
        ...


class ApiFaults(Protocol):
    def fail_next(self, verb: Verb, kind: str, *, namespace: str, times: int = 1, reason: str = "InternalError",
                  message: str = "") -> None:
        """The next ``times`` requests to ``verb`` an object of ``kind`` in ``namespace``, whoever sends them
        (the operator, a controller, the scenario), are refused with ``reason``
        (:data:`harness.model.status.INJECTABLE_REASONS`) and its code."""
        ...


class SubmitterHold(Protocol):
    def hold_submitter(self, rayjob: str, *, namespace: str, held: bool = True) -> None:
        """Hold the RayJob's submitter Job (K8sJobMode): no controller runs it or writes its status, as in an
        envtest, until it is released (``held=False``); its status may be written through its status
        subresource meanwhile."""
        ...


class ImageFaults(Protocol):
    def make_image_unpullable(self, image: str, *, reason: str = "not found") -> None:
        """From now on pulling ``image`` fails (``ErrImagePull``, then ``ImagePullBackOff``) with ``reason``;
        a node that already ran it keeps starting it where the pull policy allows."""
        ...

    def make_image_pullable(self, image: str) -> None:
        """``image`` can be pulled again."""
        ...


class OperatorRestart(Protocol):
    def restart_operator(self, *, env: Mapping[str, str | None], feature_gates: Mapping[str, bool | None]) -> None:
        """Restart the KubeRay operator with these changes to its environment variables and feature gates (None
        removes a variable, or returns a gate to its default); its in-memory state is lost, as with a pod
        restart. InputError for a setting the backend cannot honour."""
        ...


FaultCapabilityName = Literal["kill_container", "dashboard_answers", "fail_next", "hold_submitter",
                              "unpullable_image", "restart_operator"]
