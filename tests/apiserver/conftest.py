"""One API server per test module, over a scripted simulator whose virtual time moves only when a test says so."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from harness.apiserver import ApiServer
from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.simulator import Simulator, wall_clock_origin

from .client import Client

RAYJOBS = "/apis/ray.io/v1/namespaces/{ns}/rayjobs"
_names = itertools.count()


def rayjob(name: str = "demo", **spec: Any) -> dict[str, Any]:
    """A small valid RayJob (one head, no workers, a named dashboard port)."""
    body: dict[str, Any] = {
        "entrypoint": "python -c 'print(1)'",
        "shutdownAfterJobFinishes": True,
        "rayClusterSpec": {"headGroupSpec": {"template": {"spec": {"containers": [{
            "name": "ray-head", "image": "rayproject/ray:2.9.0",
            "ports": [{"containerPort": 8265, "name": "dashboard"}]}]}}}},
    }
    body.update(spec)
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name}, "spec": body}


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    sim = Simulator("1.7", executor=ScriptedExecutor(JobScript(runtime=5.0, output=("training complete",))),
                    origin=wall_clock_origin())
    with ApiServer(sim, pacing="Manual") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ApiServer) -> Client:
    return Client(server)


@pytest.fixture
def ns(client: Client) -> str:
    """A fresh namespace for one test."""
    name = f"t{next(_names)}"
    answer = client.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert answer.status == 201, answer.body
    return name
