"""Builders for manifest tests: a small valid RayJob per API version, turned into a Manifest with positions."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from harness._util.jsoncopy import deep_copy
from harness.manifests import Manifest, parse_manifests

_TEMPLATE: dict[str, Any] = {"spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.52.0"}]}}
_WORKER_TEMPLATE: dict[str, Any] = {"spec": {"containers": [{"name": "ray-worker", "image": "rayproject/ray:2.52.0"}]}}


def cluster_spec(*, start_params: bool = True) -> dict[str, Any]:
    head: dict[str, Any] = {"template": deep_copy(_TEMPLATE)}
    worker: dict[str, Any] = {"groupName": "small", "replicas": 1, "template": deep_copy(_WORKER_TEMPLATE)}
    if start_params:
        head["rayStartParams"] = {}
        worker["rayStartParams"] = {}
    return {"rayVersion": "2.52.0", "headGroupSpec": head, "workerGroupSpecs": [worker]}


def rayjob(version: str = "v1", name: str = "demo", **spec: Any) -> dict[str, Any]:
    """A valid RayJob at ``ray.io/<version>``; keyword arguments replace spec fields (None removes one)."""
    body: dict[str, Any] = {"entrypoint": "python main.py", "rayClusterSpec": cluster_spec()}
    body.update(spec)
    return {"apiVersion": f"ray.io/{version}", "kind": "RayJob", "metadata": {"name": name},
            "spec": {key: value for key, value in body.items() if value is not None}}


def manifest(obj: dict[str, Any] | str, source: str = "job.yaml") -> Manifest:
    """The one Manifest in ``obj`` (a dict, dumped as block YAML, or YAML text)."""
    text = textwrap.dedent(obj) if isinstance(obj, str) else yaml.safe_dump(obj, sort_keys=False)
    (only,) = parse_manifests(text, source)
    return only
