"""Token authentication (``authOptions.mode: token``, KubeRay v1.5+ as at v1.7.0): the operator's Secret, the
``RAY_AUTH_MODE``/``RAY_AUTH_TOKEN`` variables of every Ray container and submitter, and the dashboard that
answers only clients sending the token (the operator's client included)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from harness.simulator import Simulator

from .builders import rayjob

TOKEN_ENV = {"name": "RAY_AUTH_TOKEN", "valueFrom": {"secretKeyRef": {"name": "", "key": "auth_token"}}}


def token_job(**spec: Any) -> dict[str, Any]:
    return rayjob(**{"rayClusterSpec": {"authOptions": {"mode": "token"}}, **spec})


def cluster_name(sim: Simulator) -> str:
    return str(sim.get("RayJob", "demo")["status"]["rayClusterName"])  # type: ignore[index]


def finished(sim: Simulator, timeout: float = 900) -> str:
    sim.run_until(lambda: (sim.deployment_status("demo") or "") in ("Complete", "Failed"), timeout)
    return sim.deployment_status("demo") or ""


def auth_env(container: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in container.get("env") or [] if e["name"] in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")]


def expected_env(secret: str) -> list[dict[str, Any]]:
    return [{"name": "RAY_AUTH_MODE", "value": "token"},
            {"name": "RAY_AUTH_TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": "auth_token"}}}]


def test_the_raycluster_controller_creates_a_token_secret_owned_by_the_cluster(sim: Simulator) -> None:
    sim.apply(token_job())
    sim.run_until(lambda: bool(sim.list("Secret")), 60)
    secret = sim.list("Secret")[0]
    name = cluster_name(sim)
    assert secret["metadata"]["name"] == name
    assert secret["metadata"]["labels"] == {"ray.io/cluster": name}
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "RayCluster"
    assert secret["type"] == "Opaque" and "stringData" not in secret
    assert len(base64.b64decode(base64.b64decode(secret["data"]["auth_token"]))) == 32


def test_head_workers_and_submitter_get_the_token_variables_and_the_job_completes(sim: Simulator) -> None:
    sim.apply(token_job())
    assert finished(sim) == "Complete"
    name = cluster_name(sim)
    pods = sim.list("Pod", selector={"ray.io/cluster": name})
    assert {p["metadata"]["labels"]["ray.io/node-type"] for p in pods} == {"head", "worker"}
    for pod in pods:
        assert auth_env(pod["spec"]["containers"][0]) == expected_env(name)
    submitter = sim.get("Job", "demo")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert auth_env(submitter) == expected_env(name)


def test_the_sidecar_submitter_gets_the_token_variables(sim: Simulator) -> None:
    sim.apply(token_job(submissionMode="SidecarMode"))
    assert finished(sim) == "Complete"
    head = sim.head_pod(cluster_name(sim))
    assert head is not None
    sidecar = next(c for c in head["spec"]["containers"] if c["name"] == "ray-job-submitter")
    assert auth_env(sidecar) == expected_env(cluster_name(sim))


def test_the_operator_sends_the_token_in_http_mode(sim: Simulator) -> None:
    sim.apply(token_job(submissionMode="HTTPMode"))
    assert finished(sim) == "Complete"


def test_a_submitter_with_a_wrong_token_is_refused_by_the_dashboard(sim: Simulator) -> None:
    template = {"spec": {"restartPolicy": "Never", "containers": [{
        "name": "submitter", "image": "rayproject/ray:2.52.0",
        "env": [{"name": "RAY_AUTH_TOKEN", "value": "not-the-token"}]}]}}
    sim.apply(token_job(submitterPodTemplate=template, submitterConfig={"backoffLimit": 0}))
    assert finished(sim) == "Failed"
    assert sim.get("RayJob", "demo")["status"]["reason"] == "SubmissionFailed"  # type: ignore[index]
    pod = sim.list("Pod", selector={"job-name": "demo"})[0]
    assert "401 Unauthorized: Invalid authentication token" in sim.pod_logs(pod["metadata"]["name"])


def test_a_named_secret_is_used_instead_of_a_generated_one(sim: Simulator) -> None:
    sim.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "my-token"},
               "stringData": {"auth_token": "s3cret"}})
    sim.apply(token_job(rayClusterSpec={"authOptions": {"mode": "token", "secretName": "my-token"}}))
    assert finished(sim) == "Complete"
    assert [s["metadata"]["name"] for s in sim.list("Secret")] == ["my-token"]
    head = sim.head_pod(cluster_name(sim))
    assert head is not None and auth_env(head["spec"]["containers"][0]) == expected_env("my-token")


def test_a_missing_named_secret_keeps_the_head_from_starting_and_the_rayjob_initializing(sim: Simulator) -> None:
    sim.apply(token_job(rayClusterSpec={"authOptions": {"mode": "token", "secretName": "absent"}}))
    sim.advance(120)
    assert sim.deployment_status("demo") == "Initializing"
    head = sim.head_pod(cluster_name(sim))
    assert head is not None and head["status"]["phase"] == "Pending"
    waiting = head["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'secret "absent" not found'}


def test_the_operator_cannot_check_the_job_once_the_token_secret_is_gone(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(runtime=600.0)
    sim.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "my-token"},
               "stringData": {"auth_token": "s3cret"}})
    sim.apply(token_job(rayClusterSpec={"authOptions": {"mode": "token", "secretName": "my-token"}}))
    sim.run_until(lambda: sim.deployment_status("demo") == "Running", 300)
    sim.delete("Secret", "my-token")
    sim.advance(60)
    assert sim.deployment_status("demo") == "Running"
    assert any('failed to get auth secret default/my-token: secrets "my-token" not found' in line
               for line in sim.operator_log)


def test_without_auth_options_no_secret_and_no_token_variables_exist(sim: Simulator) -> None:
    sim.apply(rayjob())
    assert finished(sim) == "Complete"
    assert sim.list("Secret") == []
    head = sim.head_pod(cluster_name(sim))
    assert head is not None and auth_env(head["spec"]["containers"][0]) == []
