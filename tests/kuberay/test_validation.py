"""KubeRay v1.7.0's own RayJob validation: one test per rule, each asserting upstream's exact message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness._util.jsoncopy import deep_copy
from harness.kuberay.gates import FeatureGates
from harness.kuberay.validation import (
    rayjob_metadata_problems,
    rayjob_spec_problems,
    runtime_env_yaml_error,
    validate_rayjob_metadata,
    validate_rayjob_spec,
    validate_rayjob_status,
    validation_error,
)
from harness.kuberay.validation_cluster import (
    raycluster_spec_problems,
    validate_raycluster_metadata,
    validate_raycluster_spec,
)
from harness.model.rayjob import RayJob

SPEC = "The RayJob spec is invalid: "
GATES = FeatureGates()

_CLUSTER: dict[str, Any] = {
    "rayVersion": "2.52.0",
    "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
        {"name": "ray-head", "image": "rayproject/ray:2.52.0", "env": []}]}}},
    "workerGroupSpecs": [{
        "groupName": "small", "replicas": 1, "minReplicas": 0, "maxReplicas": 5, "rayStartParams": {},
        "template": {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}}}],
}


def job(name: str = "demo", annotations: dict[str, str] | None = None, status: dict[str, Any] | None = None,
        **spec: Any) -> RayJob:
    """A valid K8sJobMode RayJob as the operator reads it; keyword arguments replace spec fields (None removes)."""
    body: dict[str, Any] = {"entrypoint": "python main.py", "rayClusterSpec": deep_copy(_CLUSTER)}
    body.update(spec)
    return RayJob.from_raw({"apiVersion": "ray.io/v1", "kind": "RayJob",
                            "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
                            "spec": {k: v for k, v in body.items() if v is not None}, "status": status or {}})


def spec_error(gates: FeatureGates = GATES, **spec: Any) -> str | None:
    return validate_rayjob_spec(job(**spec), gates)


def cluster_error(change: Callable[[dict[str, Any]], None], gates: FeatureGates = GATES,
                  annotations: dict[str, str] | None = None) -> str | None:
    """The spec error of a RayJob whose rayClusterSpec was modified by ``change``."""
    cluster = deep_copy(_CLUSTER)
    change(cluster)
    return validate_rayjob_spec(job(annotations=annotations, rayClusterSpec=cluster), gates)


def head(cluster: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = cluster["headGroupSpec"]["template"]["spec"]["containers"][0]
    return container


def worker(cluster: dict[str, Any]) -> dict[str, Any]:
    group: dict[str, Any] = cluster["workerGroupSpecs"][0]
    return group


def rule(policy: str, ttl: int = 0, **condition: str) -> dict[str, Any]:
    return {"policy": policy, "condition": {**condition, "ttlSeconds": ttl}}


# -- metadata ------------------------------------------------------------------------------------------------------


def test_a_valid_rayjob_passes_every_check():
    assert validation_error(job(), GATES) is None


def test_a_name_longer_than_47_characters_is_invalid():
    assert validate_rayjob_metadata(job(name="a" * 48)) == (
        "The RayJob metadata is invalid: RayJob name should be no more than 47 characters")


def test_a_name_of_47_characters_is_valid():
    assert validate_rayjob_metadata(job(name="a" * 47)) is None


def test_a_name_must_be_a_dns_1035_label():
    assert validate_rayjob_metadata(job(name="1job")) == (
        "The RayJob metadata is invalid: RayJob name should be a valid DNS1035 label: [a DNS-1035 label must consist "
        "of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an "
        "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        "'[a-z]([-a-z0-9]*[a-z0-9])?')]")


# -- status --------------------------------------------------------------------------------------------------------


def test_only_interactive_mode_may_be_waiting():
    assert validate_rayjob_status(job(status={"jobDeploymentStatus": "Waiting"})) == (
        "The RayJob status is invalid: JobDeploymentStatus cannot be `Waiting` when SubmissionMode is not "
        "InteractiveMode")
    assert validate_rayjob_status(job(submissionMode="InteractiveMode",
                                      status={"jobDeploymentStatus": "Waiting"})) is None


def test_metadata_is_checked_before_spec_and_spec_before_status():
    bad = job(name="1job", suspend=True, status={"jobDeploymentStatus": "Waiting"})
    assert validation_error(bad, GATES) == ("InvalidRayJobMetadata", validate_rayjob_metadata(bad))
    bad = job(suspend=True, status={"jobDeploymentStatus": "Waiting"})
    assert validation_error(bad, GATES) == ("InvalidRayJobSpec", validate_rayjob_spec(bad, GATES))


# -- spec: suspend, TTL, deletion ------------------------------------------------------------------------------------


def test_suspend_requires_shutdown_after_job_finishes():
    assert spec_error(suspend=True) == (
        SPEC + "a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended")


def test_a_negative_ttl_is_invalid():
    assert spec_error(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=-1) == (
        SPEC + "TTLSecondsAfterFinished must be a non-negative integer")


def test_a_ttl_without_shutdown_is_invalid():
    assert spec_error(ttlSecondsAfterFinished=60) == (
        SPEC + "a RayJob with shutdownAfterJobFinishes set to false cannot have TTLSecondsAfterFinished")


def test_a_deletion_strategy_needs_the_feature_gate():
    strategy = {"deletionRules": [rule("DeleteCluster", jobStatus="SUCCEEDED")]}
    assert spec_error(FeatureGates(rayjob_deletion_policy=False), deletionStrategy=strategy) == (
        "RayJobDeletionPolicy feature gate must be enabled to use DeletionStrategy")


def test_deletion_rules_exclude_shutdown_after_job_finishes():
    strategy = {"deletionRules": [rule("DeleteCluster", jobStatus="SUCCEEDED")]}
    assert spec_error(shutdownAfterJobFinishes=True, deletionStrategy=strategy) == (
        SPEC + "spec.shutdownAfterJobFinishes and spec.deletionStrategy.deletionRules are mutually exclusive")


def test_deletion_rules_exclude_legacy_policies():
    strategy = {"onSuccess": {"policy": "DeleteCluster"}, "deletionRules": [rule("DeleteSelf", jobStatus="FAILED")]}
    assert spec_error(deletionStrategy=strategy) == (
        SPEC + "Cannot use both legacy onSuccess/onFailure fields and deletionRules simultaneously")


def test_an_empty_deletion_strategy_is_invalid():
    assert spec_error(deletionStrategy={"deletionRules": []}) == (
        SPEC + "DeletionStrategy requires either BOTH onSuccess and onFailure, OR the deletionRules field (cannot be "
        "empty)")


def test_legacy_policies_need_both_on_success_and_on_failure():
    assert spec_error(deletionStrategy={"onSuccess": {"policy": "DeleteCluster"}}) == (
        "both DeletionStrategy.OnSuccess and DeletionStrategy.OnFailure must be set when using the legacy deletion "
        "policy fields of DeletionStrategy")


def test_legacy_on_success_needs_a_policy():
    assert spec_error(deletionStrategy={"onSuccess": {}, "onFailure": {"policy": "DeleteCluster"}}) == (
        "the DeletionPolicyType field of DeletionStrategy.OnSuccess cannot be unset when DeletionStrategy is enabled")


def test_legacy_on_failure_needs_a_policy():
    assert spec_error(deletionStrategy={"onSuccess": {"policy": "DeleteCluster"}, "onFailure": {}}) == (
        "the DeletionPolicyType field of DeletionStrategy.OnFailure cannot be unset when DeletionStrategy is enabled")


def test_legacy_policies_cannot_delete_a_selected_cluster():
    selector = {"ray.io/cluster": "shared"}
    assert spec_error(rayClusterSpec=None, clusterSelector=selector, deletionStrategy={
        "onSuccess": {"policy": "DeleteCluster"}, "onFailure": {"policy": "DeleteNone"}}) == (
        "the ClusterSelector mode doesn't support DeletionStrategy=DeleteCluster on success")
    assert spec_error(rayClusterSpec=None, clusterSelector=selector, deletionStrategy={
        "onSuccess": {"policy": "DeleteSelf"}, "onFailure": {"policy": "DeleteWorkers"}}) == (
        "the ClusterSelector mode doesn't support DeletionStrategy=DeleteWorkers on failure")


def test_legacy_delete_workers_is_refused_with_autoscaling():
    cluster = deep_copy(_CLUSTER) | {"enableInTreeAutoscaling": True}
    assert spec_error(rayClusterSpec=cluster, deletionStrategy={
        "onSuccess": {"policy": "DeleteWorkers"}, "onFailure": {"policy": "DeleteCluster"}}) == (
        "DeletionStrategy=DeleteWorkers currently does not support RayCluster with autoscaling enabled")


def test_legacy_delete_none_contradicts_shutdown():
    assert spec_error(shutdownAfterJobFinishes=True, deletionStrategy={
        "onSuccess": {"policy": "DeleteCluster"}, "onFailure": {"policy": "DeleteNone"}}) == (
        SPEC + "shutdownAfterJobFinshes is set to 'true' while deletion policy is 'DeleteNone'")


def test_a_deletion_condition_cannot_name_both_statuses():
    strategy = {"deletionRules": [rule("DeleteSelf", jobStatus="FAILED", jobDeploymentStatus="Failed")]}
    assert spec_error(deletionStrategy=strategy) == (
        "deletionRules[0]: cannot set both JobStatus and JobDeploymentStatus at the same time")


def test_a_deletion_condition_must_name_one_status():
    assert spec_error(deletionStrategy={"deletionRules": [rule("DeleteSelf")]}) == (
        "deletionRules[0]: exactly one of JobStatus and JobDeploymentStatus must be set")


def test_a_deletion_rule_ttl_cannot_be_negative():
    strategy = {"deletionRules": [rule("DeleteSelf", -5, jobStatus="FAILED")]}
    assert spec_error(deletionStrategy=strategy) == "deletionRules[0]: TTLSeconds must be non-negative"


def test_a_deletion_rule_cannot_delete_a_selected_cluster():
    strategy = {"deletionRules": [rule("DeleteCluster", jobStatus="FAILED")]}
    assert spec_error(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}, deletionStrategy=strategy) == (
        "deletionRules[0]: DeletionPolicyType 'DeleteCluster' not supported when ClusterSelector is set")


def test_a_delete_workers_rule_is_refused_with_autoscaling():
    cluster = deep_copy(_CLUSTER) | {"enableInTreeAutoscaling": True}
    strategy = {"deletionRules": [rule("DeleteWorkers", jobStatus="FAILED")]}
    assert spec_error(rayClusterSpec=cluster, deletionStrategy=strategy) == (
        "deletionRules[0]: DeletionPolicyType 'DeleteWorkers' not supported with autoscaling enabled")


def test_duplicate_deletion_rules_are_invalid():
    strategy = {"deletionRules": [rule("DeleteCluster", jobDeploymentStatus="Failed"),
                                  rule("DeleteCluster", 10, jobDeploymentStatus="Failed")]}
    assert spec_error(deletionStrategy=strategy) == (
        "deletionRules[1]: duplicate rule for DeletionPolicyType 'DeleteCluster' and JobDeploymentStatus 'Failed'")


def test_deletion_ttls_must_not_decrease_from_workers_to_cluster_to_self():
    strategy = {"deletionRules": [rule("DeleteSelf", 10, jobStatus="SUCCEEDED"),
                                  rule("DeleteCluster", 60, jobStatus="SUCCEEDED")]}
    assert spec_error(deletionStrategy=strategy) == (
        "for JobStatus 'SUCCEEDED': DeleteSelf TTL (10) must be >= DeleteCluster TTL (60)")


def test_every_deletion_rule_problem_is_reported_one_per_line():
    strategy = {"deletionRules": [rule("DeleteSelf"), rule("DeleteSelf", -1, jobStatus="FAILED"),
                                  rule("DeleteWorkers", 30, jobStatus="FAILED"),
                                  rule("DeleteCluster", 5, jobStatus="FAILED")]}
    assert spec_error(deletionStrategy=strategy) == (
        "deletionRules[0]: exactly one of JobStatus and JobDeploymentStatus must be set\n"
        "deletionRules[1]: TTLSeconds must be non-negative\n"
        "for JobStatus 'FAILED': DeleteCluster TTL (5) must be >= DeleteWorkers TTL (30)")


# -- spec: modes and selectors -----------------------------------------------------------------------------------------


def test_a_selected_cluster_cannot_be_suspended():
    assert spec_error(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}, suspend=True,
                      shutdownAfterJobFinishes=True) == (
        SPEC + "the ClusterSelector mode doesn't support the suspend operation")


def test_a_rayjob_needs_a_cluster_spec_or_a_selector():
    assert spec_error(rayClusterSpec=None) == SPEC + "one of RayClusterSpec or ClusterSelector must be set"


def test_a_selector_must_name_the_cluster_with_the_ray_io_cluster_key():
    assert spec_error(rayClusterSpec=None, clusterSelector={"cluster": "shared"}) == (
        "cluster name in ClusterSelector should not be empty")


def test_a_selector_is_not_supported_in_sidecar_mode():
    assert spec_error(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "c"}, submissionMode="SidecarMode") == (
        "ClusterSelector is not supported in SidecarMode")


def test_a_selector_forbids_retries():
    assert spec_error(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "c"}, backoffLimit=1) == (
        SPEC + "BackoffLimit is incompatible with ClusterSelector mode")


def test_interactive_mode_forbids_retries():
    assert spec_error(submissionMode="InteractiveMode", backoffLimit=2) == (
        SPEC + "BackoffLimit is incompatible with InteractiveMode")


def test_sidecar_mode_refuses_a_submitter_pod_template():
    assert spec_error(submissionMode="SidecarMode", submitterPodTemplate={"spec": {"containers": []}}) == (
        "Currently, SidecarMode doesn't support SubmitterPodTemplate")


def test_sidecar_mode_refuses_a_submitter_config():
    assert spec_error(submissionMode="SidecarMode", submitterConfig={"backoffLimit": 1}) == (
        "Currently, SidecarMode doesn't support SubmitterConfig")


def test_sidecar_mode_needs_a_head_that_never_restarts():
    cluster = deep_copy(_CLUSTER)
    cluster["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert spec_error(submissionMode="SidecarMode", rayClusterSpec=cluster) == (
        "restartPolicy for head Pod should be Never or unset when using SidecarMode")


def test_kubernetes_token_auth_is_not_supported_for_rayjobs():
    assert cluster_error(lambda c: c.update(authOptions={"enableK8sTokenAuth": True})) == (
        SPEC + "K8s token auth mode is currently not supported for RayJob")


# -- spec: runtimeEnvYAML and numbers ---------------------------------------------------------------------------------


def test_runtime_env_yaml_that_is_not_yaml_is_invalid():
    text = "pip: numpy: 1"
    assert spec_error(runtimeEnvYAML=text) == (
        "failed to unmarshal RuntimeEnvYAML: pip: numpy: 1: error converting YAML to JSON: yaml: mapping values are "
        "not allowed in this context")


def test_runtime_env_yaml_errors_after_the_first_line_carry_gos_line_number():
    assert runtime_env_yaml_error("pip:\n\t- numpy\n") == (
        "failed to unmarshal RuntimeEnvYAML: pip:\n\t- numpy\n: error converting YAML to JSON: yaml: line 2: found "
        "character that cannot start any token")


def test_runtime_env_yaml_must_be_a_mapping():
    assert spec_error(runtimeEnvYAML="- numpy\n") == (
        "failed to unmarshal RuntimeEnvYAML: - numpy\n: error unmarshaling JSON: while decoding JSON: json: cannot "
        "unmarshal array into Go value of type types.RuntimeEnvType")


def test_an_empty_runtime_env_yaml_is_valid():
    assert runtime_env_yaml_error("") is None


def test_active_deadline_must_be_positive():
    assert spec_error(activeDeadlineSeconds=0) == SPEC + "activeDeadlineSeconds must be a positive integer"


def test_pre_running_deadline_must_be_positive():
    assert spec_error(preRunningDeadlineSeconds=0) == SPEC + "preRunningDeadlineSeconds must be a positive integer"


def test_backoff_limit_must_not_be_negative():
    assert spec_error(backoffLimit=-1) == SPEC + "backoffLimit must be a positive integer"
    assert spec_error(backoffLimit=0) is None


# -- the embedded RayCluster spec: groups ------------------------------------------------------------------------------


def test_the_head_needs_a_container():
    assert cluster_error(lambda c: c["headGroupSpec"]["template"]["spec"].update(containers=[])) == (
        SPEC + "headGroupSpec should have at least one container")


def test_a_worker_group_needs_a_container():
    assert cluster_error(lambda c: worker(c)["template"]["spec"].update(containers=[])) == (
        SPEC + "workerGroupSpec should have at least one container")


def test_replica_bounds_are_required_without_autoscaling():
    assert cluster_error(lambda c: worker(c).pop("maxReplicas")) == (
        SPEC + "worker group small must set both minReplicas and maxReplicas when autoscaling is disabled")


def test_negative_min_replicas_are_invalid():
    assert cluster_error(lambda c: worker(c).update(minReplicas=-1)) == (
        SPEC + "worker group small has negative minReplicas -1")


def test_negative_max_replicas_are_invalid():
    assert cluster_error(lambda c: worker(c).update(minReplicas=0, maxReplicas=-2)) == (
        SPEC + "worker group small has negative maxReplicas -2")


def test_min_replicas_cannot_exceed_max_replicas():
    assert cluster_error(lambda c: worker(c).update(minReplicas=6)) == (
        SPEC + "worker group small has minReplicas 6 greater than maxReplicas 5")


def test_resources_cannot_be_set_twice_on_a_group():
    def change(c: dict[str, Any]) -> None:
        c["headGroupSpec"].update(rayStartParams={"num-cpus": "1"}, resources={"CPU": "1"})
    assert cluster_error(change) == (
        SPEC + "resource fields should not be set in both rayStartParams and Resources for Head group; please use "
        "only one")


def test_labels_belong_in_the_labels_field_not_ray_start_params():
    assert cluster_error(lambda c: worker(c).update(rayStartParams={"labels": "a=b"})) == (
        SPEC + "rayStartParams['labels'] is not supported for small group; please use the top-level Labels field "
        "instead")


def test_group_labels_must_be_valid_kubernetes_labels():
    assert cluster_error(lambda c: c["headGroupSpec"].update(labels={"tier": "a b"})) == (
        SPEC + "invalid label value for key 'tier' in Head group: 'a b', error: a valid label must be an empty "
        "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def test_worker_idle_timeout_must_not_be_negative():
    assert cluster_error(lambda c: worker(c).update(idleTimeoutSeconds=-1)) == (
        SPEC + "worker group small: idleTimeoutSeconds must be non-negative, got -1")


def test_worker_idle_timeout_needs_autoscaler_v2():
    assert cluster_error(lambda c: worker(c).update(idleTimeoutSeconds=60)) == (
        SPEC + "worker group small: idleTimeoutSeconds is set, but autoscaler v2 is not enabled. Please set "
        ".spec.autoscalerOptions.version to 'v2' (or set RAY_enable_autoscaler_v2 environment variable to 'true' in "
        "the head pod if using KubeRay < 1.4.0)")


def test_worker_priority_needs_a_ray_version():
    def change(c: dict[str, Any]) -> None:
        c.pop("rayVersion")
        worker(c)["priority"] = 3
    assert cluster_error(change) == (
        SPEC + "worker group small: priority is set, but RayVersion was not specified. Ray version 2.56.0 or later "
        "is required")


def test_worker_priority_needs_a_parsable_ray_version():
    assert cluster_error(lambda c: c.update(rayVersion="latest") or worker(c).update(priority=3)) == (
        SPEC + 'worker group small: priority is set, but RayVersion format is invalid: latest, could not parse '
        '"latest" as version')


def test_worker_priority_needs_ray_2_56():
    assert cluster_error(lambda c: worker(c).update(priority=3)) == (
        SPEC + "worker group small: priority is set, but minimum Ray version is 2.56.0, got 2.52.0")


def test_worker_priority_needs_autoscaler_v2():
    assert cluster_error(lambda c: c.update(rayVersion="2.56.0") or worker(c).update(priority=3)) == (
        SPEC + "worker group small: priority is set to 3, but autoscaler v2 is not enabled. Priority is only "
        "supported with autoscaler v2 enabled")


# -- the embedded RayCluster spec: GCS fault tolerance ----------------------------------------------------------------


def env(container: dict[str, Any], name: str, value: str = "x") -> None:
    container.setdefault("env", []).append({"name": name, "value": value})


def test_the_ft_annotation_and_gcs_options_exclude_each_other():
    assert cluster_error(lambda c: c.update(gcsFaultToleranceOptions={"redisAddress": "redis:6379"}),
                         annotations={"ray.io/ft-enabled": "true"}) == (
        SPEC + "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. Please use only "
        "GcsFaultToleranceOptions to configure GCS fault tolerance")


def test_a_redis_address_env_needs_gcs_options():
    assert cluster_error(lambda c: env(head(c), "RAY_REDIS_ADDRESS")) == (
        SPEC + "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but GcsFaultToleranceOptions "
        "is not set. Please set GcsFaultToleranceOptions to enable GCS fault tolerance")


def with_gcs(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def both(c: dict[str, Any]) -> None:
        c["gcsFaultToleranceOptions"] = {"redisAddress": "redis:6379"}
        change(c)
    return both


def test_gcs_options_forbid_a_redis_password_start_param():
    assert cluster_error(with_gcs(lambda c: c["headGroupSpec"].update(rayStartParams={"redis-password": "p"}))) == (
        SPEC + "cannot set `redis-password` in rayStartParams when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisPassword instead")


def test_gcs_options_forbid_a_redis_password_env():
    assert cluster_error(with_gcs(lambda c: env(head(c), "REDIS_PASSWORD"))) == (
        SPEC + "cannot set `REDIS_PASSWORD` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisPassword instead")


def test_gcs_options_forbid_a_redis_address_env():
    assert cluster_error(with_gcs(lambda c: env(head(c), "RAY_REDIS_ADDRESS"))) == (
        SPEC + "cannot set `RAY_REDIS_ADDRESS` env var in head Pod when GcsFaultToleranceOptions is enabled - use "
        "GcsFaultToleranceOptions.RedisAddress instead")


def test_gcs_options_forbid_the_external_storage_namespace_annotation():
    assert cluster_error(with_gcs(lambda c: None), annotations={"ray.io/external-storage-namespace": "ns"}) == (
        SPEC + "cannot set `ray.io/external-storage-namespace` annotation when GcsFaultToleranceOptions is enabled - "
        "use GcsFaultToleranceOptions.ExternalStorageNamespace instead")


def test_the_redis_backend_has_no_storage():
    assert cluster_error(with_gcs(lambda c: c["gcsFaultToleranceOptions"].update(storage={"size": "1Gi"}))) == (
        SPEC + "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the "
        "'rocksdb' backend")


def rocksdb(change: Callable[[dict[str, Any]], None] = lambda c: None) -> Callable[[dict[str, Any]], None]:
    def both(c: dict[str, Any]) -> None:
        c["gcsFaultToleranceOptions"] = {"backend": "rocksdb"}
        change(c)
    return both


EMBEDDED = FeatureGates(gcs_fault_tolerance_embedded_storage=True)


def test_the_rocksdb_backend_needs_its_feature_gate():
    assert cluster_error(rocksdb()) == (
        SPEC + "the embedded RocksDB GCS fault tolerance backend (GcsFaultToleranceOptions.Backend: 'rocksdb') "
        "requires the GCSFaultToleranceEmbeddedStorage feature gate to be enabled")


def test_the_rocksdb_backend_refuses_redis_settings():
    change = rocksdb(lambda c: c["gcsFaultToleranceOptions"].update(redisPassword={"value": "p"}))
    assert cluster_error(change, EMBEDDED) == (
        SPEC + "cannot set GcsFaultToleranceOptions.RedisPassword when backend is 'rocksdb'")


def test_the_rocksdb_claim_name_excludes_size():
    change = rocksdb(lambda c: c["gcsFaultToleranceOptions"].update(storage={"claimName": "pvc", "size": "1Gi"}))
    assert cluster_error(change, EMBEDDED) == (
        SPEC + "GcsFaultToleranceOptions.Storage.ClaimName is mutually exclusive with size, storageClassName, and "
        "accessModes")


def test_the_rocksdb_backend_owns_the_gcs_storage_env():
    assert cluster_error(rocksdb(lambda c: env(head(c), "RAY_gcs_storage_path")), EMBEDDED) == (
        SPEC + "cannot set `RAY_gcs_storage` or `RAY_gcs_storage_path` env var in head Pod when the embedded GCS FT "
        "backend is used - these are managed by KubeRay")


def test_the_rocksdb_backend_owns_the_gcs_storage_mount():
    mount = {"name": "data", "mountPath": "/data/gcs"}
    assert cluster_error(rocksdb(lambda c: head(c).update(volumeMounts=[mount])), EMBEDDED) == (
        SPEC + 'cannot set a volume mount named "gcs-storage" or mounted at /data/gcs in the head container when the '
        "embedded GCS FT backend is used - it is managed by KubeRay")


def test_the_rocksdb_backend_owns_the_gcs_storage_volume():
    change = rocksdb(lambda c: c["headGroupSpec"]["template"]["spec"].update(volumes=[{"name": "gcs-storage"}]))
    assert cluster_error(change, EMBEDDED) == (
        SPEC + 'cannot set a volume named "gcs-storage" in the head Pod when the embedded GCS FT backend is used - it '
        "is managed by KubeRay")


def test_a_redis_username_belongs_in_gcs_options():
    assert cluster_error(lambda c: env(head(c), "REDIS_USERNAME")) == (
        SPEC + "cannot set redis username in rayStartParams or environment variables - use "
        "GcsFaultToleranceOptions.RedisUsername instead")


# -- the embedded RayCluster spec: suspend, autoscaler ----------------------------------------------------------------


def test_suspending_a_worker_group_needs_the_deletion_policy_gate():
    assert cluster_error(lambda c: worker(c).update(suspend=True), FeatureGates(rayjob_deletion_policy=False)) == (
        SPEC + "worker group small can be suspended only when the RayJobDeletionPolicy feature gate is enabled")


def test_autoscaler_v2_env_needs_in_tree_autoscaling():
    assert cluster_error(lambda c: env(head(c), "RAY_enable_autoscaler_v2", "true")) == (
        SPEC + "environment variable RAY_enable_autoscaler_v2 cannot be set to 'true' when enableInTreeAutoscaling "
        "is false. Please set enableInTreeAutoscaling: true to use autoscaler v2")


def autoscaled(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def both(c: dict[str, Any]) -> None:
        c["enableInTreeAutoscaling"] = True
        change(c)
    return both


def test_an_autoscaled_worker_group_cannot_be_suspended():
    assert cluster_error(autoscaled(lambda c: worker(c).update(suspend=True))) == (
        SPEC + "worker group small cannot be suspended with Autoscaler enabled")


def test_the_autoscaler_version_is_set_in_one_place_only():
    def change(c: dict[str, Any]) -> None:
        c["autoscalerOptions"] = {"version": "v2"}
        env(head(c), "RAY_enable_autoscaler_v2", "1")
    assert cluster_error(autoscaled(change)) == (
        SPEC + "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set, please "
        "only use the former")


def test_autoscaler_v2_needs_a_head_that_never_restarts():
    def change(c: dict[str, Any]) -> None:
        c["autoscalerOptions"] = {"version": "v2"}
        c["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert cluster_error(autoscaled(change)) == (
        SPEC + "restartPolicy for head Pod should be Never or unset when using autoscaler V2")


def test_autoscaler_v2_needs_workers_that_never_restart():
    def change(c: dict[str, Any]) -> None:
        c["autoscalerOptions"] = {"version": "v2"}
        worker(c)["template"]["spec"]["restartPolicy"] = "Always"
    assert cluster_error(autoscaled(change)) == (
        SPEC + "restartPolicy for worker group small should be Never or unset when using autoscaler V2")


def test_the_autoscaler_idle_timeout_must_not_be_negative():
    assert cluster_error(lambda c: c.update(autoscalerOptions={"idleTimeoutSeconds": -5})) == (
        SPEC + "autoscalerOptions.idleTimeoutSeconds must be non-negative, got -5")


def test_the_autoscaler_start_command_env_is_owned_by_kuberay():
    options = {"env": [{"name": "KUBERAY_GEN_AUTOSCALER_START_CMD", "value": "x"}]}
    assert cluster_error(lambda c: c.update(autoscalerOptions=options)) == (
        SPEC + "autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD: it is managed by KubeRay and "
        "injected automatically into the autoscaler container")


# -- the embedded RayCluster spec: history server ----------------------------------------------------------------------

HISTORY = FeatureGates(ray_cluster_history_server=True)


def collector(*env_vars: tuple[str, str], image: str = "collector:1") -> Callable[[dict[str, Any]], None]:
    options: dict[str, Any] = {"env": [{"name": n, "value": v} for n, v in env_vars]}
    if image:
        options["image"] = image
    return lambda c: c.update(historyServerOptions={"collectorOptions": options})


def test_the_history_server_needs_its_feature_gate():
    assert cluster_error(collector()) == SPEC + "RayClusterHistoryServer feature gate is not enabled"


def test_the_history_server_needs_collector_options():
    assert cluster_error(lambda c: c.update(historyServerOptions={}), HISTORY) == (
        SPEC + "historyServerOptions.collectorOptions must be set")


def test_the_collector_needs_an_image():
    assert cluster_error(collector(image=""), HISTORY) == (
        SPEC + "historyServerOptions.collectorOptions.image must be set")


def test_the_collector_env_must_not_set_kuberay_managed_variables():
    assert cluster_error(collector(("POD_IP", "1.2.3.4")), HISTORY) == (
        SPEC + "historyServerOptions.collectorOptions.env must not contain POD_IP: it is managed by KubeRay and "
        "injected automatically into the collector container")


def test_the_collector_needs_a_storage_backend():
    assert cluster_error(collector(), HISTORY) == (
        SPEC + "STORAGE_BACKEND environment variable must be set with a literal string value in "
        "historyServerOptions.collectorOptions.env")


def test_a_gcs_storage_backend_needs_a_bucket():
    assert cluster_error(collector(("STORAGE_BACKEND", "gcs")), HISTORY) == (
        SPEC + "GCS_BUCKET environment variable must be set when STORAGE_BACKEND is GCS")


def test_an_azure_storage_backend_needs_a_connection_string_or_account_url():
    assert cluster_error(collector(("STORAGE_BACKEND", "azureblob")), HISTORY) == (
        SPEC + "either AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL environment variable must be set "
        "when STORAGE_BACKEND is AZUREBLOB")


def test_the_head_must_not_define_the_collector_container():
    def change(c: dict[str, Any]) -> None:
        collector(("STORAGE_BACKEND", "S3"), ("S3_REGION", "eu"))(c)
        c["headGroupSpec"]["template"]["spec"]["containers"].append({"name": "ray-history-collector"})
    assert cluster_error(change, HISTORY) == (
        SPEC + "head pod template must not define a container with name 'ray-history-collector' when history server "
        "collector options are enabled")


# -- the embedded RayCluster spec: auth, network policy, TLS ----------------------------------------------------------


def test_token_auth_needs_a_ray_version():
    assert cluster_error(lambda c: c.pop("rayVersion") and c.update(authOptions={"mode": "token"})) == (
        SPEC + "authOptions.mode is 'token' but RayVersion was not specified. Ray version 2.52.0 or later is required")


def test_token_auth_needs_ray_2_52():
    assert cluster_error(lambda c: c.update(rayVersion="2.9.0", authOptions={"mode": "token"})) == (
        SPEC + "authOptions.mode is 'token' but minimum Ray version is 2.52.0, got 2.9.0")


def test_token_auth_needs_a_parsable_ray_version():
    assert cluster_error(lambda c: c.update(rayVersion="2", authOptions={"mode": "token"})) == (
        SPEC + 'authOptions.mode is \'token\' but RayVersion format is invalid: 2, illegal version string "2"')


def test_a_raycluster_with_kubernetes_token_auth_needs_token_mode():
    spec = deep_copy(_CLUSTER) | {"authOptions": {"enableK8sTokenAuth": True}}
    assert validate_raycluster_spec(spec, {}, GATES) == (
        "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'")


def test_a_raycluster_with_kubernetes_token_auth_needs_ray_2_55():
    spec = deep_copy(_CLUSTER) | {"authOptions": {"mode": "token", "enableK8sTokenAuth": True}}
    assert validate_raycluster_spec(spec, {}, GATES) == (
        "authOptions.enableK8sTokenAuth is enabled but minimum Ray version is 2.55.0, got 2.52.0")


def test_a_raycluster_with_kubernetes_token_auth_takes_no_secret():
    spec = deep_copy(_CLUSTER) | {"rayVersion": "2.55.0",
                                  "authOptions": {"mode": "token", "enableK8sTokenAuth": True, "secretName": "s"}}
    assert validate_raycluster_spec(spec, {}, GATES) == (
        "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set")


NETWORK = FeatureGates(ray_cluster_network_policy=True)


def test_a_network_policy_needs_its_feature_gate():
    assert cluster_error(lambda c: c.update(networkPolicy={})) == (
        SPEC + "spec.networkPolicy requires the RayClusterNetworkPolicy feature gate to be enabled")


def test_ingress_rules_need_a_mode_that_denies_ingress():
    policy = {"mode": "DenyAllEgress", "head": {"ingressRules": [{}]}}
    assert cluster_error(lambda c: c.update(networkPolicy=policy), NETWORK) == (
        SPEC + 'networkPolicy.head.ingressRules cannot be set when mode is "DenyAllEgress" (ingress is not restricted)')


def test_egress_rules_need_a_mode_that_denies_egress():
    policy = {"mode": "DenyAllIngress", "worker": {"egressRules": [{}]}}
    assert cluster_error(lambda c: c.update(networkPolicy=policy), NETWORK) == (
        SPEC + 'networkPolicy.worker.egressRules cannot be set when mode is "DenyAllIngress" (egress is not '
        "restricted)")


def test_with_a_network_policy_group_names_must_be_dns_1123_labels():
    def change(c: dict[str, Any]) -> None:
        c["networkPolicy"] = {}
        worker(c)["groupName"] = "Small"
    assert cluster_error(change, NETWORK) == (
        SPEC + 'worker group name "Small" must be a valid DNS1123 label when networkPolicy is enabled (it is embedded '
        "in the NetworkPolicy name): [a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
        "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
        "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]")


def test_network_policy_worker_groups_must_exist():
    assert cluster_error(lambda c: c.update(networkPolicy={"workerGroups": [{"groupName": "big"}]}), NETWORK) == (
        SPEC + 'networkPolicy.workerGroups["big"] does not match any group name in workerGroupSpecs')


MTLS = FeatureGates(ray_cluster_mtls=True)


def test_tls_options_need_their_feature_gate():
    assert cluster_error(lambda c: c.update(tlsOptions={"enabled": True})) == (
        SPEC + "spec.tlsOptions requires the RayClusterMTLS feature gate to be enabled")


def test_with_tls_the_head_must_not_set_tls_env_vars():
    assert cluster_error(lambda c: c.update(tlsOptions={"enabled": True}) or env(head(c), "RAY_USE_TLS"), MTLS) == (
        SPEC + "cannot set RAY_USE_TLS environment variable in head Pod when tlsOptions is set - the operator manages "
        "TLS configuration automatically")


def test_with_tls_a_worker_must_not_mount_the_tls_path():
    def change(c: dict[str, Any]) -> None:
        c["tlsOptions"] = {"enabled": True}
        mounts = [{"name": "certs", "mountPath": "/etc/ray/tls"}]
        worker(c)["template"]["spec"]["containers"][0]["volumeMounts"] = mounts
    assert cluster_error(change, MTLS) == (
        SPEC + 'cannot use volume mount at path "/etc/ray/tls" in worker group "small" when tlsOptions is set - the '
        "operator manages TLS configuration automatically")


def test_with_tls_the_autoscaler_must_not_set_tls_env_vars():
    def change(c: dict[str, Any]) -> None:
        c["tlsOptions"] = {"enabled": True}
        c["autoscalerOptions"] = {"env": [{"name": "RAY_TLS_CA_CERT", "value": "x"}]}
    assert cluster_error(change, MTLS) == (
        SPEC + "cannot set RAY_TLS_CA_CERT environment variable in autoscalerOptions.env when tlsOptions is set - the "
        "operator manages TLS configuration for the autoscaler automatically")


@pytest.mark.parametrize("name", ["RayJobDeletionPolicy", "RayClusterMTLS"])
def test_feature_gates_are_built_from_upstream_gate_names(name):
    gates = FeatureGates.from_lookup(lambda gate: gate == name)
    assert (gates.rayjob_deletion_policy, gates.ray_cluster_mtls) == (name == "RayJobDeletionPolicy",
                                                                      name == "RayClusterMTLS")


# -- every failing check at once (static validation; the reconciler still stops at the first) -------------------


def test_every_failing_spec_check_can_be_listed_in_upstream_order():
    bad = job(suspend=True, shutdownAfterJobFinishes=False, activeDeadlineSeconds=0, backoffLimit=-1)
    assert rayjob_spec_problems(bad, GATES) == [
        ("suspend-requires-shutdown",
         SPEC + "a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended"),
        ("active-deadline", SPEC + "activeDeadlineSeconds must be a positive integer"),
        ("backoff-limit", SPEC + "backoffLimit must be a positive integer")]
    assert validate_rayjob_spec(bad, GATES) == rayjob_spec_problems(bad, GATES)[0][1]


def test_each_failing_check_of_the_embedded_cluster_spec_is_listed_with_the_rayjob_prefix():
    cluster = deep_copy(_CLUSTER)
    worker(cluster)["minReplicas"] = 9
    head(cluster)["env"] = [{"name": "RAY_enable_autoscaler_v2", "value": "1"}]
    assert rayjob_spec_problems(job(rayClusterSpec=cluster), GATES) == [
        ("ray-cluster-spec/worker-groups", SPEC + "worker group small has minReplicas 9 greater than maxReplicas 5"),
        ("ray-cluster-spec/autoscaler", SPEC + "environment variable RAY_enable_autoscaler_v2 cannot be set to '1' "
                                               "when enableInTreeAutoscaling is false. Please set "
                                               "enableInTreeAutoscaling: true to use autoscaler v2")]


def test_without_a_head_container_the_other_cluster_checks_still_run_when_listing():
    cluster = deep_copy(_CLUSTER)
    cluster["headGroupSpec"]["template"]["spec"]["containers"] = []
    worker(cluster)["maxReplicas"] = -1
    assert [name for name, _ in raycluster_spec_problems(cluster, {}, GATES)] == ["head-container", "worker-groups"]
    assert validate_raycluster_spec(cluster, {}, GATES) == "headGroupSpec should have at least one container"


def test_both_metadata_problems_can_be_listed():
    assert [name for name, _ in rayjob_metadata_problems(job(name="A" * 48))] == ["name-length", "name-dns1035"]


def test_a_raycluster_name_must_fit_53_characters_and_be_a_dns_1035_label():
    assert validate_raycluster_metadata("a" * 53) is None
    assert validate_raycluster_metadata("a" * 54) == "RayCluster name should be no more than 53 characters"
    assert validate_raycluster_metadata("shared.v2").startswith("RayCluster name should be a valid DNS1035 label: [")
