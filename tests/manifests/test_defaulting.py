"""The object the API server stores: CRD defaults, nulls, v1alpha1 stored as v1, status dropped on create."""

from __future__ import annotations

from harness.manifests import validate_manifest

from .builders import cluster_spec, manifest, rayjob


def stored(obj):
    result = validate_manifest(manifest(obj))
    assert result.ok, result.error_text
    return result.obj


def test_v1_defaults_fill_submission_mode_ttl_and_backoff_limit():
    spec = stored(rayjob())["spec"]
    assert (spec["submissionMode"], spec["ttlSecondsAfterFinished"], spec["backoffLimit"]) == ("K8sJobMode", 0, 0)


def test_worker_groups_get_replica_defaults():
    worker = stored(rayjob())["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    assert {k: worker[k] for k in ("minReplicas", "maxReplicas", "replicas", "numOfHosts", "priority")} == {
        "minReplicas": 0, "maxReplicas": 2147483647, "replicas": 1, "numOfHosts": 1, "priority": 0}


def test_an_explicit_value_is_never_replaced_by_a_default():
    assert stored(rayjob(submissionMode="HTTPMode"))["spec"]["submissionMode"] == "HTTPMode"


def test_container_ports_default_to_tcp():
    spec = cluster_spec()
    spec["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 8265}]
    head = stored(rayjob(rayClusterSpec=spec))["spec"]["rayClusterSpec"]["headGroupSpec"]
    assert head["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 8265, "protocol": "TCP"}]


def test_deletion_rule_ttl_defaults_to_zero():
    rules = [{"policy": "DeleteCluster", "condition": {"jobStatus": "SUCCEEDED"}}]
    spec = stored(rayjob(deletionStrategy={"deletionRules": rules}))["spec"]
    assert spec["deletionStrategy"]["deletionRules"][0]["condition"]["ttlSeconds"] == 0


def test_a_null_without_default_is_dropped_and_a_null_with_default_is_defaulted():
    job = rayjob()
    job["spec"].update(suspend=None, ttlSecondsAfterFinished=None)
    spec = stored(job)["spec"]
    assert "suspend" not in spec and spec["ttlSecondsAfterFinished"] == 0


def test_a_v1alpha1_object_is_stored_as_v1_with_v1_defaults():
    obj = stored(rayjob("v1alpha1"))
    assert obj["apiVersion"] == "ray.io/v1"
    assert obj["spec"]["submissionMode"] == "K8sJobMode" and obj["spec"]["backoffLimit"] == 0
    assert obj["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["numOfHosts"] == 1


def test_status_is_dropped_on_create():
    assert "status" not in stored(rayjob() | {"status": {"jobStatus": "SUCCEEDED"}})


def test_the_manifest_itself_is_not_changed():
    m = manifest(rayjob())
    validate_manifest(m)
    assert "submissionMode" not in m.obj["spec"]
