"""What KubeRay v1.7 deletes after a RayJob finishes, and when (RAYJOB_BEHAVIOR.md §3.2 Complete/Failed, §3.8)."""

from __future__ import annotations

from .builders import raycluster, rayjob
from .conftest import reached, status


def _end(sim) -> float:
    return sim.clock.parse_timestamp(status(sim)["endTime"])


def test_ttl_deletes_only_the_raycluster_after_end_time_plus_ttl(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=60))
    assert sim.settle()
    cluster = status(sim)["rayClusterName"]
    assert sim.get("RayCluster", cluster) is None
    deleted_at = sim.journal.select(kind="RayCluster", name=cluster, types=("DELETED",))[0].t
    # Requeue lands at until(endTime+ttl)+2s (requeueDelayFor), so the cluster goes between +60 s and +62 s.
    assert _end(sim) + 60 <= deleted_at <= _end(sim) + 63
    assert sim.get("RayJob", "demo") is not None
    assert sim.get("Job", "demo") is not None  # kept so `kubectl logs` of the submitter still works
    assert sim.list("Pod", selector={"job-name": "demo"})
    assert sim.list("Pod", selector={"ray.io/cluster": cluster}) == []
    assert sim.get("Service", "demo-head-svc") is not None  # owned by the RayJob, not the cluster
    assert ("Normal", "DeletedRayCluster", f"Deleted cluster default/{cluster}") in [
        (e["type"], e["reason"], e["message"]) for e in sim.events_for("RayJob", "demo")]


def test_without_shutdown_the_raycluster_lingers_after_completion(sim):
    sim.apply(rayjob())
    assert sim.settle()
    sim.advance("2h")
    assert sim.get("RayCluster", status(sim)["rayClusterName"]) is not None
    assert sim.head_pod(status(sim)["rayClusterName"]) is not None


def test_ttl_zero_deletes_the_cluster_right_after_completion(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    assert reached(sim, "Complete")
    complete_at = sim.now
    cluster = status(sim)["rayClusterName"]
    sim.run_until(lambda: sim.get("RayCluster", cluster) is None, 30)
    assert sim.now - complete_at < 5


def test_failed_rayjob_is_cleaned_up_the_same_way(make_sim):
    sim = make_sim(exit_code=3)
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=10))
    assert sim.settle()
    assert sim.deployment_status("demo") == "Failed"
    assert sim.get("RayCluster", status(sim)["rayClusterName"]) is None


def test_operator_env_delete_rayjob_cr_after_job_finishes_deletes_the_rayjob_itself(make_sim):
    sim = make_sim(operator_env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "True"})
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=5))
    assert sim.settle()
    assert sim.get("RayJob", "demo") is None
    assert sim.list("RayCluster") == []
    assert sim.get("Job", "demo") is None  # garbage-collected with its owner


def test_deletion_rules_run_one_stage_at_a_time_by_ttl(sim):
    rules = [{"policy": p, "condition": {"jobStatus": s, "ttlSeconds": t}}
             for s in ("SUCCEEDED", "FAILED")
             for p, t in (("DeleteWorkers", 30), ("DeleteCluster", 60), ("DeleteSelf", 90))]
    sim.apply(rayjob(deletionStrategy={"deletionRules": rules}))
    assert reached(sim, "Complete")
    end = _end(sim)
    cluster = status(sim)["rayClusterName"]
    sim.run_until(lambda: sim.get("RayJob", "demo") is None, 200)
    reasons = [e.changes["reason"][1] for e in sim.journal.select(kind="Event", types=("ADDED",))
               if e.changes["involvedObject.kind"][1] == "RayJob"]
    assert reasons[-2:] == ["UpdatedRayCluster", "DeletedRayCluster"]
    worker_gone = next(e.t for e in sim.journal.select(kind="Pod", types=("DELETED",))
                       if "worker" in e.name)
    cluster_gone = sim.journal.select(kind="RayCluster", name=cluster, types=("DELETED",))[0].t
    rayjob_gone = sim.journal.select(kind="RayJob", name="demo", types=("DELETED",))[0].t
    assert end + 30 <= worker_gone < end + 60
    assert end + 60 <= cluster_gone < end + 90
    assert end + 90 <= rayjob_gone <= end + 95


def test_delete_workers_keeps_the_head_and_suspends_every_worker_group(sim):
    rules = [{"policy": "DeleteWorkers", "condition": {"jobStatus": "SUCCEEDED", "ttlSeconds": 0}}]
    sim.apply(rayjob(deletionStrategy={"deletionRules": rules}))
    assert sim.settle()
    cluster = sim.get("RayCluster", status(sim)["rayClusterName"])
    assert [g["suspend"] for g in cluster["spec"]["workerGroupSpecs"]] == [True]
    assert sim.list("Pod", selector={"ray.io/node-type": "worker"}) == []
    assert sim.head_pod(cluster["metadata"]["name"]) is not None
    assert ("Normal", "UpdatedRayCluster", "Set the `suspend` field to true for all worker groups in cluster "
            f"default/{cluster['metadata']['name']}") in [(e["type"], e["reason"], e["message"])
                                                           for e in sim.events_for("RayJob", "demo")]


def test_deletion_rule_on_deployment_status_failed_matches_a_deadline_failure(make_sim):
    sim = make_sim(runtime=600)
    rules = [{"policy": "DeleteCluster", "condition": {"jobDeploymentStatus": "Failed"}}]
    sim.apply(rayjob(activeDeadlineSeconds=60, deletionStrategy={"deletionRules": rules}))
    assert sim.settle()
    assert status(sim)["reason"] == "DeadlineExceeded"
    assert sim.list("RayCluster") == []


def test_legacy_on_failure_never_fires_for_a_stopped_job(make_sim):
    sim = make_sim(stopped=True)
    sim.apply(rayjob(deletionStrategy={"onSuccess": {"policy": "DeleteCluster"},
                                       "onFailure": {"policy": "DeleteCluster"}}))
    assert sim.settle()
    sim.advance("1h")
    assert status(sim)["jobStatus"] == "STOPPED"
    assert len(sim.list("RayCluster")) == 1


def test_legacy_on_success_uses_the_top_level_ttl(sim):
    sim.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=20,
                     deletionStrategy={"onSuccess": {"policy": "DeleteCluster"},
                                       "onFailure": {"policy": "DeleteWorkers"}}))
    assert reached(sim, "Complete")
    end = _end(sim)
    assert sim.settle()
    gone = sim.journal.select(kind="RayCluster", types=("DELETED",))[0].t
    assert end + 20 <= gone <= end + 23


def test_deletion_strategy_with_the_gate_off_is_a_validation_failure(make_sim):
    sim = make_sim(feature_gates={"RayJobDeletionPolicy": False})
    rules = [{"policy": "DeleteCluster", "condition": {"jobStatus": "SUCCEEDED"}}]
    sim.apply(rayjob(deletionStrategy={"deletionRules": rules}))
    assert reached(sim, "ValidationFailed", timeout=10)
    assert "RayJobDeletionPolicy feature gate must be enabled to use DeletionStrategy" in status(sim)["message"]


def test_cluster_selector_mode_never_deletes_the_existing_cluster(sim):
    sim.apply(raycluster("shared"))
    sim.apply(rayjob(rayClusterSpec=None, clusterSelector={"ray.io/cluster": "shared"}))
    assert sim.settle()
    sim.advance("1h")
    assert sim.get("RayCluster", "shared") is not None
    assert status(sim)["rayClusterName"] == "shared"
    assert sim.get("Service", "demo-head-svc") is None  # no RayJob-owned service in selector mode


def test_deleting_the_rayjob_stops_its_ray_job_and_garbage_collects_the_children(make_sim):
    sim = make_sim(runtime=600)
    sim.apply(rayjob())
    sim.run_until(lambda: status(sim).get("jobStatus") == "RUNNING")
    record = sim.ray_job_record("demo")
    cluster = status(sim)["rayClusterName"]
    sim.delete("RayJob", "demo", wait=True)
    sim.advance(10)
    assert record.status.value == "STOPPED"  # stopped by the finalizer before the head pod went away
    assert sim.get("RayCluster", cluster) is None
    assert sim.get("Job", "demo") is None
    assert sim.list("Pod") == []
