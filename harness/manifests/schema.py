"""KubeRay v1.7.0's RayJob and RayCluster schemas, per served version, as the project's own compact tables.

Facts (field names, types, defaults, enums, minimums, required lists, rule messages, printer columns, deprecation
warnings) come from the v1.7.0 CRDs ``ray.io_rayjobs`` and ``ray.io_rayclusters``; ``tests/manifests/
test_crd_conformance.py`` checks every modelled node against those CRDs, so the tables cannot drift silently.
Differences that matter between versions:

- ``v1alpha1`` is frozen at the Dec-2023 field set (v1.1.0+): no submissionMode, backoffLimit,
  activeDeadlineSeconds, preRunningDeadlineSeconds, managedBy, deletionStrategy or submitterConfig; ``entrypoint``
  is required; ``rayStartParams`` is required on every group (v1 made it optional in v1.4.0).
- Neither version has ``runtimeEnv`` (removed in v1.1.0).
- Both versions are served; v1alpha1 is deprecated in v1.7.0 (the API server sends the warning below).

Not here: the walk that applies these tables (:mod:`.structural`), the Pod template (:mod:`.schema_pod`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from .cel_rules import Rule
from .schema_nodes import (
    Schema,
    array,
    boolean,
    int32,
    number,
    obj,
    objects,
    opaque,
    str_map,
    string,
    strings,
)
from .schema_pod import POD_TEMPLATE

MANAGED_BY_VALUES: Final = ("ray.io/kuberay-operator", "kueue.x-k8s.io/multikueue")
DELETION_POLICIES: Final = ("DeleteCluster", "DeleteWorkers", "DeleteSelf", "DeleteNone")
MAX_INT32: Final = 2147483647


def _managed_by() -> Schema:
    return string(rules=(
        Rule("self == oldSelf", "the managedBy field is immutable", since="1.3"),
        Rule("self in ['ray.io/kuberay-operator', 'kueue.x-k8s.io/multikueue']",
             "the managedBy field value must be either 'ray.io/kuberay-operator' or 'kueue.x-k8s.io/multikueue'",
             since="1.3"),
    ))


# -- RayCluster spec (also embedded as RayJob spec.rayClusterSpec) ---------------------------------------------


def _autoscaler_options(*, v1: bool) -> Schema:
    properties: dict[str, Schema] = {
        "env": objects(),
        "envFrom": objects(),
        "idleTimeoutSeconds": int32(),
        "image": string(),
        "imagePullPolicy": string(),
        "resources": opaque(),
        "securityContext": opaque(),
        "upscalingMode": string(enum=("Default", "Aggressive", "Conservative")),
        "volumeMounts": objects(),
    }
    if v1:
        properties.update(args=strings(), command=strings(), version=string(enum=("v1", "v2")))
    return obj(properties)


def _head_group(*, v1: bool) -> Schema:
    properties: dict[str, Schema] = {
        "enableIngress": boolean(),
        "headService": opaque(),
        "rayStartParams": str_map(),
        "serviceType": string(),
        "template": POD_TEMPLATE,
    }
    if not v1:
        return obj(properties, required=("rayStartParams", "template"))
    properties.update(
        ingressOptions=obj({
            "host": string(),
            "path": string(),
            "pathType": string(enum=("Exact", "Prefix", "ImplementationSpecific")),
            "tls": objects(),
        }),
        labels=str_map(),
        resources=str_map(),
    )
    return obj(properties, required=("template",))  # rayStartParams optional in v1 since v1.4.0


def _worker_group(*, v1: bool) -> Schema:
    properties: dict[str, Schema] = {
        "groupName": string(),
        # minReplicas/maxReplicas are required by the CRD, but the defaults fill them in before validation
        "maxReplicas": int32(default=MAX_INT32),
        "minReplicas": int32(default=0),
        "rayStartParams": str_map(),
        "replicas": int32(default=0),
        "scaleStrategy": obj({"workersToDelete": strings()}),
        "template": POD_TEMPLATE,
    }
    if not v1:
        return array(obj(properties, required=("groupName", "maxReplicas", "minReplicas", "rayStartParams",
                                               "template")))
    properties.update(
        idleTimeoutSeconds=int32(),
        labels=str_map(),
        numOfHosts=int32(default=1),
        priority=int32(default=0),
        resources=str_map(),
        suspend=boolean(),
    )
    return array(obj(properties, required=("groupName", "maxReplicas", "minReplicas", "template")))


def _cluster_spec(*, v1: bool) -> Schema:
    properties: dict[str, Schema] = {
        "autoscalerOptions": _autoscaler_options(v1=v1),
        "enableInTreeAutoscaling": boolean(),
        "headGroupSpec": _head_group(v1=v1),
        "headServiceAnnotations": str_map(),
        "rayVersion": string(),
        "suspend": boolean(),
        "workerGroupSpecs": _worker_group(v1=v1),
    }
    if v1:
        properties.update(
            authOptions=obj({
                "enableK8sTokenAuth": boolean(),
                "mode": string(enum=("disabled", "token")),
                "secretName": string(),
            }),
            gcsFaultToleranceOptions=obj({
                "backend": string(enum=("redis", "rocksdb"), rules=(
                    Rule("self == oldSelf", "gcsFaultToleranceOptions.backend is immutable", since="1.7"),)),
                "externalStorageNamespace": string(),
                "redisAddress": string(),
                "redisPassword": opaque(),
                "redisUsername": opaque(),
                "storage": opaque(),
            }),
            historyServerOptions=opaque(),
            managedBy=_managed_by(),
            networkPolicy=obj({
                "head": opaque(),
                "mode": string(enum=("DenyAll", "DenyAllIngress", "DenyAllEgress"), default="DenyAll"),
                "worker": opaque(),
                "workerGroups": objects(),
            }),
            tlsOptions=obj({"enabled": boolean()}),
            upgradeStrategy=obj({"type": string(enum=("Recreate", "None"))}),
        )
    return obj(properties, required=("headGroupSpec",))


RAYCLUSTER_SPEC_V1: Final = _cluster_spec(v1=True)
RAYCLUSTER_SPEC_V1ALPHA1: Final = _cluster_spec(v1=False)

# -- RayJob spec -------------------------------------------------------------------------------------------------

_DELETION_CONDITION: Final = obj({
    "jobDeploymentStatus": string(enum=("Failed",)),
    "jobStatus": string(enum=("SUCCEEDED", "FAILED")),
    "ttlSeconds": int32(default=0, minimum=0),
}, rules=(
    Rule("!(has(self.jobStatus) && has(self.jobDeploymentStatus))",
         "JobStatus and JobDeploymentStatus cannot be used together within the same deletion condition.",
         since="1.6"),
    Rule("has(self.jobStatus) || has(self.jobDeploymentStatus)",
         "the deletion condition requires either the JobStatus or the JobDeploymentStatus field.", since="1.6"),
))

_DELETION_STRATEGY: Final = obj({
    "deletionRules": array(obj({
        "condition": _DELETION_CONDITION,
        "policy": string(enum=DELETION_POLICIES),
    }, required=("condition", "policy")), min_items=1),
    "onFailure": obj({"policy": string(enum=DELETION_POLICIES)}),
    "onSuccess": obj({"policy": string(enum=DELETION_POLICIES)}),
}, rules=(
    Rule("!((has(self.onSuccess) || has(self.onFailure)) && has(self.deletionRules))",
         "legacy policies (onSuccess/onFailure) and deletionRules cannot be used together within the same "
         "deletionStrategy", since="1.5"),
    Rule("((has(self.onSuccess) && has(self.onFailure)) || has(self.deletionRules))",
         "deletionStrategy requires either BOTH onSuccess and onFailure, OR the deletionRules field (cannot be "
         "empty)", since="1.5"),
))

_RAYJOB_COMMON: Final[dict[str, Schema]] = {
    "clusterSelector": str_map(),
    "entrypoint": string(),
    "entrypointNumCpus": number(),
    "entrypointNumGpus": number(),
    "entrypointResources": string(),
    "jobId": string(),
    "metadata": str_map(),
    "runtimeEnvYAML": string(),
    "shutdownAfterJobFinishes": boolean(),
    "submitterPodTemplate": POD_TEMPLATE,
    "suspend": boolean(),
    "ttlSecondsAfterFinished": int32(default=0),
}

RAYJOB_SPEC_V1: Final = obj({
    **_RAYJOB_COMMON,
    "activeDeadlineSeconds": int32(),
    "backoffLimit": int32(default=0),
    "deletionStrategy": _DELETION_STRATEGY,
    "managedBy": _managed_by(),
    "preRunningDeadlineSeconds": int32(minimum=1),
    "rayClusterSpec": RAYCLUSTER_SPEC_V1,
    "submissionMode": string(default="K8sJobMode"),  # no enum in the CRD: unknown modes reach the operator
    "submitterConfig": obj({"backoffLimit": int32()}),
})

# RayCronJob (v1.6+; its controller needs the RayCronJob gate): a RayJob spec as template, with its rules.
RAYCRONJOB_SPEC_V1: Final = obj({
    "jobTemplate": RAYJOB_SPEC_V1,
    "schedule": string(),
    "suspend": boolean(),
    "timeZone": string(min_length=1),
}, required=("jobTemplate", "schedule"))

RAYJOB_SPEC_V1ALPHA1: Final = obj({
    **_RAYJOB_COMMON,
    "rayClusterSpec": RAYCLUSTER_SPEC_V1ALPHA1,
}, required=("entrypoint",))

# -- whole objects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    type: str
    json_path: str
    priority: int = 0


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a KubeRay CRD: the spec table plus what the API server says around it."""

    kind: str
    group: str
    version: str
    spec: Schema
    storage: bool
    deprecation_warning: str = ""
    printer_columns: tuple[PrinterColumn, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @cached_property
    def has_rules(self) -> bool:
        """The API server builds a CEL validator only when the version's schema has rules somewhere."""
        return self.spec.has_rules()

    @cached_property
    def root(self) -> Schema:
        """The whole object: ``metadata`` is checked as ObjectMeta elsewhere; ``status`` is not modelled."""
        return obj({"apiVersion": string(), "kind": string(), "metadata": opaque(), "spec": self.spec,
                    "status": opaque()})


def _deprecated(kind: str) -> str:
    return (f"ray.io/v1alpha1 {kind} is deprecated; use ray.io/v1 {kind}. v1alpha1 receives no new fields and "
            f"will be unavailable in KubeRay 1.9.")


RAYJOB_COLUMNS: Final = (
    PrinterColumn("job status", "string", ".status.jobStatus"),
    PrinterColumn("deployment status", "string", ".status.jobDeploymentStatus"),
    PrinterColumn("ray cluster name", "string", ".status.rayClusterName"),
    PrinterColumn("start time", "string", ".status.startTime"),
    PrinterColumn("end time", "string", ".status.endTime"),
    PrinterColumn("age", "date", ".metadata.creationTimestamp"),
)

RAYCLUSTER_COLUMNS: Final = (
    PrinterColumn("desired workers", "integer", ".status.desiredWorkerReplicas"),
    PrinterColumn("available workers", "integer", ".status.availableWorkerReplicas"),
    PrinterColumn("cpus", "string", ".status.desiredCPU"),
    PrinterColumn("memory", "string", ".status.desiredMemory"),
    PrinterColumn("gpus", "string", ".status.desiredGPU"),
    PrinterColumn("tpus", "string", ".status.desiredTPU", priority=1),
    PrinterColumn("status", "string", ".status.state"),
    PrinterColumn("age", "date", ".metadata.creationTimestamp"),
    PrinterColumn("head pod IP", "string", ".status.head.podIP", priority=1),
    PrinterColumn("head service IP", "string", ".status.head.serviceIP", priority=1),
)

RAYCRONJOB_COLUMNS: Final = (
    PrinterColumn("schedule", "string", ".spec.schedule"),
    PrinterColumn("timezone", "string", ".spec.timeZone"),
    PrinterColumn("last schedule", "date", ".status.lastScheduleTime"),
    PrinterColumn("age", "date", ".metadata.creationTimestamp"),
    PrinterColumn("suspend", "boolean", ".spec.suspend"),
)

CRD_VERSIONS: Final = (
    CrdVersion("RayJob", "ray.io", "v1", RAYJOB_SPEC_V1, storage=True, printer_columns=RAYJOB_COLUMNS),
    # v1alpha1 RayJob has no printer columns: kubectl shows NAME and AGE only when asked for that version
    CrdVersion("RayJob", "ray.io", "v1alpha1", RAYJOB_SPEC_V1ALPHA1, storage=False,
               deprecation_warning=_deprecated("RayJob")),
    CrdVersion("RayCluster", "ray.io", "v1", RAYCLUSTER_SPEC_V1, storage=True, printer_columns=RAYCLUSTER_COLUMNS),
    CrdVersion("RayCluster", "ray.io", "v1alpha1", RAYCLUSTER_SPEC_V1ALPHA1, storage=False,
               deprecation_warning=_deprecated("RayCluster"), printer_columns=RAYCLUSTER_COLUMNS),
    CrdVersion("RayCronJob", "ray.io", "v1", RAYCRONJOB_SPEC_V1, storage=True, printer_columns=RAYCRONJOB_COLUMNS),
)


def crd_version(kind: str, api_version: str, crds: Sequence[CrdVersion] = CRD_VERSIONS) -> CrdVersion | None:
    """The CRD version for ``kind`` at ``apiVersion`` (``ray.io/v1``) among ``crds`` (a release's), or None."""
    return next((cv for cv in crds if cv.kind == kind and cv.api_version == api_version), None)


def storage_version(kind: str, crds: Sequence[CrdVersion] = CRD_VERSIONS) -> CrdVersion:
    return next(cv for cv in crds if cv.kind == kind and cv.storage)
