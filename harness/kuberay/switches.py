"""The operator switches KubeRay v1.7.0 reads, and which of them the simulator honours.

A switch a user sets (``--feature-gates``, an environment variable of the operator Deployment) is accepted only
when the simulated operator then behaves as the release does; anything else is refused with a message naming
what is not modelled. Never accepted-and-ignored:

- a feature gate's default value is always accepted (it is what the operator runs without the flag);
- the other value is accepted where the simulator models its effect (see :data:`GATES`);
- an environment variable is accepted when modelled, or when its value leaves the operator on its default
  behaviour (``ENABLE_PROBES_INJECTION=true``); names v1.7.0 does not read are refused as probable typos.

Gate and variable names, defaults and value parsing are upstream's (``pkg/features/features.go``, ``os.Getenv``
call sites in ``ray-operator``). Also here: the objects refused because a gate makes the operator build what the
simulator does not model (:func:`unmodelled_use`). Not here: the parsed configuration the controllers read
(:mod:`.profile`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..raysim.command import submitter_problem
from .gates import FeatureGates


@dataclass(frozen=True)
class GateSwitch:
    """One v1.7.0 feature gate: ``modelled`` lists the values the simulator honours besides the default."""

    name: str
    modelled: frozenset[bool]
    missing: str = ""  # what the other value would need, for the refusal message


GATES: Final[Mapping[str, GateSwitch]] = {gate.name: gate for gate in (
    GateSwitch("RayClusterStatusConditions", frozenset(),
               "a RayCluster controller that writes no status conditions"),
    GateSwitch("RayJobDeletionPolicy", frozenset({True, False})),
    GateSwitch("RayMultiHostIndexing", frozenset(), "multi-host worker pods without replica indexing"),
    # RayService only; the simulator serves no RayService, so either value leaves what it models unchanged.
    GateSwitch("RayServiceIncrementalUpgrade", frozenset({True, False})),
    GateSwitch("RayCronJob", frozenset({True, False})),
    GateSwitch("SidecarSubmitterRestart", frozenset({True, False})),
    GateSwitch("RayClusterNetworkPolicy", frozenset({True, False})),
    GateSwitch("GCSFaultToleranceEmbeddedStorage", frozenset({True, False})),
    GateSwitch("RayClusterMTLS", frozenset({True, False})),
    GateSwitch("RayClusterHistoryServer", frozenset({True, False})),
    GateSwitch("KubernetesWAS", frozenset(), "the Workload-Aware Scheduling batch scheduler"),
)}


def _true(value: str) -> bool:
    return value.strip().lower() == "true"


def _false(value: str) -> bool:
    return value.strip().lower() == "false"


@dataclass(frozen=True)
class EnvSwitch:
    """One environment variable the v1.7.0 operator reads; ``honoured(value)`` says whether the simulator
    behaves as the operator does with that value."""

    name: str
    honoured: Callable[[str], bool]
    missing: str = ""


def _always(_: str) -> bool:
    return True


ENV: Final[Mapping[str, EnvSwitch]] = {switch.name: switch for switch in (
    EnvSwitch("DELETE_RAYJOB_CR_AFTER_JOB_FINISHES", _always),
    EnvSwitch("RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS", _always),
    EnvSwitch("RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS", _always),
    EnvSwitch("ENABLE_DETERMINISTIC_HEAD_POD_NAME", _always),
    EnvSwitch("ENABLE_LOGIN_SHELL", _always),
    EnvSwitch("CLUSTER_DOMAIN", _always),
    # Read by the RayService controller only; the simulator serves no RayService.
    EnvSwitch("ENABLE_ZERO_DOWNTIME", _always),
    # Modelled at their default only: any other value changes what the operator builds or does.
    EnvSwitch("ENABLE_INIT_CONTAINER_INJECTION", lambda v: not _false(v),
              "worker pods without the wait-gcs-ready init container"),
    EnvSwitch("ENABLE_PROBES_INJECTION", lambda v: not _false(v), "Ray pods without injected probes"),
    EnvSwitch("ENABLE_GCS_FT_REDIS_CLEANUP", lambda v: not _false(v), "GCS fault tolerance without Redis cleanup"),
    EnvSwitch("ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE", lambda v: not _true(v), "a ClusterIP (not headless) head Service"),
    EnvSwitch("ENABLE_RANDOM_POD_DELETE", lambda v: not _true(v), "random deletion of surplus worker pods"),
    EnvSwitch("USE_INGRESS_ON_OPENSHIFT", lambda v: not _true(v), "OpenShift ingress for the head"),
    EnvSwitch("ENABLE_WEBHOOKS", lambda v: v != "true", "the validating admission webhooks"),  # exact match upstream
    EnvSwitch("RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV", lambda v: False, "a periodic RayCluster requeue"),
)}


def operator_problems(env: Mapping[str, str], feature_gates: Mapping[str, bool], *,
                      defaults: Mapping[str, bool] | None = None, release: str = "1.7.0") -> list[tuple[str, str]]:
    """Why the simulator cannot run an operator with these settings: (switch name, sentence) per switch.

    ``defaults`` are the release's gate defaults (those of the profile); a gate set to its default is accepted.
    """
    problems: list[tuple[str, str]] = []
    for name, value in feature_gates.items():
        gate = GATES.get(name)
        if gate is None:
            problems.append((name, f"feature gate {name} is not a gate of KubeRay v{release} (known gates: "
                                   f"{', '.join(GATES)})"))
        elif value != (defaults or {}).get(name, False) and value not in gate.modelled:
            problems.append((name, f"feature gate {name}={str(value).lower()} is not modelled by the simulator: "
                                   f"{gate.missing}"))
    for name, text in env.items():
        switch = ENV.get(name)
        if switch is None:
            modelled = ", ".join(n for n, s in ENV.items() if s.honoured is _always)
            problems.append((name, f"operator env {name} is not read by KubeRay v{release} (a typo? variables the "
                                   f"simulator models: {modelled})"))
        elif not switch.honoured(text):
            problems.append((name, f"operator env {name}={text} is not modelled by the simulator: {switch.missing}"))
    return problems


# -- objects that use what a gate turns on -------------------------------------------------------------------------


def _cluster_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec") or {}
    cluster = spec.get("rayClusterSpec") if obj.get("kind") == "RayJob" else spec
    return cluster if isinstance(cluster, Mapping) else {}


def unmodelled_use(obj: Mapping[str, Any], gates: FeatureGates) -> tuple[str, str] | None:
    """Why the simulator refuses ``obj`` (a RayJob or RayCluster) under these gates: (field path, reason), or None.

    With a gate on, valid specs make the operator build things the simulator does not model; refusing the object
    is honest where running it without them would not be.
    """
    submitter = _submitter_problem(obj)
    if submitter is not None:
        return submitter
    spec = _cluster_spec(obj)
    base = "spec.rayClusterSpec" if obj.get("kind") == "RayJob" else "spec"
    if obj.get("kind") == "RayCluster" and (spec.get("authOptions") or {}).get("enableK8sTokenAuth") is True:
        return (f"{base}.authOptions.enableK8sTokenAuth",
                "authOptions.enableK8sTokenAuth: Ray then delegates authentication to the Kubernetes API server "
                "through projected ServiceAccount tokens, which the simulator does not model")
    if gates.ray_cluster_history_server and (spec.get("historyServerOptions") or {}).get("collectorOptions"):
        return (f"{base}.historyServerOptions",
                "historyServerOptions.collectorOptions with the RayClusterHistoryServer gate on: the operator then "
                "injects the ray-history-collector sidecar into every Ray pod, which the simulator does not model")
    options = spec.get("gcsFaultToleranceOptions")
    if gates.gcs_fault_tolerance_embedded_storage and isinstance(options, Mapping) and \
            options.get("backend") == "rocksdb":
        return (f"{base}.gcsFaultToleranceOptions.backend",
                "gcsFaultToleranceOptions.backend=rocksdb with the GCSFaultToleranceEmbeddedStorage gate on: the "
                "operator then creates the GCS storage PersistentVolumeClaim and wires it into the head pod, which "
                "the simulator does not model")
    return None


def _submitter_problem(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """A K8sJobMode ``submitterPodTemplate`` whose own command the simulator cannot run (KubeRay keeps it)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") != "RayJob" or spec.get("submissionMode", "K8sJobMode") != "K8sJobMode":
        return None
    template = spec.get("submitterPodTemplate")
    containers = ((template or {}).get("spec") or {}).get("containers") if isinstance(template, Mapping) else None
    if not isinstance(containers, list) or not containers or not isinstance(containers[0], Mapping):
        return None
    if not containers[0].get("command"):
        return None  # KubeRay sets its own command (and args) when the container has none
    problem = submitter_problem(containers[0])
    if problem is None:
        return None
    return ("spec.submitterPodTemplate.spec.containers[0].command",
            f"the submitter container's command is kept by KubeRay and must be what runs, but {problem} "
            "(modelled: KubeRay's own script, bash/sh -c scripts of ray job submit/status/logs/stop, echo, sleep, "
            "exit, true, false, set -e and the light-weight /submitter)")


