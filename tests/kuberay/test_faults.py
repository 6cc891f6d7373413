"""How KubeRay v1.7 reacts to the faults its own tests inject: a dashboard answering the operator an error,
"not found" or a chosen status; the API server refusing a create or a delete; a held submitter Job whose status
is written by hand; a killed submitter container (RAYJOB_BEHAVIOR.md §3.2)."""

from __future__ import annotations

from harness.model.enums import JobStatus
from harness.raysim.faults import JobInfoFault

from .builders import rayjob
from .conftest import deployment_states, reached, status

NO_WAIT = {"spec": {"restartPolicy": "Never", "containers": [{
    "name": "my-submitter", "image": "rayproject/ray:2.52.0",
    "command": ["bash", "-c", "ray job submit --address http://$RAY_DASHBOARD_ADDRESS --submission-id "
                "$RAY_JOB_SUBMISSION_ID --no-wait -- python /home/ray/samples/sample_code.py"]}]}}


def running(sim) -> str:
    assert sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING", 600)
    return str(status(sim)["rayClusterName"])


def test_a_dashboard_answering_errors_fails_the_rayjob_after_the_status_check_timeout(make_sim):
    sim = make_sim(runtime=3600, operator_env={"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60"})
    sim.apply(rayjob(submissionMode="HTTPMode", backoffLimit=2))
    cluster = running(sim)
    broken_at = sim.now
    sim.answer_job_info(cluster, JobInfoFault("error"))
    assert reached(sim, "Failed", timeout=600)
    final = status(sim)
    assert final["reason"] == "JobStatusCheckTimeoutExceeded"
    assert final["message"].endswith("; exceeded timeout of 60s")
    assert broken_at + 60 <= sim.now <= broken_at + 60 + 4  # the next 3 s poll after the timeout
    assert "Retrying" not in deployment_states(sim)  # not retried, whatever backoffLimit says


def test_a_dashboard_that_answers_again_clears_the_failure_start_time(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob(submissionMode="HTTPMode"))
    cluster = running(sim)
    sim.answer_job_info(cluster, JobInfoFault("error"))
    assert sim.run_until(lambda: status(sim).get("jobStatusCheckFailureStartTime") is not None, 10)
    sim.answer_job_info(cluster, None)
    assert sim.run_until(lambda: status(sim).get("jobStatusCheckFailureStartTime") is None, 10)
    sim.advance(600)
    assert sim.deployment_status("demo") == "Running"


def test_a_job_not_found_after_the_submitter_finished_fails_the_rayjob_as_app_failed(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob(submitterPodTemplate=NO_WAIT))
    cluster = running(sim)
    assert sim.run_until(lambda: any(c["type"] == "Complete" for c in (sim.get("Job", "demo") or {}).get(
        "status", {}).get("conditions", [])), 60)
    sim.answer_job_info(cluster, JobInfoFault("not_found"))
    assert reached(sim, "Failed", timeout=60)
    final = status(sim)
    assert (final["reason"], final["message"]) == ("AppFailed",
                                                   "Submitter completed but Ray job not found in RayCluster.")


def test_a_job_not_found_while_the_submitter_runs_keeps_the_rayjob_running(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob())
    cluster = running(sim)
    sim.answer_job_info(cluster, JobInfoFault("not_found"))
    sim.advance(1800)
    assert sim.deployment_status("demo") == "Running"


def test_a_dashboard_answering_succeeded_completes_an_http_mode_rayjob(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob(submissionMode="HTTPMode"))
    cluster = running(sim)
    sim.answer_job_info(cluster, JobInfoFault("status", JobStatus.SUCCEEDED, "done, says the dashboard"))
    assert reached(sim, "Complete", timeout=10)
    final = status(sim)
    assert (final["jobStatus"], final["message"]) == ("SUCCEEDED", "done, says the dashboard")
    assert final["rayJobInfo"]["endTime"]
    assert sim.ray_job_record("demo").status == JobStatus.RUNNING  # the job itself runs on


def test_a_refused_raycluster_creation_is_a_warning_event_then_a_retry(sim):
    sim.fail_next("create", "RayCluster", times=2, message="etcdserver: request timed out")
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    warnings = [e for e in sim.events_for("RayJob", "demo") if e["reason"] == "FailedToCreateRayCluster"]
    assert len(warnings) == 1 and warnings[0]["count"] == 2
    assert warnings[0]["message"].startswith("Failed to create RayCluster default/demo-")
    assert warnings[0]["message"].endswith(": Internal error occurred: etcdserver: request timed out")


def test_a_refused_submitter_creation_is_a_warning_event_then_a_retry(sim):
    sim.fail_next("create", "Job")
    sim.apply(rayjob())
    assert reached(sim, "Complete")
    [warning] = [e for e in sim.events_for("RayJob", "demo") if e["type"] == "Warning"]
    assert warning["reason"] == "FailedToCreateRayJobSubmitter"


def test_a_refused_raycluster_deletion_delays_a_suspension_with_a_warning(make_sim):
    sim = make_sim(runtime=3600)
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    running(sim)
    sim.fail_next("delete", "RayCluster", reason="Forbidden", message="denied by a policy")
    sim.patch("RayJob", "demo", {"spec": {"suspend": True}})
    assert reached(sim, "Suspended", timeout=120)
    [warning] = [e for e in sim.events_for("RayJob", "demo") if e["reason"] == "FailedToDeleteRayCluster"]
    assert warning["message"].endswith('is forbidden: denied by a policy')


def test_a_held_submitter_whose_status_is_written_failed_fails_the_rayjob(sim):
    sim.hold_submitter("demo")
    sim.apply(rayjob())
    assert reached(sim, "Running")
    sim.advance(600)
    assert sim.list("Pod", selector={"job-name": "demo"}) == []
    sim.patch("Job", "demo", {"status": {"conditions": [{
        "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit"}]}}, subresource="status")
    assert reached(sim, "Failed", timeout=10)
    assert status(sim)["reason"] == "SubmissionFailed"


def test_a_killed_submitter_container_is_replaced_and_the_rayjob_still_completes(make_sim):
    sim = make_sim(runtime=120)
    sim.apply(rayjob())
    running(sim)
    [first] = sim.list("Pod", selector={"job-name": "demo"})
    sim.kill_container(first["metadata"]["name"])
    assert reached(sim, "Complete")
    assert status(sim)["jobStatus"] == "SUCCEEDED"
    assert len(sim.list("Pod", selector={"job-name": "demo"})) == 2
