"""KubeRay v1.7 RayJob lifecycle in K8sJobMode: the states, names, objects, events and status fields a RayJob goes
through from apply to completion (RAYJOB_BEHAVIOR.md §2, §3.2-3.4, §5)."""

from __future__ import annotations

import re

from harness.executors.scripted import ScriptedExecutor
from harness.model.enums import JobStatus
from harness.raysim.dashboard import JobRecord, JobSink
from harness.sim.clock import Clock

from .builders import rayjob
from .conftest import deployment_states, job_states, reached, status, time_of

SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"


def test_successful_rayjob_goes_initializing_running_complete(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    assert deployment_states(sim) == ["Initializing", "Running", "Complete"]
    final = status(sim)
    assert final["jobStatus"] == "SUCCEEDED"
    assert final["succeeded"] == 1 and final["failed"] == 0
    assert "reason" not in final


def test_first_reconcile_adds_the_finalizer_and_names_the_job_and_cluster(sim):
    sim.apply(rayjob())
    sim.run_until(lambda: sim.deployment_status("demo") == "Initializing")
    raw = sim.get("RayJob", "demo")
    assert raw["metadata"]["finalizers"] == ["ray.io/rayjob-finalizer"]
    assert re.fullmatch(f"demo-{SUFFIX}", raw["status"]["jobId"])
    assert re.fullmatch(f"demo-{SUFFIX}", raw["status"]["rayClusterName"])  # v1.4+: no -raycluster- infix
    assert raw["status"]["jobId"] != raw["status"]["rayClusterName"]
    assert raw["status"]["startTime"] == sim.clock.timestamp(0)


def test_spec_job_id_becomes_the_submission_id_verbatim(sim):
    sim.apply(rayjob(jobId="my-fixed-id"))
    assert reached(sim, "Complete")
    assert status(sim)["jobId"] == "my-fixed-id"
    assert "Running entrypoint for job my-fixed-id" in sim.driver_log("demo")


def test_generated_raycluster_carries_the_rayjob_labels_and_owner(sim):
    manifest = rayjob()
    manifest["metadata"]["labels"] = {"team": "ml"}
    sim.apply(manifest)
    sim.run_until(lambda: bool(sim.list("RayCluster")))
    cluster = sim.list("RayCluster")[0]
    assert cluster["metadata"]["labels"] == {"team": "ml", "ray.io/originated-from-cr-name": "demo",
                                             "ray.io/originated-from-crd": "RayJob",
                                             "ray.io/job-submission-mode": "K8sJobMode"}
    owner = cluster["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("RayJob", "demo", True)


def test_running_needs_a_ready_raycluster_and_sets_the_dashboard_url(sim):
    sim.apply(rayjob())
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    assert status(sim)["dashboardURL"] == f"{cluster}-head-svc.default.svc.cluster.local:8265"
    ready_at = time_of(sim, "status.state", "ready", kind="RayCluster", name=cluster)
    assert time_of(sim, "status.jobDeploymentStatus", "Running") == ready_at


def test_rayclusterstatus_is_mirrored_while_initializing(sim):
    sim.apply(rayjob())
    sim.run_until(lambda: bool((status(sim).get("rayClusterStatus") or {}).get("desiredWorkerReplicas")))
    assert sim.deployment_status("demo") == "Initializing"
    assert status(sim)["rayClusterStatus"]["desiredWorkerReplicas"] == 1


def test_submitter_job_is_named_after_the_rayjob_and_runs_the_v1_7_command(sim):
    sim.apply(rayjob(runtimeEnvYAML="env_vars:\n  A: b\n", entrypointNumCpus=1))
    assert reached(sim, "Running")
    job = sim.get("Job", "demo")
    assert job["spec"]["backoffLimit"] == 2
    assert job["metadata"]["labels"] == {"ray.io/originated-from-cr-name": "demo",
                                         "ray.io/originated-from-crd": "RayJob",
                                         "app.kubernetes.io/created-by": "kuberay-operator"}
    container = job["spec"]["template"]["spec"]["containers"][0]
    url = status(sim)["dashboardURL"]
    job_id = status(sim)["jobId"]
    assert container["name"] == "ray-job-submitter"
    assert container["command"] == ["/bin/bash", "-ce", "--"]
    script = container["args"][0]
    assert script.startswith("until python -c ")
    assert (f"if ! ray job status --address http://{url} {job_id} >/dev/null 2>&1 ; then ray job submit "
            f"--address http://{url} --no-wait --runtime-env-json \"{{\\\"env_vars\\\":{{\\\"A\\\":\\\"b\\\"}}}}\" "
            f"--submission-id {job_id} --entrypoint-num-cpus 1.000000 -- python /home/ray/samples/sample_code.py ; "
            f"fi ; ray job logs --address http://{url} --follow {job_id}") in script
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"PYTHONUNBUFFERED": "1", "RAY_DASHBOARD_ADDRESS": url, "RAY_JOB_SUBMISSION_ID": job_id}


def test_complete_waits_for_the_submitter_to_finish_after_the_ray_job_succeeded(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    succeeded_at = time_of(sim, "status.jobStatus", "SUCCEEDED")
    complete_at = time_of(sim, "status.jobDeploymentStatus", "Complete")
    assert complete_at > succeeded_at  # the submitter drains logs for a few seconds after the job ends
    conditions = sim.get("Job", "demo")["status"]["conditions"]
    assert [c["type"] for c in conditions] == ["SuccessCriteriaMet", "Complete"]


def test_app_failure_ends_failed_with_reason_app_failed_and_rays_message(make_sim):
    sim = make_sim(exit_code=1, output=("Traceback (most recent call last):", "ValueError: boom"))
    sim.apply(rayjob())
    assert reached(sim, "Failed")
    final = status(sim)
    assert final["jobStatus"] == "FAILED"
    assert final["reason"] == "AppFailed"
    assert final["message"].startswith("Job entrypoint command failed with exit code 1")
    assert final["failed"] == 1 and final["succeeded"] == 0
    # `ray job logs --follow` exits 0 even for a failed job, so the submitter Job completes.
    assert [c["type"] for c in sim.get("Job", "demo")["status"]["conditions"]][-1] == "Complete"


def test_stopped_ray_job_ends_complete_without_counting_a_success(make_sim):
    sim = make_sim(stopped=True)
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    assert status(sim)["jobStatus"] == "STOPPED"
    assert status(sim)["succeeded"] == 0


def test_end_time_is_stamped_when_the_terminal_state_is_written(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    complete_at = time_of(sim, "status.jobDeploymentStatus", "Complete")
    assert status(sim)["endTime"] == sim.clock.timestamp(complete_at)
    assert time_of(sim, "status.endTime", status(sim)["endTime"]) == complete_at


def test_ray_job_info_records_the_ray_jobs_own_start_and_end(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    info = status(sim)["rayJobInfo"]
    record = sim.ray_job_record("demo")
    assert info["startTime"] == sim.clock.timestamp(record.start_time_ms / 1000 - sim.clock.origin)
    assert info["endTime"] == sim.clock.timestamp(record.end_time_ms / 1000 - sim.clock.origin)


def test_events_name_each_created_object_as_upstream_words_them(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    cluster = status(sim)["rayClusterName"]
    events = [(e["type"], e["reason"], e["message"]) for e in sim.events_for("RayJob", "demo")]
    assert events == [
        ("Normal", "CreatedRayCluster", f"Created RayCluster default/{cluster}"),
        ("Normal", "CreatedRayJobSubmitter", "Created Kubernetes Job default/demo"),
        ("Normal", "CreatedService", "Created the service default/demo-head-svc"),
    ]
    assert all(e["source"]["component"] == "rayjob-controller" for e in sim.events_for("RayJob", "demo"))


def test_rayjob_owned_head_service_selects_the_current_cluster(sim):
    sim.apply(rayjob())
    assert reached(sim, "Running")
    sim.advance(1)  # the Service is reconciled in the first Running reconcile
    svc = sim.get("Service", "demo-head-svc")
    assert svc["spec"]["selector"]["ray.io/cluster"] == status(sim)["rayClusterName"]
    assert svc["metadata"]["ownerReferences"][0]["kind"] == "RayJob"
    assert {p["name"] for p in svc["spec"]["ports"]} == {"gcs-server", "dashboard", "client", "metrics"}


def test_head_pod_and_worker_pods_have_upstream_names_and_labels(sim):
    sim.apply(rayjob())
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    head = sim.head_pod(cluster)
    assert re.fullmatch(f"{cluster}-head-{SUFFIX}", head["metadata"]["name"])
    assert head["metadata"]["labels"]["ray.io/node-type"] == "head"
    assert head["metadata"]["labels"]["ray.io/group"] == "headgroup"
    workers = sim.list("Pod", selector={"ray.io/node-type": "worker"})
    assert len(workers) == 1
    assert re.fullmatch(f"{cluster}-small-group-worker-{SUFFIX}", workers[0]["metadata"]["name"])


def test_submitter_pod_streams_the_driver_log(make_sim):
    sim = make_sim(output=("epoch 1", "training complete"))
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    pod = sim.list("Pod", selector={"job-name": "demo"})[0]
    log = sim.pod_logs(pod["metadata"]["name"])
    job_id = status(sim)["jobId"]
    assert f"Job '{job_id}' submitted successfully" in log
    assert log.index("epoch 1") < log.index("training complete") < log.index(f"Job '{job_id}' succeeded")


def test_head_container_log_is_ray_start_output_not_the_driver_log(make_sim):
    sim = make_sim(output=("training complete",))
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    head = sim.head_pod(status(sim)["rayClusterName"])
    head_log = sim.pod_logs(head["metadata"]["name"], container="ray-head")
    assert "Ray runtime started." in head_log
    assert "training complete" not in head_log
    assert "training complete" in sim.driver_log("demo")


class _ChattyExecutor(ScriptedExecutor):
    """Reports a second RUNNING message mid-run: a message-only change that KubeRay does not persist."""

    def start(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        super().start(job, sink, clock)
        clock.call_later(3.0, lambda: sink.set_status(job.submission_id, JobStatus.RUNNING, message="half way"))


def test_a_new_ray_message_alone_is_not_written_to_the_status(make_sim):
    sim = make_sim(executor=_ChattyExecutor(), )
    sim.apply(rayjob())
    sim.run_until(lambda: sim.ray_job_record("demo") is not None and
                  sim.ray_job_record("demo").message == "half way" if sim.deployment_status("demo") == "Running"
                  else False)
    sim.advance(1.0)
    assert sim.deployment_status("demo") == "Running"
    assert status(sim)["message"] == "Job is currently running."


def test_job_status_sequence_is_observed_in_order(sim):
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    assert job_states(sim)[-2:] == ["RUNNING", "SUCCEEDED"]