def cronjob_warning(obj: Mapping[str, Any], gates: FeatureGates) -> str | None:
    """A RayCronJob is stored whatever the gate (the CRD is always installed), but only the gate runs it."""
    if obj.get("kind") != "RayCronJob" or gates.ray_cron_job:
        return None
    name = (obj.get("metadata") or {}).get("name", "")
    return (f"RayCronJob {name}: the operator runs the RayCronJob controller only with --feature-gates="
            "RayCronJob=true (alpha, off by default), so this RayCronJob creates no RayJobs")


def network_policy_warning(obj: Mapping[str, Any], gates: FeatureGates) -> str | None:
    """A warning for a network policy that would isolate a real cluster more than the simulator can show."""
    if not gates.ray_cluster_network_policy:
        return None
    config = _cluster_spec(obj).get("networkPolicy")
    if not isinstance(config, Mapping) or (config.get("mode") or "DenyAll") not in ("DenyAll", "DenyAllEgress"):
        return None
    head_rules = (config.get("head") or {}).get("egressRules")
    worker_rules = (config.get("worker") or {}).get("egressRules")
    if head_rules or worker_rules or any(g.get("egressRules") for g in config.get("workerGroups") or []):
        return None
    name = (obj.get("metadata") or {}).get("name", "")
    return (f"{obj.get('kind')} {name}: networkPolicy mode {config.get('mode') or 'DenyAll'} restricts egress and "
            "KubeRay adds no DNS egress rule, so on a real cluster the workers cannot resolve the head Service; "
            "the simulator does not enforce NetworkPolicies (add a DNS rule to head.egressRules and "
            "worker.egressRules)")
