"""Deadlines, grace periods, stuck states and the failure paths of KubeRay v1.7 (RAYJOB_BEHAVIOR.md §3.2, §6)."""

from __future__ import annotations

import pytest

from harness.errors import ManifestError
from harness.model.kinds import POD
from harness.raysim.nodes import RayTimings

from .builders import rayjob
from .conftest import deployment_states, reached, status


def test_active_deadline_fails_a_running_rayjob_and_freezes_its_job_status(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob(activeDeadlineSeconds=60))
    assert reached(sim, "Failed")
    final = status(sim)
    start = final["startTime"]
    assert final["reason"] == "DeadlineExceeded"
    assert final["message"] == (f"The RayJob has passed the activeDeadlineSeconds. StartTime: "
                                f"{start[:10]} {start[11:19]} +0000 UTC. ActiveDeadlineSeconds: 60")
    assert final["jobStatus"] == "RUNNING"
    failed_at = sim.now
    assert sim.clock.parse_timestamp(start) + 60 <= failed_at <= sim.clock.parse_timestamp(start) + 63
    sim.advance(600)
    assert status(sim)["jobStatus"] == "RUNNING"  # never refreshed again (issue #2314)
    assert sim.ray_job_record("demo").status.value == "RUNNING"  # DeadlineExceeded does not stop the Ray job


def test_deadline_exceeded_is_not_retried(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob(activeDeadlineSeconds=30, backoffLimit=3))
    assert reached(sim, "Failed")
    assert "Retrying" not in deployment_states(sim)
    assert status(sim)["failed"] == 1


def test_pre_running_deadline_fails_a_rayjob_stuck_initializing(sim):
    manifest = rayjob(preRunningDeadlineSeconds=5)
    sim.apply(manifest)
    assert reached(sim, "Failed")
    assert status(sim)["reason"] == "PreRunningDeadlineExceeded"
    assert status(sim)["message"].endswith("PreRunningDeadlineSeconds: 5")
    assert deployment_states(sim) == ["Initializing", "Failed"]


def test_pre_running_deadline_failures_are_retried(sim):
    sim.apply(rayjob(preRunningDeadlineSeconds=5, backoffLimit=1))
    assert reached(sim, "Failed")
    assert deployment_states(sim).count("Retrying") == 1
    assert status(sim)["failed"] == 2


