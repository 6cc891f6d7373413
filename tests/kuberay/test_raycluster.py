"""The RayCluster reconciler as a RayJob sees it (KubeRay v1.7): pods per group, the head Service, "ready"."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.manifests import parse_manifests

from .builders import raycluster


def _workers(sim, cluster="shared"):
    return [p for p in sim.list("Pod", selector={"ray.io/cluster": cluster, "ray.io/node-type": "worker"})
            if not p["metadata"].get("deletionTimestamp")]


def test_a_cluster_becomes_ready_when_every_pod_runs_and_is_ready(sim):
    sim.apply(raycluster("shared"))
    sim.run_until(lambda: (sim.get("RayCluster", "shared").get("status") or {}).get("state") == "ready", 120)
    status = sim.get("RayCluster", "shared")["status"]
    assert status["readyWorkerReplicas"] == 1 == status["desiredWorkerReplicas"]
    assert status["endpoints"] == {"gcs-server": "6379", "dashboard": "8265", "client": "10001", "metrics": "8080"}
    assert status["head"]["serviceName"] == "shared-head-svc"
    assert {c["type"]: c["status"] for c in status["conditions"]}["RayClusterProvisioned"] == "True"


def test_ready_is_sticky_when_a_worker_goes_away(sim):
    sim.apply(raycluster("shared"))
    sim.run_until(lambda: (sim.get("RayCluster", "shared").get("status") or {}).get("state") == "ready", 120)
    sim.delete("Pod", _workers(sim)[0]["metadata"]["name"])
    sim.advance(2)
    assert sim.get("RayCluster", "shared")["status"]["state"] == "ready"


def test_worker_groups_scale_to_their_replicas_within_min_and_max(sim):
    sim.apply(raycluster("shared"))
    sim.advance(30)
    sim.patch("RayCluster", "shared", {"spec": {"workerGroupSpecs": [
        {**raycluster("shared")["spec"]["workerGroupSpecs"][0], "replicas": 9}]}})
    sim.advance(5)
    assert len(_workers(sim)) == 5  # clamped to maxReplicas
    sim.patch("RayCluster", "shared", {"spec": {"workerGroupSpecs": [
        {**raycluster("shared")["spec"]["workerGroupSpecs"][0], "replicas": 0}]}})
    sim.advance(5)
    assert len(_workers(sim)) == 1  # clamped to minReplicas
    reasons = [e["reason"] for e in sim.events_for("RayCluster", "shared")]
    assert reasons.count("CreatedWorkerPod") == 5 and reasons.count("DeletedWorkerPod") == 4


def test_a_deleted_head_pod_is_replaced(sim):
    sim.apply(raycluster("shared"))
    sim.advance(30)
    first = sim.head_pod("shared")["metadata"]["name"]
    sim.delete("Pod", first, wait=True)
    sim.advance(1)
    assert sim.head_pod("shared")["metadata"]["name"] != first


def _events(sim, name):
    return [(e["type"], e["reason"], e["message"]) for e in sim.events_for("RayCluster", name)]


def test_a_raycluster_without_a_spec_is_reported_invalid_and_gets_nothing(sim):
    sim.apply({"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": "empty"}})
    sim.advance(60)
    assert _events(sim, "empty") == [("Warning", "InvalidRayClusterSpec", "The RayCluster spec is invalid "
                                      "default/empty: headGroupSpec should have at least one container")]
    assert sim.list("Pod") == [] and sim.list("Service") == []
    assert "status" not in sim.get("RayCluster", "empty")


def test_a_raycluster_name_that_is_not_a_dns1035_label_is_reported_invalid(sim):
    sim.apply(raycluster("1st-cluster"))
    sim.advance(10)
    [(kind, reason, message)] = _events(sim, "1st-cluster")
    assert (kind, reason) == ("Warning", "InvalidRayClusterMetadata")
    assert message.startswith("The RayCluster metadata is invalid default/1st-cluster: RayCluster name should be a "
                              "valid DNS1035 label: [a DNS-1035 label must consist of lower case alphanumeric")
    assert sim.list("Pod") == []


def test_a_raycluster_asking_for_more_worker_pods_than_the_simulator_models_is_refused_at_its_replicas(sim):
    text = ("apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: many}\nspec:\n  headGroupSpec:\n"
            "    template: {spec: {containers: [{name: ray-head, image: rayproject/ray:2.52.0}]}}\n"
            "  workerGroupSpecs:\n  - groupName: w\n    replicas: 5000\n    maxReplicas: 5000\n"
            "    template: {spec: {containers: [{name: ray-worker, image: rayproject/ray:2.52.0}]}}\n")
    with pytest.raises(InputError) as refused:
        sim.apply(parse_manifests(text, "many.yaml"))
    assert refused.value.message == ("RayCluster 'many' asks for 5000 worker Pods; the simulator models RayClusters "
                                     "of at most 1000")
    assert str(refused.value.pos) == "many.yaml:9:5"
    assert sim.list("RayCluster") == []


def test_a_number_kuberay_cannot_decode_is_refused_though_the_api_server_would_store_it(sim):
    cluster = raycluster("big")
    cluster["spec"]["workerGroupSpecs"][0]["replicas"] = 3_000_000_000
    with pytest.raises(InputError) as refused:
        sim.apply(cluster)
    assert refused.value.message == ("KubeRay cannot decode RayCluster 'big': spec.workerGroupSpecs[0].replicas: json: "
                                     "cannot unmarshal number 3000000000 into Go value of type int32")
