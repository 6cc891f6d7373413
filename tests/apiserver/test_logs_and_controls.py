"""Pod logs (plain, tail, timestamps, follow) and the simulator's own controls group (clock, job scripts, operator)."""

from __future__ import annotations

import re
import time

from harness.apiserver import ApiServer
from harness.simulator import Simulator

from .client import Client
from .conftest import RAYJOBS, rayjob

CONTROLS = "/apis/simulator.rayjob-harness.io/v1alpha1"


def _run_to_completion(client: Client, ns: str, name: str, **spec: object) -> dict:
    client.post(RAYJOBS.format(ns=ns), rayjob(name, **spec))
    for _ in range(60):
        client.advance(5)
        job = client.get(f"{RAYJOBS.format(ns=ns)}/{name}").body
        if job.get("status", {}).get("jobDeploymentStatus") == "Complete":
            return job
    raise AssertionError(f"RayJob {name} did not complete: {job.get('status')}")


def _submitter_pod(client: Client, ns: str, name: str) -> str:
    pods = client.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=job-name%3D{name}").body["items"]
    return pods[0]["metadata"]["name"]


def test_the_submitter_log_is_plain_text_with_the_driver_output(client: Client, ns: str):
    _run_to_completion(client, ns, "logs")
    answer = client.get(f"/api/v1/namespaces/{ns}/pods/{_submitter_pod(client, ns, 'logs')}/log")
    assert answer.status == 200 and answer.headers["Content-Type"] == "text/plain"
    assert "training complete" in answer.raw.decode()


def test_tail_lines_keeps_the_last_lines_and_timestamps_prefix_each(client: Client, ns: str):
    _run_to_completion(client, ns, "tail")
    pod = _submitter_pod(client, ns, "tail")
    full = client.get(f"/api/v1/namespaces/{ns}/pods/{pod}/log").raw.decode().splitlines()
    tail = client.get(f"/api/v1/namespaces/{ns}/pods/{pod}/log?tailLines=2&timestamps=true").raw.decode()
    lines = tail.splitlines()
    assert len(lines) == 2
    for line, original in zip(lines, full[-2:], strict=True):
        stamp, _, text = line.partition(" ")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", stamp) and text == original


def test_logs_of_a_missing_pod_are_404(client: Client, ns: str):
    answer = client.get(f"/api/v1/namespaces/{ns}/pods/nope/log")
    assert answer.status == 404 and answer.body["message"] == 'pods "nope" not found'


def test_a_followed_log_streams_until_the_container_ends(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("follow"))
    for _ in range(40):
        client.advance(1)
        pods = client.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=job-name%3Dfollow").body["items"]
        statuses = pods[0].get("status", {}).get("containerStatuses") if pods else None
        if statuses and "running" in statuses[0]["state"]:
            break
    pod = pods[0]["metadata"]["name"]
    hangup, lines = client.stream(f"/api/v1/namespaces/{ns}/pods/{pod}/log?follow=true")
    try:
        for _ in range(60):
            client.advance(2)
            pods = client.get(f"/api/v1/namespaces/{ns}/pods/{pod}").body
            if pods["status"]["phase"] == "Succeeded":
                break
        received = b"".join(lines).decode()  # ends: the server closes the stream when the container ends
    finally:
        hangup.close()
    assert "training complete" in received


def test_advancing_the_clock_runs_what_falls_due_and_reports_virtual_time(client: Client):
    before = client.get(f"{CONTROLS}/clocks/virtual").body
    after = client.post(f"{CONTROLS}/clocks/virtual/advance", {"duration": "90s"}).body
    assert after["kind"] == "Clock" and after["spec"]["pacing"] == "Manual"
    assert after["status"]["now"] - before["status"]["now"] >= 90


def test_an_advance_needs_exactly_one_amount(client: Client):
    answer = client.post(f"{CONTROLS}/clocks/virtual/advance", {"seconds": 1, "duration": "1s"})
    assert answer.status == 422 and "exactly one" in answer.body["message"]
    answer = client.post(f"{CONTROLS}/clocks/virtual/advance", {"duration": "forever"})
    assert answer.status == 422 and "duration" in answer.body["message"]


