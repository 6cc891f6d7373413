"""The Pod template embedded in KubeRay's CRDs (head, worker and submitter templates), as far as it is modelled.

KubeRay v1.7.0 embeds the full ``PodTemplateSpec`` schema. This table models its top levels: the template's
``metadata`` (which the CRD restricts to labels, annotations, finalizers, name and namespace, so anything else is
pruned), every ``PodSpec`` field name with its type, and every ``Container`` field name with the container
``ports``. Deeper structures (probes, volumes, affinity, resources, env entries...) are opaque: their type is
checked and their content kept as written.

Not here: RayJob and RayCluster fields (:mod:`.schema`); the same template in built-in Pods (:mod:`.builtin`).
"""

from __future__ import annotations

from typing import Final

from .schema_nodes import (
    Schema,
    any_map,
    array,
    boolean,
    int32,
    int64,
    obj,
    objects,
    opaque,
    str_map,
    string,
    strings,
)

TEMPLATE_METADATA: Final = obj({
    "annotations": str_map(),
    "finalizers": strings(),
    "labels": str_map(),
    "name": string(),
    "namespace": string(),
})

CONTAINER_PORT: Final = obj({
    "containerPort": int32(),
    "hostIP": string(),
    "hostPort": int32(),
    "name": string(),
    "protocol": string(default="TCP"),
}, required=("containerPort",))

CONTAINER: Final = obj({
    "args": strings(),
    "command": strings(),
    "env": objects(),
    "envFrom": objects(),
    "image": string(),
    "imagePullPolicy": string(),
    "lifecycle": opaque(),
    "livenessProbe": opaque(),
    "name": string(),
    "ports": array(CONTAINER_PORT),
    "readinessProbe": opaque(),
    "resizePolicy": objects(),
    "resources": opaque(),
    "restartPolicy": string(),
    "restartPolicyRules": objects(),
    "securityContext": opaque(),
    "startupProbe": opaque(),
    "stdin": boolean(),
    "stdinOnce": boolean(),
    "terminationMessagePath": string(),
    "terminationMessagePolicy": string(),
    "tty": boolean(),
    "volumeDevices": objects(),
    "volumeMounts": objects(),
    "workingDir": string(),
}, required=("name",))

POD_SPEC: Final = obj({
    "activeDeadlineSeconds": int64(),
    "affinity": opaque(),
    "automountServiceAccountToken": boolean(),
    # containers is a list-map keyed by name: two containers with one name are a Duplicate value
    "containers": array(CONTAINER, list_map_keys=("name",)),
    "dnsConfig": opaque(),
    "dnsPolicy": string(),
    "enableServiceLinks": boolean(),
    "ephemeralContainers": objects(),
    "hostAliases": objects(),
    "hostIPC": boolean(),
    "hostNetwork": boolean(),
    "hostPID": boolean(),
    "hostUsers": boolean(),
    "hostname": string(),
    "hostnameOverride": string(),
    "imagePullSecrets": objects(),
    "initContainers": objects(),
    "nodeName": string(),
    "nodeSelector": str_map(),
    "os": opaque(),
    "overhead": any_map(),
    "preemptionPolicy": string(),
    "priority": int32(),
    "priorityClassName": string(),
    "readinessGates": objects(),
    "resourceClaims": objects(),
    "resources": opaque(),
    "restartPolicy": string(),
    "runtimeClassName": string(),
    "schedulerName": string(),
    "schedulingGates": objects(),
    "schedulingGroup": opaque(),
    "securityContext": opaque(),
    "serviceAccount": string(),
    "serviceAccountName": string(),
    "setHostnameAsFQDN": boolean(),
    "shareProcessNamespace": boolean(),
    "subdomain": string(),
    "terminationGracePeriodSeconds": int64(),
    "tolerations": objects(),
    "topologySpreadConstraints": objects(),
    "volumes": objects(),
}, required=("containers",))

POD_TEMPLATE: Final[Schema] = obj({"metadata": TEMPLATE_METADATA, "spec": POD_SPEC})
