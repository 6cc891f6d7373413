"""What the API server checks in a write to a status subresource (``kubectl patch --subresource=status``).

Creates and updates of the object itself drop ``status`` before validation, so the spec tables
(:mod:`.schema`) leave it opaque. A write to ``/status`` is different: only the status is taken, and it is
decoded and validated against the status part of the schema: unknown fields (400 with strict field validation),
types, ``date-time`` formats, required keys and enums (422). This module holds those status schemas, as the
v1.7.0 CRDs declare them for RayJob and RayCluster, and as Kubernetes declares a Job's status (the fields a
RayJob's submitter status has), and :func:`validate_status_write`.

Not here: the objects' own validation (:mod:`.validate`), applying the write (``harness.simulator``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from .field_errors import FieldError
from .schema_nodes import Schema, array, date_time, int32, int64, obj, str_map, string
from .structural import prune, validate

_CONDITION: Final = obj({  # metav1.Condition
    "lastTransitionTime": date_time(), "message": string(), "observedGeneration": int64(minimum=0),
    "reason": string(), "status": string(enum=("True", "False", "Unknown")), "type": string(),
}, required=("lastTransitionTime", "message", "reason", "status", "type"))
_QUANTITY: Final = Schema("int-or-string")

RAYCLUSTER_STATUS_V1: Final = obj({
    "availableWorkerReplicas": int32(), "conditions": array(_CONDITION, list_map_keys=("type",)),
    "desiredCPU": _QUANTITY, "desiredGPU": _QUANTITY, "desiredMemory": _QUANTITY, "desiredTPU": _QUANTITY,
    "desiredWorkerReplicas": int32(), "endpoints": str_map(),
    "head": obj({"podIP": string(), "podName": string(), "serviceIP": string(), "serviceName": string()}),
    "lastUpdateTime": date_time(), "maxWorkerReplicas": int32(), "minWorkerReplicas": int32(),
    "observedGeneration": int64(), "readyWorkerReplicas": int32(), "reason": string(), "state": string(),
    "stateTransitionTimes": Schema("object", additional=date_time()),
})

RAYJOB_STATUS_V1: Final = obj({
    "dashboardURL": string(), "endTime": date_time(), "failed": int32(), "jobDeploymentStatus": string(),
    "jobId": string(), "jobStatus": string(), "jobStatusCheckFailureStartTime": date_time(), "message": string(),
    "observedGeneration": int64(), "rayClusterName": string(), "rayClusterStatus": RAYCLUSTER_STATUS_V1,
    "rayJobInfo": obj({"endTime": date_time(), "startTime": date_time()}), "reason": string(),
    "startTime": date_time(), "succeeded": int32(),
})

JOB_STATUS_V1: Final = obj({  # batch/v1 JobStatus
    "active": int32(), "completedIndexes": string(), "completionTime": date_time(),
    "conditions": array(obj({
        "lastProbeTime": date_time(), "lastTransitionTime": date_time(), "message": string(), "reason": string(),
        "status": string(), "type": string(),
    }, required=("status", "type"))),
    "failed": int32(), "failedIndexes": string(), "ready": int32(), "startTime": date_time(),
    "succeeded": int32(), "terminating": int32(),
    "uncountedTerminatedPods": obj({"failed": array(string()), "succeeded": array(string())}),
})

STATUS_SCHEMAS: Final[Mapping[str, Schema]] = {
    "RayJob": RAYJOB_STATUS_V1, "RayCluster": RAYCLUSTER_STATUS_V1, "Job": JOB_STATUS_V1,
}


def validate_status_write(kind: str, status: Any) -> tuple[list[str], list[FieldError]]:
    """(unknown fields, invalid values) of ``status`` written to the status subresource of a ``kind``.

    Unknown fields are reported as the strict decoder names them (``status.x``); a kind without a status schema
    here is not checked (see :data:`STATUS_SCHEMAS`).
    """
    schema = STATUS_SCHEMAS.get(kind)
    if schema is None or status is None:
        return [], []
    checked = deep_copy(status)
    unknown = prune(checked, schema, "status")
    return unknown, validate(checked, schema, "status")