def test_a_ttl_runs_out_when_virtual_time_is_fast_forwarded(client: Client, ns: str):
    job = _run_to_completion(client, ns, "ttl", ttlSecondsAfterFinished=3600)
    cluster = f"/apis/ray.io/v1/namespaces/{ns}/rayclusters/{job['status']['rayClusterName']}"
    assert client.get(cluster).status == 200
    client.post(f"{CONTROLS}/clocks/virtual/advance", {"duration": "1h"})
    assert client.get(cluster).status == 404


def test_wall_clock_pacing_moves_virtual_time_without_requests():
    with ApiServer(Simulator("1.7"), pacing="WallClock") as server:
        client = Client(server)
        first = client.get(f"{CONTROLS}/clocks/virtual").body["status"]["now"]
        time.sleep(0.5)
        second = client.get(f"{CONTROLS}/clocks/virtual").body["status"]["now"]
        assert second - first >= 0.4
        client.patch(f"{CONTROLS}/clocks/virtual", {"spec": {"pacing": "Manual"}})
        third = client.get(f"{CONTROLS}/clocks/virtual").body["status"]["now"]
        time.sleep(0.3)
        assert client.get(f"{CONTROLS}/clocks/virtual").body["status"]["now"] == third


def test_an_unknown_pacing_is_refused(client: Client):
    answer = client.patch(f"{CONTROLS}/clocks/virtual", {"spec": {"pacing": "Fast"}})
    assert answer.status == 422 and "supported values" in answer.body["message"]


def test_job_scripts_set_through_the_controls_decide_how_ray_jobs_end(client: Client, ns: str):
    previous = client.get(f"{CONTROLS}/jobscripts/default").body
    answer = client.put(f"{CONTROLS}/jobscripts/default", {
        "apiVersion": "simulator.rayjob-harness.io/v1alpha1", "kind": "JobScripts",
        "spec": {"byRayJob": {"doomed": {"runtime": "2s", "exitCode": 3}}}})
    assert answer.status == 200 and answer.body["spec"]["byRayJob"]["doomed"]["exitCode"] == 3
    try:
        client.post(RAYJOBS.format(ns=ns), rayjob("doomed"))
        for _ in range(60):
            client.advance(5)
            status = client.get(f"{RAYJOBS.format(ns=ns)}/doomed").body.get("status", {})
            if status.get("jobDeploymentStatus") in ("Failed", "Complete"):
                break
        assert status["jobStatus"] == "FAILED"
    finally:
        client.put(f"{CONTROLS}/jobscripts/default", previous)


def test_a_job_script_with_an_unknown_field_is_refused(client: Client):
    answer = client.put(f"{CONTROLS}/jobscripts/default", {"spec": {"default": {"runtim": "2s"}}})
    assert answer.status == 422 and "unknown field 'runtim'" in answer.body["message"]


def test_the_operator_shows_its_release_settings_and_executor(client: Client):
    operator = client.get(f"{CONTROLS}/operators/kuberay").body
    assert operator["spec"]["version"] == "1.7.0" and operator["spec"]["executor"] == "scripted"
    assert operator["spec"]["featureGates"]["RayJobDeletionPolicy"] is True


