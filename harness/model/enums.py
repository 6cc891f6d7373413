"""KubeRay's status vocabulary as enums holding the exact upstream strings.

Source: ``ray-operator/apis/ray/v1/rayjob_types.go`` (v1.7.0). Compare statuses through these enums, never
through string literals, so a typo is a NameError rather than a silently false comparison.
"""

from __future__ import annotations

from enum import Enum


class JobStatus(str, Enum):
    """The Ray job status copied from the dashboard (``status.jobStatus``)."""

    NEW = ""
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """Mirrors ``rayv1.IsJobTerminal``: STOPPED, SUCCEEDED and FAILED end a Ray job (v1.1+)."""
        return self in (JobStatus.STOPPED, JobStatus.SUCCEEDED, JobStatus.FAILED)


class JobDeploymentStatus(str, Enum):
    """``status.jobDeploymentStatus``: where the operator is in the RayJob's life."""

    NEW = ""
    INITIALIZING = "Initializing"
    RUNNING = "Running"
    COMPLETE = "Complete"
    FAILED = "Failed"
    VALIDATION_FAILED = "ValidationFailed"  # v1.5+
    SUSPENDING = "Suspending"  # v1.1+
    SUSPENDED = "Suspended"
    RETRYING = "Retrying"  # v1.2+
    WAITING = "Waiting"  # v1.2.2+

    @property
    def is_terminal(self) -> bool:
        """Mirrors ``rayv1.IsJobDeploymentTerminal``: only Complete and Failed; ValidationFailed is not terminal."""
        return self in (JobDeploymentStatus.COMPLETE, JobDeploymentStatus.FAILED)


class JobFailedReason(str, Enum):
    """``status.reason``."""

    NONE = ""
    SUBMISSION_FAILED = "SubmissionFailed"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    APP_FAILED = "AppFailed"
    GRACE_PERIOD_EXCEEDED = "JobDeploymentStatusTransitionGracePeriodExceeded"  # v1.4+
    VALIDATION_FAILED = "ValidationFailed"  # v1.5+
    PRE_RUNNING_DEADLINE_EXCEEDED = "PreRunningDeadlineExceeded"  # v1.6+
    STATUS_CHECK_TIMEOUT_EXCEEDED = "JobStatusCheckTimeoutExceeded"  # v1.7+


class SubmissionMode(str, Enum):
    """``spec.submissionMode``. The CRD has no enum, so unknown strings reach the controller."""

    K8S_JOB = "K8sJobMode"
    HTTP = "HTTPMode"
    INTERACTIVE = "InteractiveMode"  # v1.3+ (UserMode in v1.2.2)
    SIDECAR = "SidecarMode"  # v1.5+

    @property
    def has_submitter(self) -> bool:
        """Modes whose submitter must finish before the deployment may become Complete or Failed."""
        return self in (SubmissionMode.K8S_JOB, SubmissionMode.SIDECAR)


class DeletionPolicyType(str, Enum):
    """Values of ``deletionStrategy`` policies, with the impact order used to pick one due rule (v1.5+)."""

    DELETE_CLUSTER = "DeleteCluster"
    DELETE_WORKERS = "DeleteWorkers"
    DELETE_SELF = "DeleteSelf"
    DELETE_NONE = "DeleteNone"

    @property
    def impact(self) -> int:
        """DeleteSelf(4) > DeleteCluster(3) > DeleteWorkers(2) > DeleteNone(1), as in ``selectMostImpactfulRule``."""
        return {
            DeletionPolicyType.DELETE_SELF: 4,
            DeletionPolicyType.DELETE_CLUSTER: 3,
            DeletionPolicyType.DELETE_WORKERS: 2,
            DeletionPolicyType.DELETE_NONE: 1,
        }[self]


class ClusterState(str, Enum):
    """``RayCluster.status.state``."""

    NONE = ""
    READY = "ready"
    SUSPENDED = "suspended"
    FAILED = "failed"  # deprecated upstream, kept for reading old objects


class PodPhase(str, Enum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @property
    def is_terminal(self) -> bool:
        return self in (PodPhase.SUCCEEDED, PodPhase.FAILED)


class WatchEventType(str, Enum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
