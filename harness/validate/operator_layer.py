"""The operator layer: what KubeRay's own validation refuses, in its own words, from the simulator's own code.

The RayJob rules are ``harness.kuberay.validation``'s named checks, the RayCluster rules
``harness.kuberay.validation_cluster``'s; here they are asked for every failing check instead of the first one
(the simulated reconciler still stops at the first, as upstream does). The message of a RayJob finding is the
text the RayJob's ``status.message`` would show; for a RayCluster it is the Warning event's text.

Status rules are not applied: ``status`` is dropped when an object is created.

Not here: the checks (``harness.kuberay``), schema problems (:mod:`.schema_layer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..kuberay.validation import rayjob_metadata_problems, rayjob_spec_problems
from ..kuberay.validation_cluster import raycluster_spec_problems, validate_raycluster_metadata
from .findings import Finding
from .subject import Subject

_NAME_FIX: Final = ("use at most 47 characters: KubeRay names the RayCluster '<rayjob>-<5 characters>', which must fit "
                    "53")
RAYJOB_FIXES: Final[Mapping[str, tuple[str, str]]] = {  # check -> (field, fix)
    "name-length": ("metadata.name", _NAME_FIX),
    "name-dns1035": ("metadata.name", "use lowercase letters, digits and '-', starting with a letter and ending with "
                                      "a letter or digit; no dots (the name becomes part of Service names)"),
    "suspend-requires-shutdown": ("spec.suspend", "set shutdownAfterJobFinishes: true, or remove suspend: "
                                                  "suspending deletes the RayCluster"),
    "ttl-non-negative": ("spec.ttlSecondsAfterFinished", "write a number of seconds, 0 or more"),
    "ttl-requires-shutdown": ("spec.ttlSecondsAfterFinished",
                              "set shutdownAfterJobFinishes: true; the TTL only delays the deletion it asks for "
                              "(up to KubeRay v1.3 the TTL was silently ignored and the cluster stayed)"),
    "deletion-strategy": ("spec.deletionStrategy",
                          "use onSuccess and onFailure together, or deletionRules alone and without "
                          "shutdownAfterJobFinishes; rules need the RayJobDeletionPolicy feature gate (on by default "
                          "since v1.6)"),
    "suspend-with-cluster-selector": ("spec.suspend", "remove suspend: a RayJob never deletes a cluster it selected, "
                                                      "so it cannot suspend it"),
    "cluster-spec-or-selector": ("spec", "add rayClusterSpec (the cluster the RayJob creates) or "
                                         "clusterSelector: {ray.io/cluster: <an existing RayCluster>}"),
    "cluster-selector": ("spec.clusterSelector", "name an existing RayCluster with 'ray.io/cluster: <name>'; "
                                                 "selector mode allows neither SidecarMode nor backoffLimit > 0"),
    "interactive-backoff-limit": ("spec.backoffLimit", "remove backoffLimit: InteractiveMode waits for you to submit "
                                                       "the job, so it cannot retry it"),
    "sidecar-mode": ("spec.submissionMode", "in SidecarMode remove submitterPodTemplate and submitterConfig, and "
                                            "leave the head Pod's restartPolicy unset or Never"),
    "k8s-token-auth": ("spec.rayClusterSpec.authOptions.enableK8sTokenAuth",
                       "remove enableK8sTokenAuth: KubeRay v1.7 does not support Kubernetes token auth for RayJobs"),
    "runtime-env-yaml": ("spec.runtimeEnvYAML", "runtimeEnvYAML holds a YAML mapping as text: write "
                                                "'runtimeEnvYAML: |' and indent the runtime_env keys below it"),
    "active-deadline": ("spec.activeDeadlineSeconds", "write a positive number of seconds, or remove the field"),
    "pre-running-deadline": ("spec.preRunningDeadlineSeconds", "write a positive number of seconds, or remove the "
                                                               "field"),
    "backoff-limit": ("spec.backoffLimit", "write 0 (no retry) or a positive number of retries"),
}

RAYCLUSTER_FIXES: Final[Mapping[str, tuple[str, str]]] = {  # check -> (field below the cluster spec, fix)
    "head-container": ("headGroupSpec.template.spec.containers",
                       "add the Ray head container under headGroupSpec.template.spec.containers"),
    "head-group": ("headGroupSpec", "give resources either in rayStartParams or in the group's resources, not both; "
                                    "use the group's labels field, with valid label keys and values"),
    "worker-groups": ("workerGroupSpecs", "give every worker group a container and, without autoscaling, "
                                          "0 <= minReplicas <= maxReplicas; idleTimeoutSeconds and priority need "
                                          "autoscaler v2"),
    "gcs-fault-tolerance": ("gcsFaultToleranceOptions", "configure GCS fault tolerance only through "
                                                        "gcsFaultToleranceOptions (not the ray.io/ft-enabled "
                                                        "annotation, redis-password or RAY_REDIS_ADDRESS)"),
    "suspended-worker-groups": ("workerGroupSpecs", "remove suspend from the worker group, or enable the "
                                                    "RayJobDeletionPolicy feature gate"),
    "autoscaler": ("enableInTreeAutoscaling", "for autoscaler v2 set enableInTreeAutoscaling: true and "
                                              "autoscalerOptions.version: v2 (not the RAY_enable_autoscaler_v2 env "
                                              "var), with restartPolicy Never or unset"),
    "history-server": ("historyServerOptions", "historyServerOptions needs the RayClusterHistoryServer feature gate "
                                               "and collectorOptions with an image and STORAGE_BACKEND"),
    "auth": ("authOptions", "token auth needs authOptions.mode: token and rayVersion 2.52.0 or later (2.55.0 with "
                            "enableK8sTokenAuth)"),
    "network-policy": ("networkPolicy", "networkPolicy needs the RayClusterNetworkPolicy feature gate; its rules "
                                        "must match its mode and name existing worker groups"),
    "tls": ("tlsOptions", "tlsOptions needs the RayClusterMTLS feature gate; leave the TLS env vars and the ray-tls "
                          "volume mount to the operator"),
}


def _rayjob(subject: Subject) -> list[Finding]:
    job = subject.job
    if job is None:
        return []
    findings = []
    for name, message in rayjob_metadata_problems(job) + rayjob_spec_problems(job, subject.release.gates):
        if name.startswith("ray-cluster-spec/"):
            check = name.split("/", 1)[1]
            field, fix = RAYCLUSTER_FIXES[check]
            findings.append(subject.finding(f"operator/raycluster/{check}", message, fix,
                                            f"spec.rayClusterSpec.{field}"))
        else:
            field, fix = RAYJOB_FIXES[name]
            findings.append(subject.finding(f"operator/{name}", message, fix, field))
    return findings


def _raycluster(subject: Subject) -> list[Finding]:
    spec: Any = subject.stored.get("spec")
    meta = subject.stored.get("metadata") or {}
    namespace, name = subject.doc.namespace, subject.doc.manifest.name
    findings = []
    if (problem := validate_raycluster_metadata(name)) is not None:
        findings.append(subject.finding("operator/raycluster-name",
                                        f"The RayCluster metadata is invalid {namespace}/{name}: {problem}",
                                        "use at most 53 characters: lowercase letters, digits and '-', starting "
                                        "with a letter", "metadata.name"))
    if isinstance(spec, Mapping):
        written = meta.get("annotations")
        annotations: Mapping[str, str] = written if isinstance(written, Mapping) else {}
        for check, message in raycluster_spec_problems(spec, annotations, subject.release.gates):
            field, fix = RAYCLUSTER_FIXES[check]
            findings.append(subject.finding(f"operator/raycluster/{check}",
                                            f"The RayCluster spec is invalid {namespace}/{name}: {message}", fix,
                                            f"spec.{field}"))
    return findings


def check_operator(subject: Subject) -> list[Finding]:
    """Every failing operator check of a RayJob or a RayCluster the API server would store."""
    if subject.doc.manifest.kind == "RayJob":
        return _rayjob(subject)
    if subject.doc.manifest.kind == "RayCluster":
        return _raycluster(subject)
    return []
