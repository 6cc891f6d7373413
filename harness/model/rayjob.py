"""Typed views of a RayJob: spec (read-only) and status (mutable, written back by the controller).

Field names follow ``ray-operator/apis/ray/v1/rayjob_types.go`` at v1.7.0. The embedded ``rayClusterSpec`` and
``submitterPodTemplate`` stay raw: KubeRay deep-copies them into the RayCluster and the submitter Job, so the
simulator does too; :mod:`harness.model.raycluster` reads the few fields the controllers look at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .enums import DeletionPolicyType, JobDeploymentStatus, JobFailedReason, JobStatus, SubmissionMode
from .meta import ObjectMeta

RAY_CLUSTER_SELECTOR_KEY = "ray.io/cluster"
KUBERAY_MANAGER = "ray.io/kuberay-operator"


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class DeletionCondition:
    job_status: JobStatus | None = None
    job_deployment_status: JobDeploymentStatus | None = None
    ttl_seconds: int = 0


@dataclass(frozen=True)
class DeletionRule:
    policy: DeletionPolicyType
    condition: DeletionCondition


@dataclass(frozen=True)
class DeletionStrategy:
    on_success: DeletionPolicyType | None = None  # legacy (v1.5+), keyed on jobStatus SUCCEEDED
    on_failure: DeletionPolicyType | None = None  # legacy, keyed on jobStatus FAILED
    has_on_success: bool = False
    has_on_failure: bool = False
    rules: tuple[DeletionRule, ...] | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> DeletionStrategy:
        def policy(block: Any) -> DeletionPolicyType | None:
            if not isinstance(block, Mapping) or block.get("policy") is None:
                return None
            return DeletionPolicyType(block["policy"])

        rules = None
        if raw.get("deletionRules") is not None:
            rules = tuple(
                DeletionRule(
                    DeletionPolicyType(r["policy"]),
                    DeletionCondition(
                        JobStatus(r["condition"]["jobStatus"]) if r["condition"].get("jobStatus") else None,
                        JobDeploymentStatus(r["condition"]["jobDeploymentStatus"])
                        if r["condition"].get("jobDeploymentStatus") else None,
                        int(r["condition"].get("ttlSeconds", 0) or 0)))
                for r in raw["deletionRules"])
        return cls(policy(raw.get("onSuccess")), policy(raw.get("onFailure")),
                   raw.get("onSuccess") is not None, raw.get("onFailure") is not None, rules)


@dataclass(frozen=True)
class RayJobSpec:
    entrypoint: str = ""
    runtime_env_yaml: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    job_id: str = ""
    submission_mode: str = SubmissionMode.K8S_JOB.value  # raw: the CRD has no enum
    shutdown_after_job_finishes: bool = False
    ttl_seconds_after_finished: int = 0
    active_deadline_seconds: int | None = None
    pre_running_deadline_seconds: int | None = None
    backoff_limit: int | None = None
    suspend: bool = False
    cluster_selector: Mapping[str, str] = field(default_factory=dict)
    ray_cluster_spec: Mapping[str, Any] | None = None
    submitter_pod_template: Mapping[str, Any] | None = None
    submitter_backoff_limit: int | None = None
    has_submitter_config: bool = False
    entrypoint_num_cpus: float | None = None
    entrypoint_num_gpus: float | None = None
    entrypoint_resources: str = ""
    managed_by: str | None = None
    deletion_strategy: DeletionStrategy | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> RayJobSpec:
        raw = raw or {}
        submitter_config = raw.get("submitterConfig")
        strategy = raw.get("deletionStrategy")
        return cls(
            entrypoint=str(raw.get("entrypoint") or ""),
            runtime_env_yaml=str(raw.get("runtimeEnvYAML") or ""),
            metadata=dict(raw.get("metadata") or {}),
            job_id=str(raw.get("jobId") or ""),
            submission_mode=str(raw.get("submissionMode") or SubmissionMode.K8S_JOB.value),
            shutdown_after_job_finishes=bool(raw.get("shutdownAfterJobFinishes", False)),
            ttl_seconds_after_finished=int(raw.get("ttlSecondsAfterFinished", 0) or 0),
            active_deadline_seconds=_opt_int(raw.get("activeDeadlineSeconds")),
            pre_running_deadline_seconds=_opt_int(raw.get("preRunningDeadlineSeconds")),
            backoff_limit=_opt_int(raw.get("backoffLimit")),
            suspend=bool(raw.get("suspend", False)),
            cluster_selector=dict(raw.get("clusterSelector") or {}),
            ray_cluster_spec=raw.get("rayClusterSpec"),
            submitter_pod_template=raw.get("submitterPodTemplate"),
            submitter_backoff_limit=_opt_int((submitter_config or {}).get("backoffLimit")),
            has_submitter_config=submitter_config is not None,
            entrypoint_num_cpus=_opt_float(raw.get("entrypointNumCpus")),
            entrypoint_num_gpus=_opt_float(raw.get("entrypointNumGpus")),
            entrypoint_resources=str(raw.get("entrypointResources") or ""),
            managed_by=raw.get("managedBy"),
            deletion_strategy=DeletionStrategy.from_raw(strategy) if isinstance(strategy, Mapping) else None,
        )

    @property
    def mode(self) -> SubmissionMode | None:
        """The submission mode, or None for a string KubeRay does not know (the CRD has no enum)."""
        try:
            return SubmissionMode(self.submission_mode)
        except ValueError:
            return None

    @property
    def selector_cluster_name(self) -> str:
        return self.cluster_selector.get(RAY_CLUSTER_SELECTOR_KEY, "")

    @property
    def uses_cluster_selector(self) -> bool:
        """``isClusterSelectorMode``: any clusterSelector map, even one without the ray.io/cluster key."""
        return len(self.cluster_selector) != 0


@dataclass(frozen=True)
class RayJobInfo:
    start_time: str | None = None
    end_time: str | None = None


@dataclass
class RayJobStatus:
    """``RayJobStatus`` with times kept as RFC 3339 strings, exactly as they are serialised."""

    job_id: str = ""
    ray_cluster_name: str = ""
    dashboard_url: str = ""
    job_status: JobStatus = JobStatus.NEW
    job_deployment_status: JobDeploymentStatus = JobDeploymentStatus.NEW
    reason: JobFailedReason = JobFailedReason.NONE
    message: str = ""
    start_time: str | None = None
    end_time: str | None = None
    succeeded: int | None = None
    failed: int | None = None
    ray_cluster_status: dict[str, Any] = field(default_factory=dict)
    ray_job_info: RayJobInfo | None = None
    job_status_check_failure_start_time: str | None = None
    observed_generation: int | None = None

    _KEYS = {
        "job_id": "jobId", "ray_cluster_name": "rayClusterName", "dashboard_url": "dashboardURL",
        "job_status": "jobStatus", "job_deployment_status": "jobDeploymentStatus", "reason": "reason",
        "message": "message", "start_time": "startTime", "end_time": "endTime", "succeeded": "succeeded",
        "failed": "failed", "ray_cluster_status": "rayClusterStatus", "ray_job_info": "rayJobInfo",
        "job_status_check_failure_start_time": "jobStatusCheckFailureStartTime",
        "observed_generation": "observedGeneration",
    }

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> RayJobStatus:
        raw = raw or {}
        info = raw.get("rayJobInfo")
        return cls(
            job_id=str(raw.get("jobId") or ""),
            ray_cluster_name=str(raw.get("rayClusterName") or ""),
            dashboard_url=str(raw.get("dashboardURL") or ""),
            job_status=JobStatus(raw.get("jobStatus") or ""),
            job_deployment_status=JobDeploymentStatus(raw.get("jobDeploymentStatus") or ""),
            reason=JobFailedReason(raw.get("reason") or ""),
            message=str(raw.get("message") or ""),
            start_time=raw.get("startTime"),
            end_time=raw.get("endTime"),
            succeeded=_opt_int(raw.get("succeeded")),
            failed=_opt_int(raw.get("failed")),
            ray_cluster_status=dict(raw.get("rayClusterStatus") or {}),
            ray_job_info=RayJobInfo(info.get("startTime"), info.get("endTime")) if isinstance(info, Mapping)
            and (info.get("startTime") or info.get("endTime")) else None,
            job_status_check_failure_start_time=raw.get("jobStatusCheckFailureStartTime"),
            observed_generation=_opt_int(raw.get("observedGeneration")),
        )

    def to_raw(self) -> dict[str, Any]:
        """Serialise with Go's ``omitempty`` rules: empty strings, nil pointers and empty structs vanish."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            key = self._KEYS[f.name]
            if isinstance(value, (JobStatus, JobDeploymentStatus, JobFailedReason)):
                value = value.value
            if isinstance(value, RayJobInfo):
                value = {k: v for k, v in (("startTime", value.start_time), ("endTime", value.end_time)) if v}
            if value is None or value == "" or value == {}:
                continue
            out[key] = value
        return out

    def copy(self) -> RayJobStatus:
        # What ``dataclasses.replace`` would build (no __post_init__ here), without its per-field machinery.
        new = object.__new__(RayJobStatus)
        new.__dict__.update(self.__dict__)
        new.ray_cluster_status = dict(self.ray_cluster_status)
        return new


@dataclass(frozen=True)
class RayJob:
    """A RayJob as read at the start of a reconcile."""

    api_version: str
    meta: ObjectMeta
    spec: RayJobSpec
    status: RayJobStatus

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> RayJob:
        return cls(str(raw.get("apiVersion", "ray.io/v1")), ObjectMeta.from_raw(raw.get("metadata")),
                   RayJobSpec.from_raw(raw.get("spec")), RayJobStatus.from_raw(raw.get("status")))

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace
