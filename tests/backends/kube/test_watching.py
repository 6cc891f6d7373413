"""A watch delivers every change once, resumes where it stopped, and relists after 410 Gone without losing an
object's latest state or repeating what it already reported.

The server here remembers only its last few changes (its history ring is shrunk), so that a watch resumed after a
handful of writes is answered 410 Expired, as a real API server answers one resumed after etcd compaction.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from harness.apiserver import ApiServer
from harness.backends.kube.api import KubeApi
from harness.backends.kube.resources import ApiResource
from harness.backends.kube.target import KubeTarget, connect
from harness.backends.kube.transport import Transport
from harness.backends.kube.watching import ResourceWatch
from harness.executors.scripted import ScriptedExecutor
from harness.simulator import Simulator, wall_clock_origin

CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps")
HISTORY = 4


@pytest.fixture(scope="module")
def forgetful_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sim = Simulator("1.7", executor=ScriptedExecutor(), origin=wall_clock_origin())
    sim.store.history = collections.deque(maxlen=HISTORY)
    with ApiServer(sim, pacing="Manual") as server:
        yield server.write_kubeconfig(Path(tmp_path_factory.mktemp("forgetful")) / "kubeconfig")


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[str, str, str, str | None]] = []  # (type, name, data value, old data value)

    def __call__(self, type_: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        self.changes.append((type_, obj["metadata"]["name"], (obj.get("data") or {}).get("v", ""),
                             None if old is None else (old.get("data") or {}).get("v", "")))


def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def world(forgetful_server: Path, request: pytest.FixtureRequest) -> Iterator[tuple[KubeApi, client.CoreV1Api, str]]:
    api = KubeApi(Transport(connect(KubeTarget(forgetful_server))))
    core = client.CoreV1Api(api.transport.connection.api_client)
    namespace = f"w{abs(hash(request.node.name)) % 10**8}"
    core.create_namespace({"metadata": {"name": namespace}})
    yield api, core, namespace
    core.delete_namespace(namespace)


def _put(core: client.CoreV1Api, namespace: str, name: str, value: str) -> None:
    body = {"metadata": {"name": name}, "data": {"v": value}}
    try:
        core.replace_namespaced_config_map(name, namespace, body)
    except client.ApiException as exc:
        if exc.status != 404:
            raise
        core.create_namespaced_config_map(namespace, body)


def _churn(core: client.CoreV1Api, namespace: str) -> None:
    """More writes than the server remembers, so that a watch resumed from before them is expired."""
    for i in range(HISTORY + 2):
        _put(core, namespace, "churn", str(i))


def test_a_resumed_watch_reports_what_happened_while_it_was_stopped_once(world):
    api, core, namespace = world
    _put(core, namespace, "a", "1")
    recorder = Recorder()
    watch = ResourceWatch(api, CONFIGMAPS, namespace=namespace, sink=recorder)
    watch.start()
    _put(core, namespace, "a", "2")
    _eventually(lambda: len(recorder.changes) == 2)
    watch.stop()
    _put(core, namespace, "a", "3")
    watch.start()
    _eventually(lambda: len(recorder.changes) == 3)
    watch.stop()
    assert recorder.changes == [("ADDED", "a", "1", None), ("MODIFIED", "a", "2", "1"), ("MODIFIED", "a", "3", "2")]
    assert watch.relists == 0


def test_after_410_a_relist_reports_each_objects_net_change_once(world):
    api, core, namespace = world
    for name in ("kept", "changed", "deleted"):
        _put(core, namespace, name, "1")
    recorder = Recorder()
    watch = ResourceWatch(api, CONFIGMAPS, namespace=namespace, sink=recorder)
    watch.start()
    watch.stop()
    _put(core, namespace, "changed", "2")
    _put(core, namespace, "changed", "3")
    core.delete_namespaced_config_map("deleted", namespace)
    _put(core, namespace, "new", "1")
    _churn(core, namespace)
    seen = len(recorder.changes)
    watch.start()
    _eventually(lambda: watch.relists == 1)
    _eventually(lambda: any(change[1] == "churn" for change in recorder.changes[seen:]))
    watch.stop()
    after = sorted(change for change in recorder.changes[seen:] if change[1] != "churn")
    assert after == [("ADDED", "new", "1", None), ("DELETED", "deleted", "1", "1"), ("MODIFIED", "changed", "3", "1")]


def test_after_a_relist_the_watch_goes_on_from_the_lists_version(world):
    api, core, namespace = world
    _put(core, namespace, "a", "1")
    recorder = Recorder()
    watch = ResourceWatch(api, CONFIGMAPS, namespace=namespace, sink=recorder)
    watch.start()
    watch.stop()
    _churn(core, namespace)
    watch.start()
    _eventually(lambda: watch.relists == 1)
    seen = len(recorder.changes)
    _put(core, namespace, "a", "2")
    _eventually(lambda: len(recorder.changes) > seen)
    watch.stop()
    assert recorder.changes[seen:] == [("MODIFIED", "a", "2", "1")]


def test_an_object_recreated_while_the_watch_was_expired_is_reported_deleted_then_added(world):
    api, core, namespace = world
    _put(core, namespace, "a", "old")
    recorder = Recorder()
    watch = ResourceWatch(api, CONFIGMAPS, namespace=namespace, sink=recorder)
    watch.start()
    watch.stop()
    core.delete_namespaced_config_map("a", namespace)
    _put(core, namespace, "a", "new")
    _churn(core, namespace)
    watch.start()
    _eventually(lambda: watch.relists == 1)
    watch.stop()
    about_a = [change for change in recorder.changes if change[1] == "a"]
    assert about_a == [("ADDED", "a", "old", None), ("DELETED", "a", "old", "old"), ("ADDED", "a", "new", None)]
