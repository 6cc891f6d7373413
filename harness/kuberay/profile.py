"""KubeRay releases and operator settings the simulated controllers obey.

A :class:`KubeRayProfile` names a release and carries every behaviour switch that differs between releases, so
adding a release means adding a profile (and, where behaviour is new, a switch), never copying a controller; a
switch exists only while some code reads it. :class:`OperatorConfig` is what a deployment of that release was
started with: environment variables and feature gates (``--feature-gates``), checked by
:func:`checked_operator_config` against what the simulator models (:mod:`.switches`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ..errors import InputError
from ..model.featuregates import V1_7_0_DEFAULTS
from .gates import FeatureGates
from .switches import operator_problems as switch_problems

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
    mirror_cluster_status_while_initializing: bool  # v1.5+
    submitter_finished_timeout: bool  # v1.5+
    rayjob_head_service: bool  # v1.5+: <rayjob>-head-svc owned by the RayJob
    pre_running_deadline: bool  # v1.6+
    requeue_suspended: bool  # up to v1.5 a Suspended RayJob was requeued every 3 s
    status_check_timeout: bool  # v1.7: jobStatusCheckFailureStartTime and JobStatusCheckTimeoutExceeded
    events_with_action: bool  # v1.7 records through events.k8s.io with an action
    # ``pkg/features/features.go`` defaults; RayJobDeletionPolicy: alpha/off up to v1.5, beta/on from v1.6
    gate_defaults: Mapping[str, bool]


PROFILES: Final[Mapping[str, KubeRayProfile]] = {
    "1.7": KubeRayProfile(
        version="1.7.0", cluster_name_infix="", mirror_cluster_status_while_initializing=True,
        submitter_finished_timeout=True, rayjob_head_service=True, pre_running_deadline=True, requeue_suspended=False,
        status_check_timeout=True, events_with_action=True,
        gate_defaults=V1_7_0_DEFAULTS),
}


DEFAULT_RELEASE: Final = "1.7"  # what a simulator runs when no release is asked for: the newest profile


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
        return self.feature_gates.get(name, profile.gate_defaults.get(name, False))

    def gates(self, profile: KubeRayProfile) -> FeatureGates:
        """The gates the controllers read, as this operator runs them."""
        return FeatureGates.from_lookup(lambda name: self.gate(name, profile))

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


def operator_problems(env: Mapping[str, str], feature_gates: Mapping[str, bool],
                      version: str = "1.7") -> list[tuple[str, str]]:
    """Why an operator of release ``version`` with these settings cannot be simulated: (switch, sentence) pairs."""
    profile = profile_for(version)
    return switch_problems(env, feature_gates, defaults=profile.gate_defaults, release=profile.version)


def checked_operator_config(profile: KubeRayProfile, env: Mapping[str, str] | None = None,
                            feature_gates: Mapping[str, bool] | None = None) -> OperatorConfig:
    """The configuration of an operator of ``profile``'s release; InputError naming every switch not modelled."""
    env, feature_gates = dict(env or {}), dict(feature_gates or {})
    problems = switch_problems(env, feature_gates, defaults=profile.gate_defaults, release=profile.version)
    if problems:
        raise InputError("; ".join(text for _, text in problems),
                         hint="remove the setting, or run against a real cluster with the real operator")
    return OperatorConfig(env=env, feature_gates=feature_gates)
