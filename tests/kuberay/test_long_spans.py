"""Long virtual spans cost what happens in them, and skipping over idle requeues and polls changes nothing.

A RayJob that stays Running is reconciled every 3 s and its submitter tails the driver log every second; the
clock passes over the runs that provably find nothing to do. Each fidelity test runs one world twice, with the
skip on and off, and compares everything observable: every journal entry (virtual time, resourceVersion,
changes), the operator log, every container log, the objects left and the final time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript, JobScripts
from harness.model.enums import JobStatus
from harness.model.kinds import POD
from harness.raysim.faults import JobInfoFault
from harness.raysim.nodes import RayTimings
from harness.sim.transcript import MAX_LOG_BYTES
from harness.simulator import OPERATOR_LOG_LINES, Simulator

from .builders import rayjob
from .conftest import deployment_states

HOUR = 3600.0
MODES = ("K8sJobMode", "HTTPMode", "SidecarMode")
Program = Callable[[Simulator, dict[str, JobScript]], None]  # the scripts dict: per RayJob, filled as it goes


def observe(sim: Simulator) -> dict[str, Any]:
    """Everything a user or a test can see of a run, wall-clock stamps left out."""
    logs = {}
    for pod in sim.store.list(POD, None):
        for container in pod["spec"]["containers"]:
            key = f"{pod['metadata']['name']}/{container['name']}"
            try:
                logs[key] = sim.pod_logs(pod["metadata"]["name"], namespace=pod["metadata"]["namespace"],
                                         container=container["name"])
            except Exception as exc:  # a container still being created answers with an error, in both runs
                logs[key] = repr(exc)
    return {
        "journal": [(e.t, e.seq, e.type, e.kind, e.namespace, e.name, dict(e.changes), e.rv, e.action, e.detail)
                    for e in sim.journal],
        "operator_log": sim.operator_log, "logs": logs, "now": sim.now,
        "objects": sorted((rtype.kind, obj["metadata"]["name"], obj["metadata"]["resourceVersion"])
                          for rtype, obj in sim.store.all_objects()),
    }


def run_both_ways(program: Program, *, default: JobScript | None = None,
                  **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], Simulator]:
    """``program`` run with idle runs skipped, then stepped through; the skipping simulator is returned too."""
    seen = []
    sims = []
    for fast in (True, False):
        scripts: dict[str, JobScript] = {}
        sim = Simulator(executor=ScriptedExecutor(JobScripts(default=default, by_rayjob=scripts)), **kwargs)
        sim.clock.fast_forward = fast
        program(sim, scripts)
        seen.append(observe(sim))
        sims.append(sim)
        sim.close()
    return seen[0], seen[1], sims[0]


@pytest.mark.parametrize("mode", MODES)
def test_a_rayjob_running_for_ten_thousand_virtual_hours_costs_a_few_hundred_events(mode: str) -> None:
    with Simulator(executor=ScriptedExecutor(JobScript(runtime=10_001 * HOUR))) as sim:
        sim.apply(rayjob(submissionMode=mode, shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=60))
        sim.advance(10_000 * HOUR)
        assert sim.deployment_status("demo") == "Running"
        assert sim.clock.events_run < 500
        assert sim.settle("2h")
        assert deployment_states(sim) == ["Initializing", "Running", "Complete"]


@pytest.mark.parametrize("mode", MODES)
def test_a_long_running_rayjob_has_the_same_journal_whether_idle_runs_are_skipped(mode: str) -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(submissionMode=mode, shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=600))
        sim.advance(3 * HOUR)

    skipped, stepped, sim = run_both_ways(program, default=JobScript(runtime=2 * HOUR + 0.3,
                                                                     output=("epoch 1", "epoch 2")))
    assert skipped == stepped
    assert sim.clock.skipped > 2_000


def test_an_active_deadline_reached_during_a_long_run_fails_the_rayjob_at_the_same_instant() -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(activeDeadlineSeconds=4_000, shutdownAfterJobFinishes=True))
        sim.advance(2 * HOUR)

    skipped, stepped, sim = run_both_ways(program, default=JobScript(runtime=5 * HOUR))
    assert skipped == stepped
    assert sim.rayjob("demo").status.reason.value == "DeadlineExceeded"


def test_a_pre_running_deadline_ends_an_interactive_rayjob_waiting_for_its_job_id() -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(submissionMode="InteractiveMode", preRunningDeadlineSeconds=5_000))
        sim.advance(2 * HOUR)

    skipped, stepped, sim = run_both_ways(program)
    assert skipped == stepped
    assert sim.rayjob("demo").status.reason.value == "PreRunningDeadlineExceeded"


def test_the_submitter_finished_timeout_after_a_long_run_comes_at_the_same_instant() -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(shutdownAfterJobFinishes=True))
        sim.advance(2 * HOUR)

    # the submitter's `ray job logs --follow` never returns: the operator fails the RayJob after the grace period
    skipped, stepped, _ = run_both_ways(program, default=JobScript(runtime=HOUR),
                                        ray_timings=RayTimings(follow_drain=100_000))
    assert skipped == stepped


def test_rayjobs_that_reconcile_at_the_same_instants_keep_the_order_stepping_gives_them() -> None:
    # Applied 3 s apart, the three RayJobs requeue on the same instants; they end together, so their writes
    # at that instant come in the order the work queue has then, which skipping must not change.
    applied_at = (0.0, 3.0, 6.0 + 1e-9)

    def program(sim: Simulator, scripts: dict[str, JobScript]) -> None:
        for index, at in enumerate(applied_at):
            sim.advance(at - sim.now)
            scripts[f"job-{index}"] = JobScript(runtime=HOUR + applied_at[-1] - at)
            sim.apply(rayjob(f"job-{index}", shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=30))
        sim.advance(2 * HOUR)

    skipped, stepped, _ = run_both_ways(program)
    assert skipped == stepped
    ends = [entry for entry in skipped["journal"] if entry[3] == "RayJob"
            and entry[6].get("status.jobDeploymentStatus", [None, None])[1] == "Complete"]
    assert len(ends) == 3


def test_suspending_and_resuming_a_long_running_rayjob_gives_the_same_journal() -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(shutdownAfterJobFinishes=True))
        sim.advance(HOUR)
        sim.suspend("demo")
        sim.advance(HOUR)
        sim.resume("demo")
        sim.advance(HOUR)

    skipped, stepped, _ = run_both_ways(program, default=JobScript(runtime=3 * HOUR))
    assert skipped == stepped


def test_a_fault_set_between_advances_is_seen_by_the_next_requeue_as_when_stepping() -> None:
    """Faults change no object: the clock must not keep passing over requeues proven idle before them."""
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(shutdownAfterJobFinishes=True, submissionMode="HTTPMode"))
        sim.advance(HOUR)
        cluster = sim.rayjob("demo").status.ray_cluster_name
        sim.answer_job_info(cluster, JobInfoFault("status", job_status=JobStatus.SUCCEEDED))
        sim.advance(HOUR)

    skipped, stepped, sim = run_both_ways(program, default=JobScript(runtime=10 * HOUR))
    assert skipped == stepped
    assert sim.deployment_status("demo") == "Complete"


def test_holding_a_submitter_and_failing_requests_between_advances_gives_the_same_journal() -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        sim.apply(rayjob(shutdownAfterJobFinishes=True, backoffLimit=1))
        sim.advance(HOUR)
        sim.hold_submitter("demo")
        sim.fail_next("delete", "RayCluster", times=3)
        sim.advance(HOUR)
        sim.hold_submitter("demo", held=False)
        sim.advance(3 * HOUR)

    skipped, stepped, _ = run_both_ways(program, default=JobScript(runtime=1.5 * HOUR))
    assert skipped == stepped


def stuck_validation_failed(sim: Simulator) -> None:
    """A status write KubeRay refuses: the RayJob goes ValidationFailed, then every reconcile logs "Unknown
    JobDeploymentStatus" and requeues in 3 s, for ever (as upstream's default branch does)."""
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    sim.run_until(lambda: sim.deployment_status("demo") == "Running", 600)
    sim.patch("RayJob", "demo", {"status": {"jobDeploymentStatus": "Waiting", "jobId": ""}}, subresource="status")


