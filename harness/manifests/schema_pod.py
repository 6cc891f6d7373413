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
    "protocol": string(default="TCP", go="v1.Protocol"),
}, required=("containerPort",), go="v1.ContainerPort")

CONTAINER: Final = obj({
    "args": strings(),
    "command": strings(),
    "env": objects(go="v1.EnvVar"),
    "envFrom": objects(go="v1.EnvFromSource"),
    "image": string(),
    "imagePullPolicy": string(go="v1.PullPolicy"),
    "lifecycle": opaque("v1.Lifecycle"),
    "livenessProbe": opaque("v1.Probe"),
    "name": string(),
    "ports": array(CONTAINER_PORT),
    "readinessProbe": opaque("v1.Probe"),
    "resizePolicy": objects(go="v1.ContainerResizePolicy"),
    "resources": opaque("v1.ResourceRequirements"),
    "restartPolicy": string(go="v1.ContainerRestartPolicy"),
    "restartPolicyRules": objects(go="v1.ContainerRestartRule"),
    "securityContext": opaque("v1.SecurityContext"),
    "startupProbe": opaque("v1.Probe"),
    "stdin": boolean(),
    "stdinOnce": boolean(),
    "terminationMessagePath": string(),
    "terminationMessagePolicy": string(go="v1.TerminationMessagePolicy"),
    "tty": boolean(),
    "volumeDevices": objects(go="v1.VolumeDevice"),
    "volumeMounts": objects(go="v1.VolumeMount"),
    "workingDir": string(),
}, required=("name",), go="v1.Container")

POD_SPEC: Final = obj({
    "activeDeadlineSeconds": int64(),
    "affinity": opaque("v1.Affinity"),
    "automountServiceAccountToken": boolean(),
    # containers is a list-map keyed by name: two containers with one name are a Duplicate value
    "containers": array(CONTAINER, list_map_keys=("name",)),
    "dnsConfig": opaque("v1.PodDNSConfig"),
    "dnsPolicy": string(go="v1.DNSPolicy"),
    "enableServiceLinks": boolean(),
    "ephemeralContainers": objects(go="v1.EphemeralContainer"),
    "hostAliases": objects(go="v1.HostAlias"),
    "hostIPC": boolean(),
    "hostNetwork": boolean(),
    "hostPID": boolean(),
    "hostUsers": boolean(),
    "hostname": string(),
    "hostnameOverride": string(),
    "imagePullSecrets": objects(go="v1.LocalObjectReference"),
    "initContainers": objects(go="v1.Container"),
    "nodeName": string(),
    "nodeSelector": str_map(),
    "os": opaque("v1.PodOS"),
    "overhead": any_map("v1.ResourceList"),
    "preemptionPolicy": string(go="v1.PreemptionPolicy"),
    "priority": int32(),
    "priorityClassName": string(),
    "readinessGates": objects(go="v1.PodReadinessGate"),
    "resourceClaims": objects(go="v1.PodResourceClaim"),
    "resources": opaque("v1.ResourceRequirements"),
    "restartPolicy": string(go="v1.RestartPolicy"),
    "runtimeClassName": string(),
    "schedulerName": string(),
    "schedulingGates": objects(go="v1.PodSchedulingGate"),
    "schedulingGroup": opaque("v1.PodSchedulingGroup"),
    "securityContext": opaque("v1.PodSecurityContext"),
    "serviceAccount": string(),
    "serviceAccountName": string(),
    "setHostnameAsFQDN": boolean(),
    "shareProcessNamespace": boolean(),
    "subdomain": string(),
    "terminationGracePeriodSeconds": int64(),
    "tolerations": objects(go="v1.Toleration"),
    "topologySpreadConstraints": objects(go="v1.TopologySpreadConstraint"),
    "volumes": objects(go="v1.Volume"),
}, required=("containers",), go="v1.PodSpec")

POD_TEMPLATE: Final[Schema] = obj({"metadata": TEMPLATE_METADATA, "spec": POD_SPEC}, go="v1.PodTemplateSpec")
