"""KubeRay releases and operator settings the simulated controllers obey.

A :class:`KubeRayProfile` names a release and carries every behaviour switch that differs between releases, so
adding a release means adding a profile (and, where behaviour is new, a switch), never copying a controller.
:class:`OperatorConfig` is what a deployment of that release was started with: environment variables and feature
gates (``--feature-gates``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ..errors import InputError

DEFAULT_REQUEUE: Final = 3.0  # RayJobDefaultRequeueDuration
DEFAULT_GRACE_PERIOD: Final = 300  # RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS default
DEFAULT_STATUS_CHECK_TIMEOUT: Final = 300  # RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS default (v1.7)
SUBMITTER_FINISHED_TIMEOUT: Final = 30.0  # DefaultSubmitterFinishedTimeout (v1.5+)
DEFAULT_SUBMITTER_BACKOFF_LIMIT: Final = 2
RAYJOB_FINALIZER: Final = "ray.io/rayjob-finalizer"
CONTROLLER_NAME: Final = "rayjob-controller"
RAYCLUSTER_CONTROLLER_NAME: Final = "raycluster-controller"


@dataclass(frozen=True)
class KubeRayProfile:
    """Behaviour switches of one KubeRay release."""

    version: str
    cluster_name_infix: str  # "-raycluster" up to v1.3, "" from v1.4 (<rayjob>-<rand5>)
    validation_failed_state: bool  # v1.5+: invalid specs end in ValidationFailed instead of error requeues
    mirror_cluster_status_while_initializing: bool  # v1.5+
    submitter_finished_timeout: bool  # v1.5+
    rayjob_head_service: bool  # v1.5+: <rayjob>-head-svc owned by the RayJob
    pre_running_deadline: bool  # v1.6+
    requeue_suspended: bool  # up to v1.5 a Suspended RayJob was requeued every 3 s
    deletion_rules_on_deployment_status: bool  # v1.6+
    status_check_timeout: bool  # v1.7: jobStatusCheckFailureStartTime and JobStatusCheckTimeoutExceeded
    deletion_policy_gate_default: bool  # RayJobDeletionPolicy: alpha/off up to v1.5, beta/on from v1.6
    events_with_action: bool  # v1.7 records through events.k8s.io with an action
    submitter_health_wait: bool  # v1.7: the K8sJobMode submitter waits for /api/gcs_healthz first


PROFILES: Final[Mapping[str, KubeRayProfile]] = {
    "1.7": KubeRayProfile(
        version="1.7.0", cluster_name_infix="", validation_failed_state=True,
        mirror_cluster_status_while_initializing=True, submitter_finished_timeout=True, rayjob_head_service=True,
        pre_running_deadline=True, requeue_suspended=False, deletion_rules_on_deployment_status=True,
        status_check_timeout=True, deletion_policy_gate_default=True, events_with_action=True,
        submitter_health_wait=True),
}


def supported_versions() -> list[str]:
    return sorted(PROFILES)


def profile_for(version: str) -> KubeRayProfile:
    """The profile for ``1.7``, ``v1.7`` or ``1.7.0``; InputError naming the supported releases otherwise."""
    text = version.strip().lstrip("v")
    parts = text.split(".")
    key = ".".join(parts[:2])
    if key in PROFILES and (len(parts) < 3 or PROFILES[key].version == text):
        return PROFILES[key]
    raise InputError(f"kuberay version={version!r} is not simulated",
                     hint=f"use one of: {', '.join(supported_versions())} (releases are added as profiles)")


def _env_bool(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def _env_int(value: str | None, default: int, *, positive: bool = False) -> int:
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        return default
    return default if positive and number <= 0 else number


@dataclass(frozen=True)
class OperatorConfig:
    """The operator Deployment's environment and feature gates, parsed as the operator parses them."""

    env: Mapping[str, str] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    cluster_domain: str = "cluster.local"

    def gate(self, name: str, profile: KubeRayProfile) -> bool:
        if name in self.feature_gates:
            return self.feature_gates[name]
        if name == "RayJobDeletionPolicy":
            return profile.deletion_policy_gate_default
        return False

    @property
    def delete_rayjob_after_finish(self) -> bool:
        return _env_bool(self.env.get("DELETE_RAYJOB_CR_AFTER_JOB_FINISHES"))

    @property
    def grace_period_seconds(self) -> int:
        """Unparsable values fall back to 300 (v1.4+)."""
        return _env_int(self.env.get("RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS"),
                        DEFAULT_GRACE_PERIOD)

    @property
    def status_check_timeout_seconds(self) -> int:
        """Invalid or non-positive values fall back to 300 (v1.7)."""
        return _env_int(self.env.get("RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS"), DEFAULT_STATUS_CHECK_TIMEOUT,
                        positive=True)

    @property
    def deterministic_head_pod_name(self) -> bool:
        return _env_bool(self.env.get("ENABLE_DETERMINISTIC_HEAD_POD_NAME"))

    @property
    def login_shell(self) -> bool:
        return _env_bool(self.env.get("ENABLE_LOGIN_SHELL"))

    @property
    def effective_cluster_domain(self) -> str:
        return self.env.get("CLUSTER_DOMAIN") or self.cluster_domain


KNOWN_GATES: Final = ("RayClusterStatusConditions", "RayJobDeletionPolicy", "RayMultiHostIndexing",
                      "RayServiceIncrementalUpgrade", "RayCronJob", "SidecarSubmitterRestart",
                      "RayClusterMTLS", "RayClusterNetworkPolicy", "RayClusterHistoryServer",
                      "GCSFaultToleranceEmbeddedStorage")


def parse_feature_gates(text: str) -> dict[str, bool]:
    """Parse ``A=true,B=false`` as ``--feature-gates`` does; InputError on an unknown gate or value."""
    gates: dict[str, bool] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or value.lower() not in ("true", "false"):
            raise InputError(f"feature gate={item!r} is not NAME=true|false", hint="e.g. RayJobDeletionPolicy=true")
        if name not in KNOWN_GATES:
            raise InputError(f"feature gate name={name!r} is unknown", hint=f"known gates: {', '.join(KNOWN_GATES)}")
        gates[name] = value.lower() == "true"
    return gates