def stuck_health_wait(sim: Simulator) -> None:
    """The dashboard fails the operator's status queries until the RayJob fails and its cluster goes; the
    submitter Job's next pod then prints "Waiting for Ray Dashboard GCS to become healthy" every 2 s, for ever."""
    sim.apply(rayjob(shutdownAfterJobFinishes=True))
    sim.advance(60)
    sim.answer_job_info(sim.rayjob("demo").status.ray_cluster_name, JobInfoFault("error"))


@pytest.mark.parametrize("setup", [stuck_validation_failed, stuck_health_wait])
def test_a_loop_that_only_prints_the_same_line_prints_the_same_log_whether_skipped(
        setup: Callable[[Simulator], None]) -> None:
    def program(sim: Simulator, _: dict[str, JobScript]) -> None:
        setup(sim)
        sim.advance(2 * HOUR)

    skipped, stepped, sim = run_both_ways(program, default=JobScript(runtime=1e6))
    assert skipped == stepped
    assert sim.clock.skipped > 2_000


@pytest.mark.parametrize("setup", [stuck_validation_failed, stuck_health_wait])
def test_ten_thousand_hours_of_a_loop_printing_the_same_line_cost_a_few_events(
        setup: Callable[[Simulator], None]) -> None:
    sim = Simulator(executor=ScriptedExecutor(JobScript(runtime=1e9)))
    setup(sim)
    before = sim.clock.events_run
    sim.advance(10_000 * HOUR)
    assert sim.clock.events_run - before < 200
    pods = [p["metadata"]["name"] for p in sim.store.list(POD, None) if "head" not in p["metadata"]["name"]]
    assert all(len(sim.pod_logs(name)) <= MAX_LOG_BYTES for name in pods)  # kubectl logs: the current file
    lines = sim.operator_log
    assert len(lines) <= OPERATOR_LOG_LINES
    if setup is stuck_validation_failed:  # the operator logs to the end; the latest lines are the ones kept
        assert len(lines) == OPERATOR_LOG_LINES and lines[-1].startswith("36000")
    sim.close()