def test_patching_the_operator_restarts_it_with_the_new_environment(server: ApiServer, client: Client):
    change = {"spec": {"env": {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}}}
    try:
        answer = client.patch(f"{CONTROLS}/operators/kuberay", change)
        assert answer.status == 200
        assert answer.body["spec"]["env"] == {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}
        assert server.sim.config.delete_rayjob_after_finish
    finally:
        client.patch(f"{CONTROLS}/operators/kuberay", {"spec": {"env": {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": None}}})
    assert not server.sim.config.delete_rayjob_after_finish


def test_an_operator_setting_the_simulator_does_not_model_is_422_and_changes_nothing(client: Client):
    before = client.get(f"{CONTROLS}/operators/kuberay").body
    answer = client.patch(f"{CONTROLS}/operators/kuberay", {"spec": {"featureGates": {"NoSuchGate": True}}})
    assert answer.status == 422 and "NoSuchGate" in answer.body["message"]
    assert client.get(f"{CONTROLS}/operators/kuberay").body == before


def test_a_failed_next_create_refuses_whoever_creates_next(client: Client, ns: str):
    fault = {"spec": {"failNext": {"verb": "create", "kind": "ConfigMap", "namespace": ns,
                                   "reason": "ServiceUnavailable"}}}
    assert client.post(f"{CONTROLS}/faults", fault).status == 201
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "unlucky"}}
    refused = client.post(f"/api/v1/namespaces/{ns}/configmaps", body)
    assert refused.status == 503 and refused.body["reason"] == "ServiceUnavailable"
    assert client.post(f"/api/v1/namespaces/{ns}/configmaps", body).status == 201


def test_killing_the_head_container_makes_the_kubelet_restart_it(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("killed", ttlSecondsAfterFinished=3600))
    client.advance(20)
    pods = client.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=ray.io/node-type%3Dhead").body["items"]
    head = pods[0]["metadata"]["name"]
    answer = client.post(f"{CONTROLS}/faults", {"spec": {"killContainer": {"namespace": ns, "pod": head}}})
    assert answer.status == 201 and answer.body["status"]["virtualTime"] > 0
    client.advance(30)
    status = client.get(f"/api/v1/namespaces/{ns}/pods/{head}").body["status"]["containerStatuses"][0]
    assert status["restartCount"] == 1 and status["lastState"]["terminated"]["exitCode"] == 137


def test_an_unpullable_image_leaves_the_head_waiting(client: Client, ns: str):
    fault = {"spec": {"image": {"image": "rayproject/ray:9.9.9", "pullable": False}}}
    assert client.post(f"{CONTROLS}/faults", fault).status == 201
    try:
        body = rayjob("stuck")
        body["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["image"] = \
            "rayproject/ray:9.9.9"
        client.post(RAYJOBS.format(ns=ns), body)
        client.advance(60)
        pods = client.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=ray.io/node-type%3Dhead").body["items"]
        waiting = pods[0]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
        assert waiting in ("ErrImagePull", "ImagePullBackOff")
    finally:
        client.post(f"{CONTROLS}/faults", {"spec": {"image": {"image": "rayproject/ray:9.9.9", "pullable": True}}})


def test_a_fault_that_names_no_known_fault_is_422(client: Client):
    answer = client.post(f"{CONTROLS}/faults", {"spec": {"meteor": {}}})
    assert answer.status == 422 and "killContainer" in answer.body["message"]


def test_a_fault_with_a_missing_field_is_422_naming_it(client: Client):
    answer = client.post(f"{CONTROLS}/faults", {"spec": {"killContainer": {"namespace": "default"}}})
    assert answer.status == 422 and answer.body["message"] == "spec.killContainer.pod: Required value"


def test_the_controls_group_is_in_discovery(client: Client):
    groups = client.get("/apis").body["groups"]
    assert "simulator.rayjob-harness.io" in [group["name"] for group in groups]


def test_previous_logs_of_a_container_that_never_restarted_are_400(client: Client, ns: str):
    _run_to_completion(client, ns, "prev")
    answer = client.get(f"/api/v1/namespaces/{ns}/pods/{_submitter_pod(client, ns, 'prev')}/log?previous=true")
    assert answer.status == 400 and "previous terminated container" in answer.body["message"]


def test_under_manual_pacing_nothing_runs_until_an_advance_even_of_zero_seconds(client: Client, ns: str):
    client.post(RAYJOBS.format(ns=ns), rayjob("frozen"))
    assert "status" not in client.get(f"{RAYJOBS.format(ns=ns)}/frozen").body  # the first reconcile is due now
    client.post(f"{CONTROLS}/clocks/virtual/advance", {"seconds": 0})
    assert client.get(f"{RAYJOBS.format(ns=ns)}/frozen").body["status"]["jobDeploymentStatus"] == "Initializing"
