"""Builders of RayJob manifests for the behaviour tests: a small valid RayJob, overridable per test."""

from __future__ import annotations

from typing import Any

from harness._util.jsoncopy import deep_copy, merge_patch

CLUSTER_SPEC: dict[str, Any] = {
    "rayVersion": "2.52.0",
    "headGroupSpec": {
        "rayStartParams": {},
        "template": {"spec": {"containers": [{
            "name": "ray-head", "image": "rayproject/ray:2.52.0",
            "ports": [{"containerPort": 6379, "name": "gcs-server"}, {"containerPort": 8265, "name": "dashboard"},
                      {"containerPort": 10001, "name": "client"}]}]}},
    },
    "workerGroupSpecs": [{
        "groupName": "small-group", "replicas": 1, "minReplicas": 1, "maxReplicas": 5, "rayStartParams": {},
        "template": {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}},
    }],
}


def rayjob(name: str = "demo", namespace: str = "default", **spec: Any) -> dict[str, Any]:
    """A K8sJobMode RayJob; keyword arguments are merged into ``spec`` (None removes a field)."""
    base: dict[str, Any] = {
        "apiVersion": "ray.io/v1", "kind": "RayJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"entrypoint": "python /home/ray/samples/sample_code.py",
                 "rayClusterSpec": deep_copy(CLUSTER_SPEC)},
    }
    base["spec"] = merge_patch(base["spec"], spec)
    return base


def raycluster(name: str, namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": {"name": name, "namespace": namespace},
            "spec": deep_copy(CLUSTER_SPEC)}
