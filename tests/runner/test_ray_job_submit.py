"""The ``ray_job_submit`` step: a user's ``ray job submit`` completes an InteractiveMode RayJob on the simulator."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

from harness.backends.base import Backend, Capabilities
from harness.backends.sim import SimBackend
from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import Scenario, load_text

DATA = Path(__file__).parent / "data"
WAITING = "- wait: {rayjob: notebook-job, until: {status.jobDeploymentStatus: Waiting}, timeout: 2m}"
COMPLETE = "- wait: {rayjob: notebook-job, until: {status.jobDeploymentStatus: Complete}, timeout: 5m}"
# The manifest shuts its cluster down as the job ends: the driver log on the head pod is read while it runs.
RUNNING = "- wait: {rayjob: notebook-job, until: {status.jobStatus: RUNNING}, timeout: 2m}"


def scenario_of(steps: str, executor: str = "{runtime: 30s, output: [\"done by hand\"]}") -> Scenario:
    text = textwrap.dedent("""
        scenario: interactive
        executor: EXECUTOR
        apply: [manifests/rayjob-interactive.yaml]
        steps:
    """).replace("EXECUTOR", executor) + textwrap.indent(textwrap.dedent(steps).strip(), "  ") + "\n"
    [scenario] = load_text(text, "tests/runner/data/s.yaml", base_dir=DATA)
    return scenario


def run(steps: str, **kwargs: str) -> ScenarioResult:
    return run_scenario(scenario_of(steps, **kwargs), RunOptions(kuberay_version="1.7", executor="scripted"),
                        create_backend)


def test_a_user_submission_and_the_job_id_complete_an_interactive_rayjob() -> None:
    result = run(f"""
        {WAITING}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1, entrypoint: "python x.py"}}
        - patch: {{rayjob: notebook-job, merge: {{spec: {{jobId: my-id-1}}}}}}
        {COMPLETE}
        - expect:
            rayjob: notebook-job
            transitions: [Initializing, Waiting, Running, Complete]
            status: {{jobStatus: SUCCEEDED, jobId: my-id-1}}
    """)
    assert result.status == "passed", result.failure
    assert result.steps[2].message == "submitted Ray job 'my-id-1' to the cluster of RayJob/notebook-job"


def test_bindings_are_filled_into_the_submission_id_and_the_entrypoint() -> None:
    result = run(f"""
        {WAITING}
        - save: {{cluster: notebook-job.status.rayClusterName}}
        - ray_job_submit:
            rayjob: notebook-job
            submission_id: "run-${{cluster}}"
            entrypoint: "python x.py ${{cluster}}"
        - patch: {{rayjob: notebook-job, merge: {{spec: {{jobId: "run-${{cluster}}"}}}}}}
        {RUNNING}
        - expect_logs:
            rayjob: notebook-job
            source: driver
            regex: "Running entrypoint for job run-notebook-job-.*: python x.py notebook-job-"
        {COMPLETE}
        - expect: {{rayjob: notebook-job, status: {{jobId: {{$regex: "^run-notebook-job-"}}}}}}
    """)
    assert result.status == "passed", result.failure


def test_without_an_entrypoint_the_rayjobs_own_entrypoint_is_submitted() -> None:
    result = run(f"""
        {WAITING}
        - patch: {{rayjob: notebook-job, merge: {{spec: {{entrypoint: "python from_spec.py"}}}}}}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1}}
        - patch: {{rayjob: notebook-job, merge: {{spec: {{jobId: my-id-1}}}}}}
        {RUNNING}
        - expect_logs: {{rayjob: notebook-job, source: driver, contains: "python from_spec.py"}}
        {COMPLETE}
    """)
    assert result.status == "passed", result.failure


def test_a_submission_without_any_entrypoint_fails_the_step_saying_what_to_add() -> None:
    result = run(f"""
        {WAITING}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1}}
    """)
    assert result.status == "failed"
    assert result.summary is not None and "has no spec.entrypoint" in result.summary
    assert 'write entrypoint: "python ..." in the step' in result.summary


def test_submitting_before_the_cluster_serves_its_dashboard_fails_the_step() -> None:
    result = run("""
        - ray_job_submit: {rayjob: notebook-job, submission_id: my-id-1, entrypoint: "python x.py"}
    """)
    assert result.status == "failed"
    assert result.summary is not None
    assert result.summary.startswith("ray job submit --submission-id my-id-1 to the cluster of RayJob/notebook-job "
                                     "was refused at t=0.0s: ")


def test_a_submission_id_used_twice_is_refused_as_ray_refuses_it() -> None:
    result = run(f"""
        {WAITING}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1, entrypoint: "python x.py"}}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1, entrypoint: "python x.py"}}
    """)
    assert result.status == "failed"
    assert [step.status for step in result.steps] == ["passed", "passed", "passed", "failed"]
    assert result.summary is not None and "Please use a different submission_id." in result.summary


def test_submitting_to_a_rayjob_that_does_not_exist_fails_the_step() -> None:
    result = run("""
        - ray_job_submit: {rayjob: nobody, submission_id: my-id-1, entrypoint: "python x.py"}
    """)
    assert result.status == "failed"
    assert result.summary == "cannot submit a Ray job to RayJob/nobody: it does not exist at t=0.0s"


class _NoUserSubmissions(SimBackend):
    """A backend without the optional ray job submit capability (as a backend for a real cluster may be)."""

    name = "no-submit"

    @property
    def capabilities(self) -> Capabilities:
        return replace(super().capabilities, ray_job_submit=None)


def test_a_backend_without_the_capability_skips_the_scenario_naming_the_step() -> None:
    def factory(scenario: Scenario, options: RunOptions) -> Backend:
        return _NoUserSubmissions()

    result = run_scenario(scenario_of(f"""
        {WAITING}
        - ray_job_submit: {{rayjob: notebook-job, submission_id: my-id-1, entrypoint: "python x.py"}}
    """), RunOptions(kuberay_version="1.7", executor="scripted"), factory)
    assert result.status == "skipped"
    assert result.summary is not None and result.summary.startswith(
        "backend=no-submit cannot run the ray_job_submit step at ")
    assert result.summary.endswith("(it lacks the ray_job_submit capability)")
