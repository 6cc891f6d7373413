"""What state an object is in, as the timeline picture names and colours it: pure functions of tracked fields.

Each kind gets one or more *aspects* (a RayJob has two: its deployment status and its Ray job status); an
aspect turns the object's current tracked fields (the journal's flattened ``status.*``/``metadata.*`` paths)
into a :class:`State`: a short label and a :class:`Tone`. Tones are what colours mean across the whole page:
success green, failure red, running blue, pending/initializing amber, suspended grey.

Not here: following an object through the journal (:mod:`.lanes`) or drawing (:mod:`.svg`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from ..model.enums import ClusterState, JobDeploymentStatus, JobStatus, PodPhase


class Tone(str, Enum):
    """The colour family of a state; the values double as CSS class suffixes."""

    SUCCESS = "success"
    FAILURE = "failure"
    RUNNING = "running"
    PENDING = "pending"
    SUSPENDED = "suspended"
    NEUTRAL = "neutral"


class JobConditionType(str, Enum):
    """batch/v1 Job condition types that end or pause a Job (``status.conditions[].type``)."""

    COMPLETE = "Complete"
    FAILED = "Failed"
    SUSPENDED = "Suspended"


@dataclass(frozen=True)
class State:
    label: str
    tone: Tone


Fields = Mapping[str, Any]

_DEPLOYMENT_TONES: Final = {
    JobDeploymentStatus.NEW: Tone.NEUTRAL,
    JobDeploymentStatus.INITIALIZING: Tone.PENDING,
    JobDeploymentStatus.WAITING: Tone.PENDING,
    JobDeploymentStatus.RETRYING: Tone.PENDING,
    JobDeploymentStatus.RUNNING: Tone.RUNNING,
    JobDeploymentStatus.COMPLETE: Tone.SUCCESS,
    JobDeploymentStatus.FAILED: Tone.FAILURE,
    JobDeploymentStatus.VALIDATION_FAILED: Tone.FAILURE,
    JobDeploymentStatus.SUSPENDING: Tone.SUSPENDED,
    JobDeploymentStatus.SUSPENDED: Tone.SUSPENDED,
}
_JOB_STATUS_TONES: Final = {
    JobStatus.PENDING: Tone.PENDING,
    JobStatus.RUNNING: Tone.RUNNING,
    JobStatus.STOPPED: Tone.SUSPENDED,
    JobStatus.SUCCEEDED: Tone.SUCCESS,
    JobStatus.FAILED: Tone.FAILURE,
}
_CLUSTER_TONES: Final = {
    ClusterState.READY: Tone.RUNNING,
    ClusterState.SUSPENDED: Tone.SUSPENDED,
    ClusterState.FAILED: Tone.FAILURE,
}
_POD_TONES: Final = {
    PodPhase.PENDING: Tone.PENDING,
    PodPhase.RUNNING: Tone.RUNNING,
    PodPhase.SUCCEEDED: Tone.SUCCESS,
    PodPhase.FAILED: Tone.FAILURE,
    PodPhase.UNKNOWN: Tone.NEUTRAL,
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def deployment_state(fields: Fields) -> State:
    """RayJob ``status.jobDeploymentStatus``; absent or empty is ``New``."""
    raw = _text(fields.get("status.jobDeploymentStatus"))
    try:
        status = JobDeploymentStatus(raw)
    except ValueError:  # a release's value this version of the harness does not know
        return State(raw, Tone.NEUTRAL)
    return State("New" if status is JobDeploymentStatus.NEW else status.value, _DEPLOYMENT_TONES[status])


def deployment_is_terminal(fields: Fields) -> bool:
    try:
        return JobDeploymentStatus(_text(fields.get("status.jobDeploymentStatus"))).is_terminal
    except ValueError:
        return False


def job_status_state(fields: Fields) -> State | None:
    """RayJob ``status.jobStatus``; None (no segment) while empty: nothing is submitted."""
    raw = _text(fields.get("status.jobStatus"))
    try:
        status = JobStatus(raw)
    except ValueError:
        return State(raw, Tone.NEUTRAL)
    if status is JobStatus.NEW:
        return None
    return State(status.value, _JOB_STATUS_TONES[status])


def cluster_state(fields: Fields) -> State:
    """RayCluster ``status.state``; before the operator sets it the cluster is merely ``created``."""
    raw = _text(fields.get("status.state"))
    try:
        state = ClusterState(raw)
    except ValueError:
        return State(raw, Tone.NEUTRAL)
    if state is ClusterState.NONE:
        return State("created", Tone.PENDING)
    return State(state.value, _CLUSTER_TONES[state])


def pod_state(fields: Fields) -> State:
    """Pod ``status.phase``; the API server defaults an absent phase to Pending."""
    raw = _text(fields.get("status.phase")) or PodPhase.PENDING.value
    try:
        phase = PodPhase(raw)
    except ValueError:
        return State(raw, Tone.NEUTRAL)
    return State(phase.value, _POD_TONES[phase])


def _true_conditions(fields: Fields) -> set[JobConditionType]:
    out: set[JobConditionType] = set()
    conditions = fields.get("status.conditions")
    if not isinstance(conditions, list):
        return out
    for condition in conditions:
        if not isinstance(condition, Mapping) or str(condition.get("status")) != "True":
            continue
        try:
            out.add(JobConditionType(str(condition.get("type"))))
        except ValueError:
            continue  # progress conditions (FailureTarget, SuccessCriteriaMet) do not end the Job yet
    return out


def _count(fields: Fields, path: str) -> int:
    value = fields.get(path)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def submitter_job_state(fields: Fields) -> State:
    """batch/v1 Job: complete/failed/suspended from conditions, else active or pending, noting failed pods."""
    conditions = _true_conditions(fields)
    if JobConditionType.COMPLETE in conditions:
        return State("complete", Tone.SUCCESS)
    if JobConditionType.FAILED in conditions:
        return State("failed", Tone.FAILURE)
    if JobConditionType.SUSPENDED in conditions:
        return State("suspended", Tone.SUSPENDED)
    failed = _count(fields, "status.failed")
    note = f", {failed} failed" if failed else ""
    if _count(fields, "status.active") > 0:
        return State("active" + note, Tone.RUNNING)
    return State("pending" + note, Tone.PENDING)


def presence_state(fields: Fields) -> State:
    """Kinds without a lifecycle worth drawing (Services): the lane only shows that the object exists."""
    return State("present", Tone.NEUTRAL)


def is_deleting(fields: Fields) -> bool:
    return bool(fields.get("metadata.deletionTimestamp"))


@dataclass(frozen=True)
class Aspect:
    """One lane's worth of an object: ``name`` keys it, ``caption`` is shown beside the object's name.

    ``deleting_label`` replaces the state label once the deletionTimestamp is set (``Terminating``, as kubectl
    prints for pods); None keeps the status label, because a RayJob's status still matters while it goes.
    """

    name: str
    caption: str
    state: Callable[[Fields], State | None]
    deleting_label: str | None = "deleting"


_ASPECTS: Final[dict[str, tuple[Aspect, ...]]] = {
    "RayJob": (Aspect("deployment", "deployment", deployment_state, None),
               Aspect("job", "job", job_status_state, None)),
    "RayCluster": (Aspect("state", "", cluster_state),),
    "Pod": (Aspect("phase", "", pod_state, "Terminating"),),
    "Job": (Aspect("state", "", submitter_job_state),),
}
_DEFAULT_ASPECTS: Final = (Aspect("presence", "", presence_state),)
# Kinds drawn in the picture, in the order children are listed under their owner; others are not drawn.
KIND_ORDER: Final = ("RayJob", "RayCluster", "Job", "Pod", "Service")


def aspects_for(kind: str) -> tuple[Aspect, ...]:
    return _ASPECTS.get(kind, _DEFAULT_ASPECTS)
