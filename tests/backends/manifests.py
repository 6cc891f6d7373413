"""Small objects for the contract suite: valid on any backend, cheap to run."""

from __future__ import annotations

from typing import Any

GREETING = "contract says hello"
IMAGE = "rayproject/ray:2.52.0"


def configmap(name: str, data: dict[str, str] | None = None, **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **metadata},
            "data": data if data is not None else {"key": "value"}}


def rayjob(name: str = "contract", **spec: Any) -> dict[str, Any]:
    """A RayJob whose entrypoint prints :data:`GREETING`; its cluster has one worker."""
    body: dict[str, Any] = {
        "entrypoint": f"python -c \"print('{GREETING}')\"",
        "rayClusterSpec": {
            "rayVersion": "2.52.0",
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [{
                "name": "ray-head", "image": IMAGE,
                "ports": [{"containerPort": 6379, "name": "gcs-server"},
                          {"containerPort": 8265, "name": "dashboard"},
                          {"containerPort": 10001, "name": "client"}]}]}}},
            "workerGroupSpecs": [{"groupName": "workers", "replicas": 1, "minReplicas": 1, "maxReplicas": 1,
                                  "rayStartParams": {},
                                  "template": {"spec": {"containers": [{"name": "ray-worker", "image": IMAGE}]}}}],
        },
    }
    body.update(spec)
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name}, "spec": body}
