"""Discovery, OpenAPI, the kubeconfig, authentication, and the Status answers to bad input."""

from __future__ import annotations

import socket
import ssl
import stat

import yaml

from harness.apiserver import CONTEXT, ApiServer
from harness.simulator import Simulator

from .client import AGGREGATED_ACCEPT, Client
from .conftest import RAYJOBS, rayjob


def test_aggregated_discovery_is_answered_with_its_own_content_type(client: Client):
    answer = client.get("/apis", headers={"Accept": AGGREGATED_ACCEPT})
    assert answer.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    ray = next(item for item in answer.body["items"] if item["metadata"].get("name") == "ray.io")
    assert [version["version"] for version in ray["versions"]] == ["v1", "v1alpha1"]
    rayjobs = next(r for r in ray["versions"][0]["resources"] if r["resource"] == "rayjobs")
    assert rayjobs["categories"] == ["all"] and rayjobs["subresources"][0]["subresource"] == "status"


def test_legacy_discovery_lists_the_pod_log_subresource(client: Client):
    resources = {r["name"]: r for r in client.get("/api/v1").body["resources"]}
    assert resources["pods/log"]["verbs"] == ["get"] and resources["pods"]["shortNames"] == ["po"]
    assert "events.k8s.io" in [g["name"] for g in client.get("/apis").body["groups"]]


def test_openapi_index_points_at_documents_by_a_stable_content_hash(client: Client, server: ApiServer):
    index = client.get("/openapi/v3").body["paths"]
    url = index["apis/ray.io/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/ray.io/v1?hash=")
    assert client.get("/openapi/v3").body["paths"]["apis/ray.io/v1"]["serverRelativeURL"] == url


def test_the_rayjob_patch_operation_lets_kubectl_validate_on_the_server(client: Client):
    doc = client.get("/openapi/v3/apis/ray.io/v1").body
    patch = doc["paths"]["/apis/ray.io/v1/namespaces/{namespace}/rayjobs/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "ray.io", "version": "v1", "kind": "RayJob"}
    assert {"name": "fieldValidation", "in": "query"}.items() <= patch["parameters"][2].items()
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]


def test_the_rayjob_schema_comes_from_the_projects_model_with_defaults(client: Client):
    schema = client.get("/openapi/v3/apis/ray.io/v1").body["components"]["schemas"]["io.ray.v1.RayJob"]
    spec = schema["properties"]["spec"]["properties"]
    assert spec["submissionMode"]["default"] == "K8sJobMode"
    assert spec["ttlSecondsAfterFinished"] == {"type": "integer", "format": "int32", "default": 0}
    assert "runtimeEnv" not in spec and spec["runtimeEnvYAML"]["type"] == "string"


def test_the_kubeconfig_is_private_and_names_the_simulator(server: ApiServer, tmp_path):
    path = server.write_kubeconfig(tmp_path / "kubeconfig")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == CONTEXT == "rayjob-harness-simulator"
    assert config["clusters"][0]["cluster"]["server"] == server.url
    assert config["users"][0]["user"]["token"] == server.token


def test_a_request_without_the_token_is_401(server: ApiServer):
    answer = Client(server, token="").get("/api/v1/namespaces/default/pods")
    assert answer.status == 401 and answer.body["reason"] == "Unauthorized"


def test_a_request_with_another_token_is_401(server: ApiServer):
    assert Client(server, token="guess").get("/version").status == 401


def test_the_server_listens_on_loopback_only_by_default(server: ApiServer):
    assert server.host == "127.0.0.1" and server.url.startswith("https://127.0.0.1:")


def test_plain_http_gets_no_answer(server: ApiServer):
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = sock.recv(100)
        except (ConnectionResetError, ssl.SSLError):
            data = b""
    assert not data.startswith(b"HTTP/1.1 200")


