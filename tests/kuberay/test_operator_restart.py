"""Restarting the KubeRay operator mid-run, with other environment variables or feature gates: the new process
reconciles every existing object with its own settings; an unmodelled setting is refused and changes nothing."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.simulator import Simulator

from .builders import rayjob


def test_a_restarted_operator_with_delete_rayjob_after_finish_deletes_the_rayjob(sim: Simulator) -> None:
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    sim.run_until(lambda: sim.deployment_status("demo") == "Running", 300)
    sim.restart_operator(operator_env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"})
    sim.run_until(lambda: sim.get("RayJob", "demo") is None, 900)
    assert sim.get("RayJob", "demo") is None
    assert sim.config.delete_rayjob_after_finish


def test_without_the_restart_only_the_cluster_is_deleted(sim: Simulator) -> None:
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    sim.run_until(lambda: sim.deployment_status("demo") == "Complete", 900)
    sim.advance(30)
    assert sim.get("RayJob", "demo") is not None
    assert sim.list("RayCluster") == []


def test_a_restart_turns_a_feature_gate_on_for_what_the_operator_builds_next(sim: Simulator) -> None:
    sim.restart_operator(feature_gates={"SidecarSubmitterRestart": True})
    sim.apply(rayjob(submissionMode="SidecarMode"))
    sim.run_until(lambda: bool(sim.list("RayCluster")), 60)
    containers = sim.list("RayCluster")[0]["spec"]["headGroupSpec"]["template"]["spec"]["containers"]
    assert next(c for c in containers if c["name"] == "ray-job-submitter")["restartPolicy"] == "OnFailure"


def test_a_restart_with_an_unmodelled_setting_is_refused_and_the_operator_keeps_running(sim: Simulator) -> None:
    sim.apply(rayjob())
    with pytest.raises(InputError, match="KubernetesWAS=true is not modelled"):
        sim.restart_operator(feature_gates={"KubernetesWAS": True})
    sim.run_until(lambda: sim.deployment_status("demo") == "Complete", 900)
    assert sim.deployment_status("demo") == "Complete"


def test_the_operator_log_spans_restarts_and_the_journal_records_the_restart(sim: Simulator) -> None:
    sim.apply(rayjob(clusterSelector={"ray.io/cluster": "missing"}, rayClusterSpec=None))
    sim.advance(10)
    before = list(sim.operator_log)
    assert before
    sim.restart_operator(operator_env={"CLUSTER_DOMAIN": "example.org"})
    sim.advance(10)
    assert sim.operator_log[:len(before)] == before and len(sim.operator_log) > len(before)
    actions = [e for e in sim.journal.entries if e.type == "ACTION" and e.action == "restart operator"]
    assert [a.detail for a in actions] == ["CLUSTER_DOMAIN=example.org"]
