"""KubeRay v1.7.0's ``ValidateRayClusterSpec``: the RayCluster rules the operator applies to a RayJob's
``rayClusterSpec`` (and to RayClusters), with upstream's exact messages and order; the first failure wins.
The rules are ordered, named checks (:data:`RAYCLUSTER_SPEC_CHECKS`), so :func:`raycluster_spec_problems` can also
report every failing one; ``ValidateRayClusterMetadata`` (name length and format) is here too.

It works on the raw ``rayClusterSpec`` mapping, reading absent fields as Go's zero values (nil pointers, empty
strings and maps), because the RayJob model keeps the cluster spec raw, as KubeRay deep-copies it.
Where upstream iterates a Go map (label checks), keys are taken in sorted order so results repeat.

Not here: the RayJob rules (:mod:`.validation`, which calls this module); the API server's schema checks
(``harness.manifests``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .._util.gofmt import (
    dns1035_label,
    dns1123_label,
    go_list,
    go_quote,
    label_value,
    parse_generic_version,
    qualified_name,
    version_less,
)
from .gates import FeatureGates

AUTOSCALER_V2_ENV: Final = "RAY_enable_autoscaler_v2"
MAX_RAYCLUSTER_NAME_LENGTH: Final = 53  # MaxRayClusterNameLength: longer names would truncate derived Service names
_TLS_ENV: Final = ("RAY_USE_TLS", "RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT")
_TLS_VOLUME, _TLS_PATH = "ray-tls", "/etc/ray/tls"
_GCS_VOLUME, _GCS_PATH = "gcs-storage", "/data/gcs"
_OPERATOR_MANAGED = "- the operator manages TLS configuration automatically"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _pod_spec(group: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(_map(group.get("template")).get("spec"))


def _containers(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [_map(c) for c in _list(_pod_spec(group).get("containers"))]


def _group_name(worker: Mapping[str, Any]) -> str:
    return str(worker.get("groupName") or "")


def env_var(name: str, env: Any) -> Mapping[str, Any] | None:
    """``EnvVarByName``: the first entry with that name."""
    return next((_map(e) for e in _list(env) if _map(e).get("name") == name), None)


def autoscaling_enabled(spec: Mapping[str, Any]) -> bool:
    return spec.get("enableInTreeAutoscaling") is True


def autoscaling_v2(spec: Mapping[str, Any]) -> bool:
    return _map(spec.get("autoscalerOptions")).get("version") == "v2"


def _v2_by_env(head: Mapping[str, Any]) -> bool:
    found = env_var(AUTOSCALER_V2_ENV, head.get("env"))
    return found is not None and found.get("value") in ("1", "true")


def _version_gate(ray_version: str, minimum: str, unset: str, invalid: str, old: str) -> str | None:
    if not ray_version:
        return unset
    parsed, problem = parse_generic_version(ray_version)
    if parsed is None:
        return f"{invalid}: {ray_version}, {problem}"
    if version_less(parsed, tuple(int(p) for p in minimum.split("."))):
        return f"{old}, got {ray_version}"
    return None


# -- groups ------------------------------------------------------------------------------------------------------


def _group_resources(group: str, params: Mapping[str, Any], resources: Mapping[str, Any]) -> str | None:
    if any(params.get(key, "") != "" for key in ("num-cpus", "num-gpus", "memory", "resources")) and resources:
        return (f"resource fields should not be set in both rayStartParams and Resources for {group} group; "
                f"please use only one")
    return None


def _group_labels(group: str, params: Mapping[str, Any], labels: Mapping[str, Any]) -> str | None:
    if "labels" in params:
        return (f"rayStartParams['labels'] is not supported for {group} group; please use the top-level Labels "
                f"field instead")
    problems = []
    for key in sorted(labels):
        problems += [f"invalid label key for {group} group: '{key}', error: {e}" for e in qualified_name(key)]
        value = str(labels[key])
        problems += [f"invalid label value for key '{key}' in {group} group: '{value}', error: {e}"
                     for e in label_value(value)]
    return "; ".join(problems) or None


def _worker_idle_timeout(worker: Mapping[str, Any], spec: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    name, timeout = _group_name(worker), worker.get("idleTimeoutSeconds")
    if timeout is None:
        return None
    if timeout < 0:
        return f"worker group {name}: idleTimeoutSeconds must be non-negative, got {timeout}"
    if autoscaling_v2(spec) or _v2_by_env(head):
        return None
    return (f"worker group {name}: idleTimeoutSeconds is set, but autoscaler v2 is not enabled. Please set "
            f".spec.autoscalerOptions.version to 'v2' (or set {AUTOSCALER_V2_ENV} environment variable to 'true' "
            f"in the head pod if using KubeRay < 1.4.0)")


def _worker_priority(worker: Mapping[str, Any], spec: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    name, priority = _group_name(worker), worker.get("priority")
    if not priority:
        return None
    prefix = f"worker group {name}: priority is set"
    problem = _version_gate(str(spec.get("rayVersion") or ""), "2.56.0",
                            f"{prefix}, but RayVersion was not specified. Ray version 2.56.0 or later is required",
                            f"{prefix}, but RayVersion format is invalid",
                            f"{prefix}, but minimum Ray version is 2.56.0")
    if problem or autoscaling_v2(spec) or _v2_by_env(head):
        return problem
    return (f"worker group {name}: priority is set to {priority}, but autoscaler v2 is not enabled. Priority is only "
            f"supported with autoscaler v2 enabled")


def _workers(spec: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    autoscaling = autoscaling_enabled(spec)
    for worker in map(_map, _list(spec.get("workerGroupSpecs"))):
        if not _containers(worker):
            return "workerGroupSpec should have at least one container"
        name, low, high = _group_name(worker), worker.get("minReplicas"), worker.get("maxReplicas")
        if not autoscaling and (low is None or high is None):
            return f"worker group {name} must set both minReplicas and maxReplicas when autoscaling is disabled"
        if low is not None and low < 0:
            return f"worker group {name} has negative minReplicas {low}"
        if high is not None and high < 0:
            return f"worker group {name} has negative maxReplicas {high}"
        if low is not None and high is not None and low > high:
            return f"worker group {name} has minReplicas {low} greater than maxReplicas {high}"
        params = _map(worker.get("rayStartParams"))
        problem = (_group_resources(name, params, _map(worker.get("resources")))
                   or _group_labels(name, params, _map(worker.get("labels")))
                   or _worker_idle_timeout(worker, spec, head) or _worker_priority(worker, spec, head))
        if problem:
            return problem
    return None


# -- GCS fault tolerance -----------------------------------------------------------------------------------------


def _gcs_backend(options: Mapping[str, Any], head: Mapping[str, Any], head_pod: Mapping[str, Any],
                 gates: FeatureGates) -> str | None:
    """``validateGcsFaultToleranceBackend``."""
    if (options.get("backend") or "redis") != "rocksdb":
        if options.get("storage") is not None:
            return ("cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the "
                    "'rocksdb' backend")
        return None
    if not gates.gcs_fault_tolerance_embedded_storage:
        return ("the embedded RocksDB GCS fault tolerance backend (GcsFaultToleranceOptions.Backend: 'rocksdb') "
                "requires the GCSFaultToleranceEmbeddedStorage feature gate to be enabled")
    for key, label in (("redisAddress", "RedisAddress"), ("redisUsername", "RedisUsername"),
                       ("redisPassword", "RedisPassword"), ("externalStorageNamespace", "ExternalStorageNamespace")):
        value = options.get(key)
        if value is not None and value != "":
            return f"cannot set GcsFaultToleranceOptions.{label} when backend is 'rocksdb'"
    storage = _map(options.get("storage"))
    if storage.get("claimName") and (storage.get("size") is not None or storage.get("storageClassName") is not None
                                     or _list(storage.get("accessModes"))):
        return ("GcsFaultToleranceOptions.Storage.ClaimName is mutually exclusive with size, storageClassName, "
                "and accessModes")
    if env_var("RAY_gcs_storage", head.get("env")) or env_var("RAY_gcs_storage_path", head.get("env")):
        return ("cannot set `RAY_gcs_storage` or `RAY_gcs_storage_path` env var in head Pod when the embedded GCS "
                "FT backend is used - these are managed by KubeRay")
    for mount in map(_map, _list(head.get("volumeMounts"))):
        if mount.get("mountPath") == _GCS_PATH or mount.get("name") == _GCS_VOLUME:
            return (f"cannot set a volume mount named {go_quote(_GCS_VOLUME)} or mounted at {_GCS_PATH} in the head "
                    f"container when the embedded GCS FT backend is used - it is managed by KubeRay")
    if any(_map(v).get("name") == _GCS_VOLUME for v in _list(head_pod.get("volumes"))):
        return (f"cannot set a volume named {go_quote(_GCS_VOLUME)} in the head Pod when the embedded GCS FT backend "
                f"is used - it is managed by KubeRay")
    return None


def _gcs(spec: Mapping[str, Any], annotations: Mapping[str, str], head_group: Mapping[str, Any],
         head: Mapping[str, Any], gates: FeatureGates) -> str | None:
    options = spec.get("gcsFaultToleranceOptions")
    if annotations.get("ray.io/ft-enabled", "") != "" and options is not None:
        return ("ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. Please use only "
                "GcsFaultToleranceOptions to configure GCS fault tolerance")
    ft_enabled = annotations.get("ray.io/ft-enabled", "").lower() == "true" or options is not None
    if not ft_enabled and env_var("RAY_REDIS_ADDRESS", head.get("env")):
        return ("RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but GcsFaultToleranceOptions "
                "is not set. Please set GcsFaultToleranceOptions to enable GCS fault tolerance")
    params = _map(head_group.get("rayStartParams"))
    if options is not None:
        if params.get("redis-password", ""):
            return ("cannot set `redis-password` in rayStartParams when GcsFaultToleranceOptions is enabled - use "
                    "GcsFaultToleranceOptions.RedisPassword instead")
        if env_var("REDIS_PASSWORD", head.get("env")):
            return ("cannot set `REDIS_PASSWORD` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
                    "GcsFaultToleranceOptions.RedisPassword instead")
        if env_var("RAY_REDIS_ADDRESS", head.get("env")):
            return ("cannot set `RAY_REDIS_ADDRESS` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
                    "GcsFaultToleranceOptions.RedisAddress instead")
        if annotations.get("ray.io/external-storage-namespace", ""):
            return ("cannot set `ray.io/external-storage-namespace` annotation when GcsFaultToleranceOptions is "
                    "enabled - use GcsFaultToleranceOptions.ExternalStorageNamespace instead")
        problem = _gcs_backend(_map(options), head, _pod_spec(head_group), gates)
        if problem:
            return problem
    if params.get("redis-username", "") or env_var("REDIS_USERNAME", head.get("env")):
        return ("cannot set redis username in rayStartParams or environment variables - use "
                "GcsFaultToleranceOptions.RedisUsername instead")
    return None


# -- autoscaler, history server, auth ----------------------------------------------------------------------------


def _autoscaler(spec: Mapping[str, Any], head_group: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    workers = [_map(w) for w in _list(spec.get("workerGroupSpecs"))]
    options = _map(spec.get("autoscalerOptions"))
    if not autoscaling_enabled(spec):
        found = env_var(AUTOSCALER_V2_ENV, head.get("env"))
        if found is not None and found.get("value") in ("1", "true"):
            return (f"environment variable {AUTOSCALER_V2_ENV} cannot be set to '{found.get('value')}' when "
                    f"enableInTreeAutoscaling is false. Please set enableInTreeAutoscaling: true to use autoscaler v2")
    else:
        for worker in workers:
            if worker.get("suspend") is True:
                return f"worker group {_group_name(worker)} cannot be suspended with Autoscaler enabled"
        if options.get("version") is not None and env_var(AUTOSCALER_V2_ENV, head.get("env")):
            return (f"both .spec.autoscalerOptions.version and head Pod env var {AUTOSCALER_V2_ENV} are set, please "
                    f"only use the former")
        if autoscaling_v2(spec):
            if _pod_spec(head_group).get("restartPolicy", "") not in ("", "Never"):
                return "restartPolicy for head Pod should be Never or unset when using autoscaler V2"
            for worker in workers:
                if _pod_spec(worker).get("restartPolicy", "") not in ("", "Never"):
                    return (f"restartPolicy for worker group {_group_name(worker)} should be Never or unset "
                            f"when using autoscaler V2")
    timeout = options.get("idleTimeoutSeconds")
    if timeout is not None and timeout < 0:
        return f"autoscalerOptions.idleTimeoutSeconds must be non-negative, got {timeout}"
    if env_var("KUBERAY_GEN_AUTOSCALER_START_CMD", options.get("env")):
        return ("autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD: it is managed by KubeRay "
                "and injected automatically into the autoscaler container")
    return None


_COLLECTOR_MANAGED_ENV: Final = ("POD_IP", "FQ_RAY_IP", "RAY_CLUSTER_NAME", "RAY_CLUSTER_NAMESPACE", "RAY_ROLE",
                                 "OWNER_KIND", "OWNER_NAME", "EVENTS_PORT")


def _collector(options: Mapping[str, Any]) -> str | None:
    """``validateCollectorOptions``."""
    if not options.get("image"):
        return "historyServerOptions.collectorOptions.image must be set"
    env = {str(_map(e).get("name")): _map(e) for e in _list(options.get("env"))}

    def has_value(name: str) -> bool:
        return name in env and (env[name].get("value", "") != "" or env[name].get("valueFrom") is not None)

    for name in _COLLECTOR_MANAGED_ENV:
        if name in env:
            return (f"historyServerOptions.collectorOptions.env must not contain {name}: it is managed by KubeRay "
                    f"and injected automatically into the collector container")
    backend = str(env.get("STORAGE_BACKEND", {}).get("value") or "")
    if not backend:
        return ("STORAGE_BACKEND environment variable must be set with a literal string value in "
                "historyServerOptions.collectorOptions.env")
    backend = backend.upper()
    required = {"GCS": ("GCS_BUCKET",), "S3": ("S3_REGION",), "ALIYUNOSS": ("OSS_BUCKET", "OSS_ENDPOINT", "OSS_REGION")}
    for name in required.get(backend, ()):
        if not has_value(name):
            return f"{name} environment variable must be set when STORAGE_BACKEND is {backend}"
    if backend == "AZUREBLOB":
        mode = str(env.get("AZURE_STORAGE_AUTH_MODE", {}).get("value") or "").strip().lower()
        if mode == "connection_string" and not has_value("AZURE_STORAGE_CONNECTION_STRING"):
            return ("AZURE_STORAGE_CONNECTION_STRING environment variable must be set when STORAGE_BACKEND is "
                    "AZUREBLOB and AZURE_STORAGE_AUTH_MODE is connection_string")
        if mode in ("workload_identity", "default") and not has_value("AZURE_STORAGE_ACCOUNT_URL"):
            return (f"AZURE_STORAGE_ACCOUNT_URL environment variable must be set when STORAGE_BACKEND is AZUREBLOB "
                    f"and AZURE_STORAGE_AUTH_MODE is {mode}")
        if mode not in ("connection_string", "workload_identity", "default") and not (
                has_value("AZURE_STORAGE_CONNECTION_STRING") or has_value("AZURE_STORAGE_ACCOUNT_URL")):
            return ("either AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL environment variable must be "
                    "set when STORAGE_BACKEND is AZUREBLOB")
    return None


def _history_server(spec: Mapping[str, Any], head_group: Mapping[str, Any], gates: FeatureGates) -> str | None:
    if spec.get("historyServerOptions") is None:
        return None
    if not gates.ray_cluster_history_server:
        return "RayClusterHistoryServer feature gate is not enabled"
    options = _map(spec.get("historyServerOptions")).get("collectorOptions")
    if options is None:
        return "historyServerOptions.collectorOptions must be set"
    problem = _collector(_map(options))
    if problem:
        return problem
    if any(c.get("name") == "ray-history-collector" for c in _containers(head_group)):
        return ("head pod template must not define a container with name 'ray-history-collector' when history "
                "server collector options are enabled")
    for worker in map(_map, _list(spec.get("workerGroupSpecs"))):
        if any(c.get("name") == "ray-history-collector" for c in _containers(worker)):
            return (f"worker group {_group_name(worker)} pod template must not define a container with name "
                    f"'ray-history-collector' when history server collector options are enabled")
    return None


def k8s_auth_enabled(spec: Mapping[str, Any]) -> bool:
    """``IsK8sAuthEnabled``: ``authOptions.enableK8sTokenAuth`` is true."""
    return _map(spec.get("authOptions")).get("enableK8sTokenAuth") is True


def _auth(spec: Mapping[str, Any]) -> str | None:
    auth = _map(spec.get("authOptions"))
    if auth.get("mode") != "token":
        if k8s_auth_enabled(spec):
            return "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'"
        return None
    ray_version = str(spec.get("rayVersion") or "")
    problem = _version_gate(
        ray_version, "2.52.0",
        "authOptions.mode is 'token' but RayVersion was not specified. Ray version 2.52.0 or later is required",
        "authOptions.mode is 'token' but RayVersion format is invalid",
        "authOptions.mode is 'token' but minimum Ray version is 2.52.0")
    if problem or not k8s_auth_enabled(spec):
        return problem
    parsed, _ = parse_generic_version(ray_version)
    if parsed is not None and version_less(parsed, (2, 55, 0)):
        return f"authOptions.enableK8sTokenAuth is enabled but minimum Ray version is 2.55.0, got {ray_version}"
    if auth.get("secretName"):
        return "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set"
    return None


# -- network policy and TLS --------------------------------------------------------------------------------------


def _rules_against_mode(where: str, rules: Mapping[str, Any], mode: str) -> str | None:
    """Ingress rules only make sense when ingress is denied, egress rules when egress is."""
    if mode == "DenyAllEgress" and _list(rules.get("ingressRules")):
        return f"{where}.ingressRules cannot be set when mode is {go_quote(mode)} (ingress is not restricted)"
    if mode == "DenyAllIngress" and _list(rules.get("egressRules")):
        return f"{where}.egressRules cannot be set when mode is {go_quote(mode)} (egress is not restricted)"
    return None


def _network_policy(spec: Mapping[str, Any]) -> str | None:
    """``validateNetworkPolicy`` (reached only with the RayClusterNetworkPolicy gate on)."""
    policy = spec.get("networkPolicy")
    if policy is None:
        return None
    policy = _map(policy)
    mode = policy.get("mode") or "DenyAll"
    for side, rules in (("head", _map(policy.get("head"))), ("worker", _map(policy.get("worker")))):
        if problem := _rules_against_mode(f"networkPolicy.{side}", rules, mode):
            return problem
    names = []
    for worker in map(_map, _list(spec.get("workerGroupSpecs"))):
        name = _group_name(worker)
        if problems := dns1123_label(name):
            return (f"worker group name {go_quote(name)} must be a valid DNS1123 label when networkPolicy is enabled "
                    f"(it is embedded in the NetworkPolicy name): {go_list(problems)}")
        names.append(name)
    for group in map(_map, _list(policy.get("workerGroups"))):
        name = _group_name(group)
        where = f"networkPolicy.workerGroups[{go_quote(name)}]"
        if problem := _rules_against_mode(where, group, mode):
            return problem
        if name not in names:
            return f"{where} does not match any group name in workerGroupSpecs"
    return None


def _tls_mounts(container: Mapping[str, Any], location: str) -> str | None:
    for mount in map(_map, _list(container.get("volumeMounts"))):
        if mount.get("name") == _TLS_VOLUME:
            return (f"cannot use volume mount named {go_quote(_TLS_VOLUME)} in {location} when tlsOptions is set "
                    f"{_OPERATOR_MANAGED}")
        if mount.get("mountPath") == _TLS_PATH:
            return (f"cannot use volume mount at path {go_quote(_TLS_PATH)} in {location} when tlsOptions is set "
                    f"{_OPERATOR_MANAGED}")
    return None


def _tls(spec: Mapping[str, Any], head_group: Mapping[str, Any], gates: FeatureGates) -> str | None:
    """``validateTLSOptions``: with TLS on, the operator owns the TLS env vars and the ``ray-tls`` mount."""
    if not (gates.ray_cluster_mtls and _map(spec.get("tlsOptions")).get("enabled") is True):
        return None
    groups = [("head Pod", "head Pod", head_group)] + [
        (f"worker group {go_quote(_group_name(w))}",) * 2 + (w,)
        for w in map(_map, _list(spec.get("workerGroupSpecs")))]
    for env_location, mount_location, group in groups:
        containers = _containers(group)
        if not containers:
            continue
        for name in _TLS_ENV:
            if env_var(name, containers[0].get("env")):
                return (f"cannot set {name} environment variable in {env_location} when tlsOptions is set "
                        f"{_OPERATOR_MANAGED}")
        if problem := _tls_mounts(containers[0], mount_location):
            return problem
    options = spec.get("autoscalerOptions")
    if options is not None:
        for name in _TLS_ENV:
            if env_var(name, _map(options).get("env")):
                return (f"cannot set {name} environment variable in autoscalerOptions.env when tlsOptions is set - the "
                        f"operator manages TLS configuration for the autoscaler automatically")
        return _tls_mounts(_map(options), "autoscalerOptions.volumeMounts")
    return None


# -- the whole spec ----------------------------------------------------------------------------------------------


ClusterCheck = Callable[[Mapping[str, Any], Mapping[str, str], FeatureGates], "str | None"]


def _head(spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The head group and its first container (empty when there is none)."""
    head_group = _map(spec.get("headGroupSpec"))
    containers = _containers(head_group)
    return head_group, containers[0] if containers else {}


