"""The built-in kinds a manifest file may hold, as the Go structs the API server decodes them into.

The API server decodes Pods, Services, ConfigMaps, Secrets, Jobs, Namespaces, Events and NetworkPolicies into their
core/v1, batch/v1 and networking/v1 structs before validating them: a field of the wrong JSON type fails the
request (400), and a field the struct does not have is an unknown field. These tables give every field of those
structs at the top levels, with its Go type (``go=`` where the name is not implied), down to the Pod spec shared
with the CRDs (:mod:`.schema_pod`).
Deeper structures (probes, volumes, affinity, status) are opaque: their own type is checked, not their content.
Fields are those of Kubernetes 1.35.

Not here: the walk (:mod:`.godecode`, :mod:`.structural`), the checks after decoding (:mod:`.builtin`).
"""

from __future__ import annotations

from typing import Final

from .godecode import BYTES, MICRO_TIME, TIME
from .schema_meta import OBJECT_META
from .schema_nodes import Schema, array, boolean, int32, int64, obj, objects, opaque, str_map, string, strings
from .schema_pod import POD_SPEC

_TYPE: Final = {"apiVersion": string(), "kind": string(), "metadata": opaque("v1.ObjectMeta")}

SERVICE_PORT: Final = obj({
    "appProtocol": string(),
    "name": string(),
    "nodePort": int32(),
    "port": int32(),
    "protocol": string(go="v1.Protocol"),
    "targetPort": Schema("int-or-string"),
}, go="v1.ServicePort")

SERVICE_SPEC: Final = obj({
    "allocateLoadBalancerNodePorts": boolean(),
    "clusterIP": string(),
    "clusterIPs": strings(),
    "externalIPs": strings(),
    "externalName": string(),
    "externalTrafficPolicy": string(go="v1.ServiceExternalTrafficPolicy"),
    "healthCheckNodePort": int32(),
    "internalTrafficPolicy": string(go="v1.ServiceInternalTrafficPolicy"),
    "ipFamilies": array(string(go="v1.IPFamily")),
    "ipFamilyPolicy": string(go="v1.IPFamilyPolicy"),
    "loadBalancerClass": string(),
    "loadBalancerIP": string(),
    "loadBalancerSourceRanges": strings(),
    "ports": array(SERVICE_PORT),
    "publishNotReadyAddresses": boolean(),
    "selector": str_map(),
    "sessionAffinity": string(go="v1.ServiceAffinity"),
    "sessionAffinityConfig": opaque("v1.SessionAffinityConfig"),
    "trafficDistribution": string(),
    "type": string(go="v1.ServiceType"),
}, go="v1.ServiceSpec")

JOB_SPEC: Final = obj({
    "activeDeadlineSeconds": int64(),
    "backoffLimit": int32(),
    "backoffLimitPerIndex": int32(),
    "completionMode": string(go="v1.CompletionMode"),
    "completions": int32(),
    "managedBy": string(),
    "manualSelector": boolean(),
    "maxFailedIndexes": int32(),
    "parallelism": int32(),
    "podFailurePolicy": opaque("v1.PodFailurePolicy"),
    "podReplacementPolicy": string(go="v1.PodReplacementPolicy"),
    "selector": opaque("v1.LabelSelector"),
    "successPolicy": opaque("v1.SuccessPolicy"),
    "suspend": boolean(),
    "template": obj({"metadata": OBJECT_META, "spec": POD_SPEC}, go="v1.PodTemplateSpec"),
    "ttlSecondsAfterFinished": int32(),
}, go="v1.JobSpec")

OBJECT_REFERENCE: Final = obj({
    "apiVersion": string(), "fieldPath": string(), "kind": string(), "name": string(), "namespace": string(),
    "resourceVersion": string(), "uid": string(go="types.UID"),
}, go="v1.ObjectReference")

BUILTIN_SCHEMAS: Final[dict[str, Schema]] = {
    "Pod": obj({**_TYPE, "spec": POD_SPEC, "status": opaque("v1.PodStatus")}, go="v1.Pod"),
    "Service": obj({**_TYPE, "spec": SERVICE_SPEC, "status": opaque("v1.ServiceStatus")}, go="v1.Service"),
    "ConfigMap": obj({**_TYPE, "binaryData": Schema("object", additional=string(go=BYTES)),
                      "data": str_map(), "immutable": boolean()}, go="v1.ConfigMap"),
    "Secret": obj({**_TYPE, "data": Schema("object", additional=string(go=BYTES)), "immutable": boolean(),
                   "stringData": str_map(), "type": string(go="v1.SecretType")}, go="v1.Secret"),
    "Job": obj({**_TYPE, "spec": JOB_SPEC, "status": opaque("v1.JobStatus")}, go="v1.Job"),
    "NetworkPolicy": obj({**_TYPE, "spec": opaque("v1.NetworkPolicySpec")}, go="v1.NetworkPolicy"),
    "Namespace": obj({**_TYPE, "spec": obj({"finalizers": array(string(go="v1.FinalizerName"))},
                                           go="v1.NamespaceSpec"),
                      "status": obj({"conditions": objects(go="v1.NamespaceCondition"),
                                     "phase": string(go="v1.NamespacePhase")}, go="v1.NamespaceStatus")},
                     go="v1.Namespace"),
    "Event": obj({
        **_TYPE, "action": string(), "count": int32(), "eventTime": string(go=MICRO_TIME),
        "firstTimestamp": string(go=TIME), "involvedObject": OBJECT_REFERENCE, "lastTimestamp": string(go=TIME),
        "message": string(), "reason": string(), "related": OBJECT_REFERENCE, "reportingComponent": string(),
        "reportingInstance": string(),
        "series": obj({"count": int32(), "lastObservedTime": string(go=MICRO_TIME)}, go="v1.EventSeries"),
        "source": obj({"component": string(), "host": string()}, go="v1.EventSource"), "type": string(),
    }, go="v1.Event"),
}