def test_a_malformed_json_body_is_400(client: Client, ns: str):
    answer = client.post(RAYJOBS.format(ns=ns), b'{"apiVersion": ')
    assert answer.status == 400 and answer.body["message"].startswith("couldn't get version/kind; json parse error")


def test_a_yaml_body_is_read_as_yaml(client: Client, ns: str):
    body = yaml.safe_dump(rayjob("from-yaml"))
    assert client.post(RAYJOBS.format(ns=ns), body, content_type="application/yaml").status == 201


def test_a_body_without_content_type_is_read_as_json(client: Client, ns: str):
    assert client.post(RAYJOBS.format(ns=ns), rayjob("bare"), content_type=None).status == 201


def test_a_protobuf_body_is_415(client: Client, ns: str):
    answer = client.post(RAYJOBS.format(ns=ns), b"\x00k8s", content_type="application/vnd.kubernetes.protobuf")
    assert answer.status == 415 and answer.body["reason"] == "UnsupportedMediaType"


def test_an_oversized_body_is_413(client: Client, ns: str):
    answer = client.post(RAYJOBS.format(ns=ns), b" " * (3 * 1024 * 1024 + 1))
    assert answer.status == 413 and answer.body["message"] == "Request entity too large: limit is 3145728"


def test_an_unknown_resource_is_404_with_the_servers_wording(client: Client):
    answer = client.get("/apis/ray.io/v1/namespaces/default/rayservices")
    assert answer.status == 404 and answer.body["message"] == "the server could not find the requested resource"


def test_a_body_of_another_kind_is_400(client: Client, ns: str):
    body = rayjob()
    body["kind"] = "RayCluster"
    answer = client.post(RAYJOBS.format(ns=ns), body)
    assert answer.status == 400 and "does not match the expected kind" in answer.body["message"]


def test_a_list_body_where_an_object_is_expected_is_400(client: Client, ns: str):
    assert client.post(RAYJOBS.format(ns=ns), [1, 2]).status == 400


def test_a_bad_label_selector_is_400(client: Client, ns: str):
    answer = client.get(f"{RAYJOBS.format(ns=ns)}?labelSelector=a%20in%20b%20c")
    assert answer.status == 400 and answer.body["message"].startswith("unable to parse requirement")


def test_a_failing_simulator_step_is_reported_and_the_server_keeps_answering(caplog):
    sim = Simulator("1.7")
    with ApiServer(sim, pacing="Manual") as server:
        client = Client(server)

        def boom() -> None:
            raise RuntimeError("a bug in a controller")

        server.world.call(lambda: sim.clock.call_later(1.0, boom))
        clock = client.advance(2)
        assert client.get("/api/v1/namespaces").status == 200
    assert clock["status"]["failures"] == ["RuntimeError: a bug in a controller"]
    assert "a simulator step failed" in caplog.text


def _server_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate()
            if t.name.startswith("rayjob-harness") or "process_request_thread" in t.name]


def test_stopping_the_server_ends_its_threads_even_with_idle_clients_connected():
    import time

    before = _server_threads()
    server = ApiServer(Simulator("1.7"), pacing="Manual").start()
    idle = Client(server).connection()
    idle.request("GET", "/version", headers={"Authorization": f"Bearer {server.token}"})
    idle.getresponse().read()  # the connection stays open, its server thread waiting for the next request
    server.stop()
    deadline = time.monotonic() + 10
    while _server_threads() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    idle.close()
    assert _server_threads() == before


def test_a_method_the_api_does_not_have_is_a_json_status(client: Client):
    answer = client.request("OPTIONS", "/version")
    assert answer.status == 405 and answer.body["kind"] == "Status"


def test_a_malformed_yaml_body_is_400_naming_the_line(client: Client, ns: str):
    answer = client.post(RAYJOBS.format(ns=ns), b"metadata:\n  name: [unclosed\n", content_type="application/yaml")
    assert answer.status == 400 and answer.body["message"].startswith("error converting YAML to JSON: yaml: line")
