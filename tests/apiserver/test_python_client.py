"""The official ``kubernetes`` Python client against the server: custom objects, watches, pod logs, typed reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.apiserver import ApiServer
from harness.simulator import Simulator

from .client import Client
from .conftest import rayjob

kubernetes = pytest.importorskip("kubernetes", reason="the kubernetes client is a test dependency")
from kubernetes import client as k8s  # noqa: E402
from kubernetes import config as k8s_config  # noqa: E402
from kubernetes import watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

GROUP, VERSION, PLURAL = "ray.io", "v1", "rayjobs"


@pytest.fixture(scope="module")
def api_client(server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = server.write_kubeconfig(tmp_path_factory.mktemp("py") / "kubeconfig")
    api = k8s_config.new_client_from_config(config_file=str(path))
    yield api
    api.close()


@pytest.fixture
def custom(api_client: Any) -> Any:
    return k8s.CustomObjectsApi(api_client)


@pytest.fixture
def core(api_client: Any) -> Any:
    return k8s.CoreV1Api(api_client)


def test_custom_objects_create_get_and_list(custom: Any, ns: str):
    created = custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, rayjob("py-job", suspend=True))
    assert created["metadata"]["name"] == "py-job"
    assert custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-job")["spec"]["suspend"] is True
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)
    assert [item["metadata"]["name"] for item in listed["items"]] == ["py-job"]
    everywhere = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert "py-job" in [item["metadata"]["name"] for item in everywhere["items"]]


def test_custom_objects_patch_patch_status_and_replace(custom: Any, ns: str):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, rayjob("edit", suspend=True))
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "edit",
                                                    {"metadata": {"labels": {"team": "ml"}}})
    assert patched["metadata"]["labels"] == {"team": "ml"}
    status = custom.patch_namespaced_custom_object_status(GROUP, VERSION, ns, PLURAL, "edit",
                                                          {"status": {"message": "hello"}})
    assert status["status"]["message"] == "hello"
    current = custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "edit")
    current["spec"]["entrypoint"] = "python replaced.py"
    replaced = custom.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "edit", current)
    assert replaced["spec"]["entrypoint"] == "python replaced.py"
    with pytest.raises(ApiException) as stale:
        custom.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "edit", current)
    assert stale.value.status == 409


def test_custom_objects_delete(custom: Any, ns: str):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, rayjob("bye", suspend=True))
    answer = custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "bye",
                                                    propagation_policy="Background")
    assert answer["status"] == "Success"
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "bye")
    assert missing.value.status == 404


def test_a_watch_streams_the_rayjobs_transitions(custom: Any, client: Client, ns: str):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, rayjob("watched"))
    client.advance(30)
    seen: list[str] = []
    for event in watch.Watch().stream(custom.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL,
                                      field_selector="metadata.name=watched", resource_version="0",
                                      timeout_seconds=2):
        status = (event["object"].get("status") or {}).get("jobDeploymentStatus")
        seen.append(f"{event['type']} {status}")
    assert seen and seen[0].startswith("ADDED")


def test_a_watch_from_an_expired_resource_version_raises_410():
    sim = Simulator("1.7")
    sim.store.history = type(sim.store.history)(maxlen=3)
    with ApiServer(sim, pacing="Manual") as server:
        raw = Client(server)
        for index in range(6):
            raw.post("/api/v1/namespaces/default/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{index}"}})
        path = server.write_kubeconfig(Path(server.credentials.folder) / "kubeconfig")
        api = k8s_config.new_client_from_config(config_file=str(path))
        try:
            stream = watch.Watch().stream(k8s.CoreV1Api(api).list_namespaced_config_map, "default",
                                          resource_version="1", timeout_seconds=2)
            with pytest.raises(ApiException) as expired:
                next(iter(stream))
        finally:
            api.close()
    assert expired.value.status == 410


def _running_pods(client: Client, ns: str) -> None:
    client.post(f"/apis/ray.io/v1/namespaces/{ns}/rayjobs", rayjob("pods"))
    for _ in range(60):
        client.advance(2)
        job = client.get(f"/apis/ray.io/v1/namespaces/{ns}/rayjobs/pods").body
        if (job.get("status") or {}).get("jobDeploymentStatus") == "Complete":
            return
    raise AssertionError("the RayJob did not complete")


def test_typed_pod_and_event_lists_parse_into_the_clients_models(core: Any, client: Client, ns: str):
    _running_pods(client, ns)
    pods = core.list_namespaced_pod(ns).items
    assert pods and all(pod.status.container_statuses for pod in pods)
    events = core.list_namespaced_event(ns).items
    assert "CreatedRayCluster" in {event.reason for event in events}


def test_events_read_through_events_k8s_io(api_client: Any, client: Client, ns: str):
    _running_pods(client, ns)
    events = k8s.EventsV1Api(api_client).list_namespaced_event(ns).items
    created = next(e for e in events if e.reason == "CreatedRayCluster")
    assert created.regarding.kind == "RayJob" and created.note.startswith("Created RayCluster")


def test_read_namespaced_pod_log_returns_the_submitters_output(core: Any, client: Client, ns: str):
    _running_pods(client, ns)
    (pod,) = core.list_namespaced_pod(ns, label_selector="job-name=pods").items
    text = core.read_namespaced_pod_log(pod.metadata.name, ns, tail_lines=50)
    assert "training complete" in text