def test_a_head_without_a_dashboard_port_leaves_the_rayjob_initializing_for_ever(sim):
    manifest = rayjob()
    manifest["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 8265}]
    sim.apply(manifest)
    sim.advance("10m")
    assert sim.deployment_status("demo") == "Initializing"
    assert sim.get("Job", "demo") is None
    assert any("dashboard port is not found" in line for line in sim.operator_log)
    assert [e["reason"] for e in sim.events_for("RayJob", "demo")] == ["CreatedRayCluster"]
    svc = sim.get("Service", f"{status(sim)['rayClusterName']}-head-svc")
    assert {p["name"] for p in svc["spec"]["ports"]} == {"8265-port", "metrics"}


def test_grace_period_completes_a_rayjob_whose_submitter_never_finishes(make_sim):
    sim = make_sim(ray_timings=RayTimings(follow_drain=100_000))
    sim.apply(rayjob())
    assert reached(sim, "Complete", timeout=1000)
    final = status(sim)
    assert final["reason"] == "JobDeploymentStatusTransitionGracePeriodExceeded"
    assert final["message"] == ("JobDeploymentStatus does not transition to Complete or Failed within the grace "
                                "period after JobStatus reaches a terminal state.")
    end = sim.clock.parse_timestamp(final["rayJobInfo"]["endTime"])
    assert end + 300 <= sim.now <= end + 304


def test_grace_period_follows_the_operator_env(make_sim):
    sim = make_sim(ray_timings=RayTimings(follow_drain=100_000),
                   operator_env={"RAYJOB_DEPLOYMENT_STATUS_TRANSITION_GRACE_PERIOD_SECONDS": "20"})
    sim.apply(rayjob())
    assert reached(sim, "Complete", timeout=1000)
    end = sim.clock.parse_timestamp(status(sim)["rayJobInfo"]["endTime"])
    assert end + 20 <= sim.now <= end + 24


def test_submitter_job_reaching_its_backoff_limit_is_a_submission_failure(make_sim):
    sim = make_sim()
    manifest = rayjob(submitterConfig={"backoffLimit": 0})
    sim.apply(manifest)
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    # The head goes away while `ray job logs --follow` streams: the submitter pod fails and is not retried.
    head = sim.head_pod(status(sim)["rayClusterName"])
    sim.store.delete(POD, "default", head["metadata"]["name"], grace_period=0)
    assert reached(sim, "Failed", timeout=600)
    final = status(sim)
    assert final["reason"] == "SubmissionFailed"
    assert final["message"] == ("Job submission has failed. Reason: BackoffLimitExceeded. Message: Job has reached "
                                "the specified backoff limit")


def test_deleting_the_raycluster_while_running_recreates_it_under_the_same_name(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob())
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    cluster = status(sim)["rayClusterName"]
    sim.delete("RayCluster", cluster, wait=True)
    sim.run_until(lambda: sim.get("RayCluster", cluster) is not None, 30)
    assert sim.get("RayCluster", cluster) is not None
    assert sim.deployment_status("demo") == "Running"
    assert len(sim.journal.select(kind="RayCluster", name=cluster, types=("ADDED",))) == 2


def test_deleting_the_submitter_job_leaves_the_rayjob_running_with_errors(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob())
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    sim.delete("Job", "demo", wait=True)
    sim.advance(60)
    assert sim.deployment_status("demo") == "Running"
    assert sim.get("Job", "demo") is None  # not re-created
    assert any('jobs.batch "demo" not found' in line for line in sim.operator_log)


def test_status_check_timeout_fails_a_rayjob_whose_dashboard_stays_unreachable(make_sim):
    sim = make_sim(runtime=600, operator_env={"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "5"})
    sim.apply(rayjob(submissionMode="HTTPMode"))
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    head = sim.head_pod(status(sim)["rayClusterName"])
    sim.delete("Pod", head["metadata"]["name"])
    assert reached(sim, "Failed", timeout=120)
    final = status(sim)
    assert final["reason"] == "JobStatusCheckTimeoutExceeded"
    assert final["message"].startswith("Job status checks have been failing since ")
    assert final["message"].endswith("; exceeded timeout of 5s")


def test_validation_failed_is_a_dead_end_even_after_the_spec_is_fixed(sim):
    sim.apply(rayjob(suspend=True))
    assert reached(sim, "ValidationFailed", timeout=10)
    sim.patch("RayJob", "demo", {"spec": {"suspend": False}})
    sim.advance(120)
    assert sim.deployment_status("demo") == "ValidationFailed"
    assert sim.list("RayCluster") == []


def test_ttl_without_shutdown_is_rejected_since_v1_4(sim):
    sim.apply(rayjob(ttlSecondsAfterFinished=60))
    assert reached(sim, "ValidationFailed", timeout=10)
    assert status(sim)["message"] == ("The RayJob spec is invalid: a RayJob with shutdownAfterJobFinishes set to "
                                      "false cannot have TTLSecondsAfterFinished")


def test_managed_by_another_controller_is_left_alone(sim):
    sim.apply(rayjob(managedBy="kueue.x-k8s.io/multikueue"))
    sim.advance(60)
    assert status(sim) == {}
    assert sim.get("RayJob", "demo")["metadata"].get("finalizers") is None


def test_a_remote_working_dir_that_is_not_a_zip_fails_the_submission(sim):
    sim.apply(rayjob(runtimeEnvYAML="working_dir: s3://your-bucket/train-script\n"))
    assert reached(sim, "Failed", timeout=600)
    final = status(sim)
    assert final["reason"] == "SubmissionFailed"
    assert final["message"] == ("Job submission has failed. Reason: BackoffLimitExceeded. Message: Job has reached "
                                "the specified backoff limit")
    pods = sim.list("Pod", selector={"job-name": "demo"})
    assert len(pods) == 3  # submitterConfig.backoffLimit defaults to 2: three attempts
    assert "ValueError: Only .zip files supported for remote URIs." in sim.pod_logs(pods[0]["metadata"]["name"])


def test_a_submitter_that_finishes_before_the_ray_job_fails_the_rayjob_30s_later(make_sim):
    sim = make_sim(runtime=600)
    template = {"spec": {"restartPolicy": "Never", "containers": [{
        "name": "my-submitter", "image": "rayproject/ray:2.52.0",
        "command": ["bash", "-c", "ray job submit --address http://$RAY_DASHBOARD_ADDRESS --submission-id "
                    "$RAY_JOB_SUBMISSION_ID --no-wait -- python /home/ray/samples/sample_code.py"]}]}}
    sim.apply(rayjob(submitterPodTemplate=template))
    assert reached(sim, "Failed", timeout=600)
    final = status(sim)
    finished = sim.get("Job", "demo")["status"]["conditions"][-1]["lastTransitionTime"]
    finished_at = sim.clock.parse_timestamp(finished)
    assert final["reason"] == "JobDeploymentStatusTransitionGracePeriodExceeded"
    assert final["jobStatus"] == "FAILED"  # set by the operator although the Ray job still runs
    assert final["message"] == (f"The RayJob submitter finished at {finished[:10]} {finished[11:19]} but the ray job "
                                "did not reach terminal state within 30s")
    assert finished_at + 30 <= sim.now <= finished_at + 34
    assert sim.ray_job_record("demo").status.value == "RUNNING"


def test_a_user_submitter_command_is_left_as_written(make_sim):
    sim = make_sim()
    command = ["bash", "-c", "ray job submit --no-wait -- python x.py"]
    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "s", "image": "ray", "command": command}]}}
    sim.apply(rayjob(submitterPodTemplate=template))
    assert reached(sim, "Running")
    container = sim.get("Job", "demo")["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == command
    assert "args" not in container
    assert {e["name"] for e in container["env"]} == {"PYTHONUNBUFFERED", "RAY_DASHBOARD_ADDRESS",
                                                     "RAY_JOB_SUBMISSION_ID"}


def test_a_submitter_template_without_restart_policy_is_refused_by_the_api_server(sim):
    template = {"spec": {"containers": [{"name": "s", "image": "rayproject/ray:2.52.0"}]}}
    sim.apply(rayjob(submitterPodTemplate=template))
    sim.advance("5m")
    assert sim.deployment_status("demo") == "Initializing"
    warning = next(e for e in sim.events_for("RayJob", "demo") if e["type"] == "Warning")
    assert warning["reason"] == "FailedToCreateRayJobSubmitter"
    assert warning["message"] == ('Failed to create new Kubernetes Job default/demo: Job.batch "demo" is invalid: '
                                  'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", '
                                  '"Never"')


def test_a_patch_with_an_unknown_field_is_refused_as_the_api_server_refuses_it(sim):
    sim.apply(rayjob())
    with pytest.raises(ManifestError) as info:
        sim.patch("RayJob", "demo", {"spec": {"jobid": "x"}})
    assert 'strict decoding error: unknown field "spec.jobid"' in str(info.value)
    assert "jobId" not in (sim.get("RayJob", "demo")["spec"])


def test_http_mode_records_failing_status_checks_and_resubmits_to_a_new_head(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob(submissionMode="HTTPMode"))
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    head = sim.head_pod(status(sim)["rayClusterName"])
    sim.delete("Pod", head["metadata"]["name"])
    sim.run_until(lambda: "jobStatusCheckFailureStartTime" in status(sim), 60)
    assert "jobStatusCheckFailureStartTime" in status(sim)
    assert sim.deployment_status("demo") == "Running"
    # The re-created head has an empty job table: the operator submits the job again, and checks succeed again.
    sim.run_until(lambda: "jobStatusCheckFailureStartTime" not in status(sim), 120)
    assert "jobStatusCheckFailureStartTime" not in status(sim)
    assert sim.ray_job_record("demo").request.submitted_by == "operator"
    assert sim.deployment_status("demo") == "Running"
