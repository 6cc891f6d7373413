"""Scripted outcomes per attempt: the N-th Ray job submitted for a RayJob runs the N-th script (the last repeats)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript, JobScripts
from harness.raysim.dashboard import ClusterHandle, JobRecord, SubmitRequest
from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import load_text
from harness.sim.clock import Clock

DATA = Path(__file__).parent / "data"


def run(text: str) -> ScenarioResult:
    [scenario] = load_text(textwrap.dedent(text), "tests/runner/data/s.yaml", base_dir=DATA)
    return run_scenario(scenario, RunOptions(kuberay_version="1.7", executor="scripted"), create_backend)


def job(submission_id: str, rayjob: str, namespace: str = "ns") -> JobRecord:
    return JobRecord(SubmitRequest(submission_id, "python x.py", rayjob=rayjob),
                     ClusterHandle(namespace, f"{rayjob}-cluster", f"uid-{submission_id}"))


def started_scripts(executor: ScriptedExecutor, jobs: list[JobRecord]) -> list[int]:
    """The exit codes the jobs end with, started one after the other on a fresh clock."""
    clock = Clock()
    codes: list[int] = []

    class Sink:
        def set_status(self, submission_id: str, status: object, *, message: str | None = None,
                       driver_exit_code: int | None = None, error_type: str | None = None) -> None:
            if driver_exit_code is not None:
                codes.append(driver_exit_code)

        def append_log(self, submission_id: str, lines: list[str]) -> None:
            pass

    for record in jobs:
        executor.start(record, Sink(), clock)
        clock.run(until=clock.now + 60)
    return codes


def test_the_first_ray_job_of_a_rayjob_fails_and_the_second_succeeds() -> None:
    executor = ScriptedExecutor(JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=0))))
    assert started_scripts(executor, [job("a-1", "a"), job("a-2", "a"), job("a-3", "a")]) == [1, 0, 0]


def test_attempts_are_counted_per_rayjob() -> None:
    executor = ScriptedExecutor(JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=0))))
    assert started_scripts(executor, [job("a-1", "a"), job("b-1", "b"), job("a-2", "a")]) == [1, 1, 0]


def test_attempts_are_counted_per_namespace() -> None:
    executor = ScriptedExecutor(JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=0))))
    assert started_scripts(executor, [job("a-1", "a", "one"), job("a-1", "a", "two")]) == [1, 1]


def test_a_ray_job_of_no_known_rayjob_is_always_a_first_attempt() -> None:
    executor = ScriptedExecutor(JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=0))))
    assert started_scripts(executor, [job("x-1", ""), job("x-2", "")]) == [1, 1]


def test_a_rayjob_script_with_attempts_takes_precedence_over_the_default() -> None:
    executor = ScriptedExecutor(JobScripts(
        default=JobScript(exit_code=7),
        by_rayjob={"a": JobScript(attempts=(JobScript(exit_code=1), JobScript(exit_code=0)))}))
    assert started_scripts(executor, [job("b-1", "b"), job("a-1", "a"), job("a-2", "a")]) == [7, 1, 0]


def test_a_retry_that_succeeds_completes_with_one_failure_and_one_success() -> None:
    result = run("""
        scenario: retry-then-succeed
        executor:
          runtime: 30s
          attempts: [{exit: 1, output: ["boom"]}, {exit: 0, output: ["fine now"]}]
        apply: [{file: manifests/rayjob-ttl.yaml, patch: {spec: {backoffLimit: 1}}}]
        steps:
          - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Running}, timeout: 5m}
          - save: {first: rayjob-ttl.status.jobId}
          - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}, timeout: 15m}
          - expect:
              rayjob: rayjob-ttl
              transitions: {subsequence: [Running, Retrying, New, Initializing, Running, Complete]}
              status: {jobStatus: SUCCEEDED, failed: 1, succeeded: 1, jobId: {$not: "${first}"}}
          - expect_logs: {rayjob: rayjob-ttl, source: driver, contains: "fine now", not_contains: "boom"}
    """)
    assert result.status == "passed", result.failure


def test_attempts_given_for_a_rayjob_by_name_script_its_retries() -> None:
    result = run("""
        scenario: per-rayjob
        executor:
          default: {runtime: 30s, exit: 1}
          jobs: [{rayjob: rayjob-ttl, attempts: [{exit: 1}, {exit: 0}]}]
        apply: [{file: manifests/rayjob-ttl.yaml, patch: {spec: {backoffLimit: 1}}}]
        steps:
          - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}, timeout: 15m}
          - expect: {rayjob: rayjob-ttl, status: {failed: 1, succeeded: 1}}
    """)
    assert result.status == "passed", result.failure
