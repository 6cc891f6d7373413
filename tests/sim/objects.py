"""Builders of raw Kubernetes objects for the simulator-core specifications (shaped as a client sends them)."""

from __future__ import annotations

from typing import Any

from harness.model.meta import controller_ref

Obj = dict[str, Any]


def rayjob(name: str, *, spec: Obj | None = None, **metadata: Any) -> Obj:
    """A RayJob-shaped object: a custom resource with a status subresource."""
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name, **metadata},
            "spec": spec if spec is not None else {"entrypoint": "python main.py"}}


def raycluster(name: str, owner: Obj | None = None, **metadata: Any) -> Obj:
    meta: Obj = {"name": name, **metadata}
    if owner is not None:
        meta["ownerReferences"] = [controller_ref(owner)]
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": meta,
            "spec": {"headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head"}]}}}}}


def pod(name: str, owner: Obj | None = None, *, node: str | None = None, containers: tuple[str, ...] = ("main",),
        **metadata: Any) -> Obj:
    meta: Obj = {"name": name, **metadata}
    if owner is not None:
        meta["ownerReferences"] = [controller_ref(owner)]
    spec: Obj = {"containers": [{"name": c, "image": "busybox:1.36"} for c in containers]}
    if node is not None:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def configmap(name: str, data: dict[str, str] | None = None, **metadata: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **metadata},
            "data": data or {}}
