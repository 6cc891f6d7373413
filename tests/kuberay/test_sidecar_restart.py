"""SidecarMode with the v1.7 ``SidecarSubmitterRestart`` gate: the submitter container restarts in place
(``restartPolicy: OnFailure``), checks ``ray job status`` before submitting, and the RayJob fails only when the
restart count reaches the submitter back-off limit (``checkIsRestartCountExceeded``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.model.labels import SUBMITTER_CONTAINER
from harness.simulator import Simulator

from .builders import rayjob

GATE = {"SidecarSubmitterRestart": True}


def sidecar_job(**spec: Any) -> dict[str, Any]:
    return rayjob(submissionMode="SidecarMode", **spec)


def head(sim: Simulator) -> dict[str, Any]:
    cluster = sim.get("RayJob", "demo")["status"]["rayClusterName"]  # type: ignore[index]
    found = sim.head_pod(cluster)
    assert found is not None
    return found


def submitter_status(sim: Simulator) -> dict[str, Any]:
    return next(c for c in head(sim)["status"]["containerStatuses"] if c["name"] == SUBMITTER_CONTAINER)


def finished(sim: Simulator, timeout: float = 900) -> str:
    sim.run_until(lambda: (sim.deployment_status("demo") or "") in ("Complete", "Failed"), timeout)
    return sim.deployment_status("demo") or ""


def running_and_submitted(sim: Simulator) -> bool:
    """The RayJob is Running (its cluster was ready) and the sidecar has submitted the Ray job."""
    return sim.deployment_status("demo") == "Running" and sim.ray_job_record("demo") is not None


def kill_submitter_when_running(sim: Simulator) -> None:
    sim.run_until(lambda: submitter_status(sim)["state"].get("running") is not None, 120)
    sim.kill_container(head(sim)["metadata"]["name"], SUBMITTER_CONTAINER)


def test_with_the_gate_the_sidecar_checks_job_status_first_and_restarts_on_failure(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(feature_gates=GATE)
    sim.apply(sidecar_job())
    sim.run_until(lambda: bool(sim.list("RayCluster")), 60)
    container = next(c for c in sim.list("RayCluster")[0]["spec"]["headGroupSpec"]["template"]["spec"]["containers"]
                     if c["name"] == SUBMITTER_CONTAINER)
    assert container["restartPolicy"] == "OnFailure"
    script = container["args"][0]
    assert script.index("if ! ray job status") < script.index("ray job submit") < script.index("--no-wait")
    assert "ray job logs --address http://127.0.0.1:8265 --follow" in script


def test_a_killed_sidecar_restarts_and_follows_the_job_it_already_submitted(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(feature_gates=GATE, runtime=60.0)
    sim.apply(sidecar_job())
    sim.run_until(lambda: running_and_submitted(sim), 300)
    kill_submitter_when_running(sim)
    assert finished(sim) == "Complete"
    assert submitter_status(sim)["restartCount"] == 1
    record = sim.ray_job_record("demo")
    assert record is not None and record.status.value == "SUCCEEDED"
    log = sim.pod_logs(head(sim)["metadata"]["name"], container=SUBMITTER_CONTAINER)
    assert "submitted successfully" not in log  # the restarted script found the job and only followed it


def test_the_rayjob_fails_once_the_restart_count_reaches_the_back_off_limit(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(feature_gates=GATE, runtime=600.0)
    sim.apply(sidecar_job())
    sim.run_until(lambda: running_and_submitted(sim), 300)
    kill_submitter_when_running(sim)
    kill_submitter_when_running(sim)  # the second restart makes restartCount 2, the default limit
    assert finished(sim) == "Failed"
    status = sim.get("RayJob", "demo")["status"]  # type: ignore[index]
    assert status["reason"] == "SubmissionFailed"
    assert status["message"] == ("Ray head pod submitter container ray-job-submitter terminated after exceeding "
                                 "the maximum restart count")
    assert submitter_status(sim)["restartCount"] == 2
    assert status["jobStatus"] == "RUNNING"  # the Ray job itself was fine


def test_a_sidecar_that_never_manages_to_submit_ends_app_failed_before_any_restart_counts(
        make_sim: Callable[..., Simulator]) -> None:
    # `ray job submit` refuses a remote working_dir that is not a zip before contacting the cluster. Between two
    # restarts the container is terminated, so the first Running reconcile sees a finished submitter and no Ray
    # job: upstream's "not found" rule fires before checkIsRestartCountExceeded can.
    sim = make_sim(feature_gates=GATE)
    sim.apply(sidecar_job(runtimeEnvYAML="working_dir: s3://bucket/code\n"))
    assert finished(sim) == "Failed"
    status = sim.get("RayJob", "demo")["status"]  # type: ignore[index]
    assert (status["reason"], status["message"]) == \
        ("AppFailed", "Submitter completed but Ray job not found in RayCluster.")


def test_without_the_gate_the_first_non_zero_exit_of_the_sidecar_fails_the_rayjob(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(runtime=60.0)
    sim.apply(sidecar_job())
    sim.run_until(lambda: running_and_submitted(sim), 300)
    kill_submitter_when_running(sim)
    assert finished(sim) == "Failed"
    status = sim.get("RayJob", "demo")["status"]  # type: ignore[index]
    assert status["reason"] == "SubmissionFailed"
    assert status["message"] == "Ray head pod container ray-job-submitter terminated with exit code 137: Error"
    assert submitter_status(sim)["restartCount"] == 0