ANSWERS: dict[str, JobInfoFault | None] = {
    "truth": None, "error": JobInfoFault("error"), "not_found": JobInfoFault("not_found"),
    "succeeded": JobInfoFault("status", job_status=JobStatus.SUCCEEDED),
    "failed": JobInfoFault("status", job_status=JobStatus.FAILED),
}
FAILURES = [("create", "Pod"), ("delete", "RayCluster"), ("create", "Job")]


@st.composite
def programs(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    steps: list[tuple[Any, ...]] = []
    for index in range(draw(st.integers(1, 6))):
        kind = "apply" if index == 0 else draw(st.sampled_from(
            ["apply", "advance", "advance", "suspend", "delete", "answer", "hold", "fail", "status"]))
        name = draw(st.sampled_from(["a", "b"]))
        if kind == "apply":
            steps.append(("apply", name, draw(st.sampled_from(MODES)),
                          draw(st.sampled_from([20.0, 900.0, 3_000.0 + 1 / 3])),
                          draw(st.sampled_from([None, 1_500, 4_000])), draw(st.booleans())))
        elif kind == "advance":
            steps.append(("advance", draw(st.floats(0.5, 5_000.0))))
        elif kind == "answer":
            steps.append(("answer", name, draw(st.sampled_from(sorted(ANSWERS)))))
        elif kind == "status":
            steps.append(("status", name, draw(st.sampled_from(["Waiting", "Retrying", "Suspending", "Complete"]))))
        elif kind == "fail":
            steps.append(("fail", draw(st.sampled_from(FAILURES)), draw(st.integers(1, 3))))
        else:
            steps.append((kind, name, draw(st.booleans())))
    steps.append(("advance", 2 * HOUR))
    return steps


def play(steps: list[tuple[Any, ...]]) -> Program:
    def program(sim: Simulator, scripts: dict[str, JobScript]) -> None:
        for step in steps:
            if step[0] == "advance":
                sim.advance(step[1])
                continue
            if step[0] == "fail":
                (verb, kind), times = step[1], step[2]
                sim.fail_next(verb, kind, times=times)
                continue
            name = step[1]
            current = sim.get("RayJob", name)
            cluster = current and (current.get("status") or {}).get("rayClusterName")
            if step[0] == "answer" and cluster:
                sim.answer_job_info(cluster, ANSWERS[step[2]])
            elif step[0] == "hold" and current is not None:
                sim.hold_submitter(name, held=step[2])
            elif step[0] == "status" and current is not None and current.get("status"):
                with contextlib.suppress(HarnessError):  # a write the API server refuses, in both runs
                    sim.patch("RayJob", name, {"status": {"jobDeploymentStatus": step[2]}}, subresource="status")
            elif step[0] == "apply" and current is None:
                _, _, mode, runtime, deadline, fails = step
                scripts[name] = JobScript(runtime=runtime, exit_code=1 if fails else 0)
                sim.apply(rayjob(name, submissionMode=mode, shutdownAfterJobFinishes=True, backoffLimit=1,
                                 activeDeadlineSeconds=deadline))
            elif step[0] == "suspend" and current is not None and not current["metadata"].get("deletionTimestamp"):
                sim.patch("RayJob", name, {"spec": {"suspend": step[2]}})
            elif step[0] == "delete" and current is not None:
                sim.delete("RayJob", name, wait=False)

    return program


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=programs())
def test_any_sequence_of_operations_gives_the_same_journal_whether_idle_runs_are_skipped(
        steps: list[tuple[Any, ...]]) -> None:
    skipped, stepped, _ = run_both_ways(play(steps))
    assert skipped == stepped
