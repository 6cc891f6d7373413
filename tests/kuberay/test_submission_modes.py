"""HTTPMode, InteractiveMode, SidecarMode and clusterSelector, KubeRay v1.7 (RAYJOB_BEHAVIOR.md §3.2, §3.4, §3.5)."""

from __future__ import annotations

from .builders import raycluster, rayjob
from .conftest import deployment_states, reached, status, time_of


def test_http_mode_submits_from_the_operator_once_running_and_creates_no_job(sim):
    sim.apply(rayjob(submissionMode="HTTPMode"))
    assert reached(sim, "Complete")
    assert sim.journal.select(kind="Job") == []
    record = sim.ray_job_record("demo")
    assert record.request.submitted_by == "operator"
    submitted_at = record.history[0][0]
    assert submitted_at >= time_of(sim, "status.jobDeploymentStatus", "Running")


def test_http_mode_completes_as_soon_as_the_ray_job_is_terminal(sim):
    sim.apply(rayjob(submissionMode="HTTPMode"))
    assert reached(sim, "Complete")
    ended = sim.ray_job_record("demo").history[-1][0]
    assert sim.now - ended <= 3.0  # one requeue at most; no submitter to wait for


def test_interactive_mode_waits_for_the_user_to_set_spec_job_id(sim):
    sim.apply(rayjob(submissionMode="InteractiveMode"))
    assert reached(sim, "Waiting")
    sim.advance(120)
    assert sim.deployment_status("demo") == "Waiting"
    assert "jobId" not in status(sim)
    sim.ray_job_submit("demo", "by-hand-1")
    sim.patch("RayJob", "demo", {"spec": {"jobId": "by-hand-1"}})
    assert reached(sim, "Complete")
    assert deployment_states(sim) == ["Initializing", "Waiting", "Running", "Complete"]
    assert status(sim)["jobId"] == "by-hand-1"
    assert sim.journal.select(kind="Job") == []


def test_interactive_mode_ignores_suspend_while_waiting(sim):
    sim.apply(rayjob(submissionMode="InteractiveMode", shutdownAfterJobFinishes=True))
    assert reached(sim, "Waiting")
    sim.suspend("demo")
    sim.advance(60)
    assert sim.deployment_status("demo") == "Waiting"


def test_interactive_mode_with_backoff_limit_is_rejected(sim):
    sim.apply(rayjob(submissionMode="InteractiveMode", backoffLimit=1))
    assert reached(sim, "ValidationFailed", timeout=10)
    assert status(sim)["message"].endswith("BackoffLimit is incompatible with InteractiveMode")


def test_sidecar_mode_injects_the_submitter_into_the_head_pod(sim):
    sim.apply(rayjob(submissionMode="SidecarMode"))
    assert reached(sim, "Complete")
    cluster = sim.get("RayCluster", status(sim)["rayClusterName"])
    pod_spec = cluster["spec"]["headGroupSpec"]["template"]["spec"]
    assert [c["name"] for c in pod_spec["containers"]] == ["ray-head", "ray-job-submitter"]
    assert pod_spec["restartPolicy"] == "Never"
    assert cluster["metadata"]["annotations"]["ray.io/disable-provisioned-head-restart"] == "true"
    sidecar = pod_spec["containers"][1]
    assert "ray job submit --address http://127.0.0.1:8265 --submission-id" in sidecar["args"][0]
    assert "--no-wait" not in sidecar["args"][0]
    assert {e["name"]: e["value"] for e in sidecar["env"]}["RAY_DASHBOARD_ADDRESS"] == ""
    assert sim.journal.select(kind="Job") == []


def test_sidecar_submitter_exit_code_one_after_an_app_failure_is_app_failed(make_sim):
    sim = make_sim(exit_code=2)
    sim.apply(rayjob(submissionMode="SidecarMode"))
    assert reached(sim, "Failed")
    assert status(sim)["reason"] == "AppFailed"
    assert status(sim)["jobStatus"] == "FAILED"


def test_sidecar_mode_fails_when_the_head_pod_is_gone(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob(submissionMode="SidecarMode"))
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    head = sim.head_pod(status(sim)["rayClusterName"])
    sim.delete("Pod", head["metadata"]["name"])
    assert reached(sim, "Failed", timeout=120)
    assert status(sim)["reason"] in ("AppFailed", "SubmissionFailed")


def test_cluster_selector_runs_on_the_named_existing_cluster(sim):
    sim.apply(raycluster("shared"))
    sim.apply(rayjob(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}))
    assert reached(sim, "Complete")
    assert status(sim)["rayClusterName"] == "shared"
    assert status(sim)["dashboardURL"] == "shared-head-svc.default.svc.cluster.local:8265"
    assert [e["reason"] for e in sim.events_for("RayJob", "demo")] == ["CreatedRayJobSubmitter"]


def test_cluster_selector_naming_a_missing_cluster_stays_initializing_with_warnings(sim):
    sim.apply(rayjob(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "nowhere"}))
    sim.advance(60)
    assert sim.deployment_status("demo") == "Initializing"
    warning = sim.events_for("RayJob", "demo")[0]
    assert (warning["type"], warning["reason"]) == ("Warning", "RayClusterNotFound")
    assert warning["message"] == ("RayCluster default/nowhere set in the clusterSelector is not found. It must be "
                                  "created manually")
    assert warning["count"] > 1


def test_fixed_job_id_against_a_long_lived_cluster_reports_the_old_runs_status(make_sim):
    sim = make_sim()
    sim.apply(raycluster("shared"))
    sim.apply(rayjob(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}, jobId="nightly"))
    assert reached(sim, "Complete")
    first_end = sim.ray_job_record("demo").end_time_ms
    sim.delete("RayJob", "demo", wait=True)
    sim.delete("Job", "demo", wait=True) if sim.get("Job", "demo") else None
    sim.apply(rayjob(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}, jobId="nightly"))
    assert reached(sim, "Complete")
    # The re-created RayJob's submitter finds job "nightly" already there, follows it and reports it again.
    assert sim.ray_job_record("demo").end_time_ms == first_end