def _head_container(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    if not _containers(_map(spec.get("headGroupSpec"))):
        return "headGroupSpec should have at least one container"
    return None


def _head_group_params(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    head_group, _ = _head(spec)
    params = _map(head_group.get("rayStartParams"))
    return (_group_resources("Head", params, _map(head_group.get("resources")))
            or _group_labels("Head", params, _map(head_group.get("labels"))))


def _worker_groups(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    return _workers(spec, _head(spec)[1])


def _gcs_fault_tolerance(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    head_group, head = _head(spec)
    return _gcs(spec, annotations, head_group, head, gates)


def _suspended_workers(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    if gates.rayjob_deletion_policy:
        return None
    for worker in map(_map, _list(spec.get("workerGroupSpecs"))):
        if worker.get("suspend") is True:
            return (f"worker group {_group_name(worker)} can be suspended only when the "
                    f"RayJobDeletionPolicy feature gate is enabled")
    return None


def _autoscaler_options(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    head_group, head = _head(spec)
    return _autoscaler(spec, head_group, head)


def _history_server_options(spec: Mapping[str, Any], annotations: Mapping[str, str],
                            gates: FeatureGates) -> str | None:
    return _history_server(spec, _head(spec)[0], gates)


def _auth_options(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    return _auth(spec)


def _network_policy_options(spec: Mapping[str, Any], annotations: Mapping[str, str],
                            gates: FeatureGates) -> str | None:
    if spec.get("networkPolicy") is not None and not gates.ray_cluster_network_policy:
        return "spec.networkPolicy requires the RayClusterNetworkPolicy feature gate to be enabled"
    return _network_policy(spec)


def _tls_options(spec: Mapping[str, Any], annotations: Mapping[str, str], gates: FeatureGates) -> str | None:
    if spec.get("tlsOptions") is not None and not gates.ray_cluster_mtls:
        return "spec.tlsOptions requires the RayClusterMTLS feature gate to be enabled"
    return _tls(spec, _head(spec)[0], gates)


# ``ValidateRayClusterSpec`` at v1.7.0, in upstream's order; upstream returns at the first failing check.
RAYCLUSTER_SPEC_CHECKS: Final[tuple[tuple[str, ClusterCheck], ...]] = (
    ("head-container", _head_container),
    ("head-group", _head_group_params),
    ("worker-groups", _worker_groups),
    ("gcs-fault-tolerance", _gcs_fault_tolerance),
    ("suspended-worker-groups", _suspended_workers),
    ("autoscaler", _autoscaler_options),
    ("history-server", _history_server_options),
    ("auth", _auth_options),
    ("network-policy", _network_policy_options),
    ("tls", _tls_options),
)


def validate_raycluster_spec(spec: Mapping[str, Any], annotations: Mapping[str, str],
                             gates: FeatureGates) -> str | None:
    """``ValidateRayClusterSpec`` at v1.7.0: the first failing rule's message, or None."""
    for _, check in RAYCLUSTER_SPEC_CHECKS:
        if (problem := check(spec, annotations, gates)) is not None:
            return problem
    return None


def raycluster_spec_problems(spec: Mapping[str, Any], annotations: Mapping[str, str],
                             gates: FeatureGates) -> list[tuple[str, str]]:
    """Every failing check of :data:`RAYCLUSTER_SPEC_CHECKS` as (check name, upstream message), in order.

    Without a head container the later checks read the head as empty, where upstream would have stopped.
    """
    return [(name, problem) for name, check in RAYCLUSTER_SPEC_CHECKS
            if (problem := check(spec, annotations, gates)) is not None]


def validate_raycluster_metadata(name: str) -> str | None:
    """``ValidateRayClusterMetadata``: what the RayCluster controller checks before anything else."""
    if len(name.encode()) > MAX_RAYCLUSTER_NAME_LENGTH:
        return f"RayCluster name should be no more than {MAX_RAYCLUSTER_NAME_LENGTH} characters"
    if problems := dns1035_label(name):
        return f"RayCluster name should be a valid DNS1035 label: {go_list(problems)}"
    return None
