"""Suspend/resume (atomic suspend, the Kueue pattern) and backoffLimit retries, KubeRay v1.7
(RAYJOB_BEHAVIOR.md §3.2 Suspending/Retrying/Suspended, §3.6, §3.7)."""

from __future__ import annotations

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript, JobScripts
from harness.model.enums import JobStatus
from harness.raysim.dashboard import JobRecord, JobSink
from harness.sim.clock import Clock

from .builders import rayjob
from .conftest import deployment_states, reached, status


def test_suspending_a_running_rayjob_deletes_its_cluster_and_submitter_then_resets_the_status(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    assert reached(sim, "Running")
    cluster = status(sim)["rayClusterName"]
    sim.suspend("demo")
    assert reached(sim, "Suspended")
    assert deployment_states(sim)[-3:] == ["Running", "Suspending", "Suspended"]
    assert sim.get("RayCluster", cluster) is None
    assert sim.get("Job", "demo") is None
    final = status(sim)
    for cleared in ("jobId", "rayClusterName", "dashboardURL", "jobStatus", "message", "reason", "rayJobInfo"):
        assert cleared not in final
    events = [e["reason"] for e in sim.events_for("RayJob", "demo")]
    assert "DeletedRayCluster" in events and "DeletedRayJobSubmitter" in events


def test_suspending_while_initializing_also_goes_to_suspended(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    assert reached(sim, "Initializing")
    sim.suspend("demo")
    assert reached(sim, "Suspended")
    assert deployment_states(sim) == ["Initializing", "Suspending", "Suspended"]


def test_a_rayjob_created_suspended_never_creates_a_cluster(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, suspend=True))
    assert reached(sim, "Suspended")
    assert deployment_states(sim) == ["Initializing", "Suspending", "Suspended"]
    assert sim.journal.select(kind="RayCluster") == []


def test_resume_starts_over_with_a_new_job_id_cluster_and_start_time(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, suspend=True))
    assert reached(sim, "Suspended")
    first_start = sim.journal.values("status.startTime", kind="RayJob", namespace="default", name="demo")[0][1]
    first_id = sim.journal.values("status.jobId", kind="RayJob", namespace="default", name="demo")[0][1]
    sim.advance(60)
    sim.resume("demo")
    assert reached(sim, "Complete")
    assert deployment_states(sim)[-5:] == ["Suspended", "New", "Initializing", "Running", "Complete"]
    assert status(sim)["jobId"] != first_id
    assert status(sim)["startTime"] != first_start


def test_suspend_is_atomic_even_when_flipped_back_at_once(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    assert reached(sim, "Running")
    old_cluster = status(sim)["rayClusterName"]
    sim.suspend("demo")
    assert reached(sim, "Suspending")
    sim.resume("demo")
    assert reached(sim, "Running")
    assert deployment_states(sim)[-5:] == ["Suspending", "Suspended", "New", "Initializing", "Running"]
    assert status(sim)["rayClusterName"] != old_cluster


def test_suspend_is_ignored_after_completion(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=3600))
    assert reached(sim, "Complete")
    sim.suspend("demo")
    sim.advance(60)
    assert sim.deployment_status("demo") == "Complete"


def test_suspend_without_shutdown_after_job_finishes_is_a_validation_failure(sim):
    sim.apply(rayjob(suspend=True))
    assert reached(sim, "ValidationFailed", timeout=10)
    final = status(sim)
    assert final["reason"] == "ValidationFailed"
    assert final["message"] == ("The RayJob spec is invalid: a RayJob with shutdownAfterJobFinishes set to false is "
                                "not allowed to be suspended")
    first = sim.events_for("RayJob", "demo")[0]
    assert (first["type"], first["reason"]) == \
        ("Warning", "InvalidRayJobSpec")


def test_a_suspended_rayjob_is_not_requeued(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, suspend=True))
    assert reached(sim, "Suspended")
    sim.advance(10)
    before = sim.rayjob_controller.reconciles
    sim.advance(600)
    assert sim.rayjob_controller.reconciles == before


def test_every_attempt_fails_until_backoff_limit_plus_one_attempts(make_sim):
    sim = make_sim(exit_code=1)
    sim.apply(rayjob(backoffLimit=2))
    assert reached(sim, "Failed")
    states = deployment_states(sim)
    assert states.count("Retrying") == 2
    assert states[-1] == "Failed"
    assert status(sim)["failed"] == 3 and status(sim)["succeeded"] == 0
    ids = [v for _, v in sim.journal.values("status.jobId", kind="RayJob", namespace="default", name="demo") if v]
    clusters = [v for _, v in sim.journal.values("status.rayClusterName", kind="RayJob", namespace="default",
                                                 name="demo") if v]
    assert len(set(ids)) == 3 and len(set(clusters)) == 3


class _FailsFirst(ScriptedExecutor):
    """The first submission fails, later ones succeed."""

    def __init__(self) -> None:
        super().__init__(JobScript())
        self.attempts = 0

    def start(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        self.attempts += 1
        self.scripts = JobScripts(default=JobScript(exit_code=1 if self.attempts == 1 else 0))
        super().start(job, sink, clock)


def test_a_retry_that_succeeds_counts_one_failure_and_one_success(make_sim):
    sim = make_sim(executor=_FailsFirst())
    sim.apply(rayjob(backoffLimit=1))
    assert reached(sim, "Complete")
    assert "Retrying" in deployment_states(sim)
    assert status(sim)["failed"] == 1 and status(sim)["succeeded"] == 1
    assert status(sim)["jobStatus"] == JobStatus.SUCCEEDED.value


def test_retrying_deletes_the_old_cluster_before_starting_again(make_sim):
    sim = make_sim(exit_code=1)
    sim.apply(rayjob(backoffLimit=1))
    assert reached(sim, "Retrying")
    old = sim.journal.values("status.rayClusterName", kind="RayJob", namespace="default", name="demo")[0][1]
    assert reached(sim, "Initializing")
    assert sim.get("RayCluster", old) is None
