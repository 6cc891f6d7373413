"""Fault steps run through the backend's fault capabilities; a backend without one skips the scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.backends.base import Backend, Capabilities
from harness.backends.sim import SimBackend
from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import Scenario, load_text

DATA = Path(__file__).parent / "data"
JOB = "manifests/rayjob-ttl.yaml"


def scenario(text: str) -> Scenario:
    [loaded] = load_text(textwrap.dedent(text), "tests/runner/data/s.yaml", base_dir=DATA)
    return loaded


def run(text: str) -> ScenarioResult:
    return run_scenario(scenario(text), RunOptions(kuberay_version="1.7"), create_backend)


def test_a_dashboard_answering_errors_ends_in_the_status_check_timeout() -> None:
    result = run(f"""
        scenario: dashboard-errors
        executor: {{runtime: 1h}}
        operator: {{env: {{RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: "60"}}}}
        apply: [{{file: {JOB}, patch: {{spec: {{submissionMode: HTTPMode}}}}}}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - dashboard: {{rayjob: rayjob-ttl, answers: error}}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Failed}}, timeout: 2m}}
          - expect: {{rayjob: rayjob-ttl, status: {{reason: JobStatusCheckTimeoutExceeded}}}}
    """)
    assert result.status == "passed", result.failure
    assert result.steps[2].message is not None and result.steps[2].message.startswith(
        "the dashboard of RayCluster/rayjob-ttl-")
    assert result.steps[2].message.endswith("answers the operator's job-status query with an error "
                                            "(connection refused)")


def test_a_dashboard_answer_needs_the_rayjob_to_have_a_raycluster() -> None:
    result = run(f"""
        scenario: too-early
        executor: {{runtime: 1h}}
        steps:
          - hold_submitter: rayjob-ttl
          - apply: {{file: {JOB}, patch: {{spec: {{suspend: true}}}}}}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Suspended}}}}
          - dashboard: {{rayjob: rayjob-ttl, answers: not_found}}
    """)
    assert result.status == "failed"
    assert result.summary == ("cannot set the dashboard's answers: RayJob/rayjob-ttl has no RayCluster yet "
                              f"(status.rayClusterName is empty) at t={result.steps[-1].t_end:.1f}s")


def test_kill_container_kills_every_matching_pod_and_says_which() -> None:
    result = run(f"""
        scenario: kill-workers
        executor: {{runtime: 1h}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - kill_container: {{pod: {{selector: "ray.io/node-type=worker"}}, signal: SIGTERM}}
          - expect:
              pod: {{selector: "ray.io/node-type=worker"}}
              fields: {{status.containerStatuses.0.lastState.terminated.exitCode: 143}}
              grace: 1m
    """)
    assert result.status == "passed", result.failure
    note = result.steps[2].message or ""
    assert note.startswith("killed the first container of Pod/rayjob-ttl-") and note.endswith("(exit code 143, Error)")


def test_killing_a_container_that_is_not_running_fails_the_step() -> None:
    result = run(f"""
        scenario: kill-too-early
        executor: {{runtime: 1h}}
        apply: [{JOB}]
        steps:
          - wait: {{pod: {{selector: "ray.io/node-type=head"}}, until: exists}}
          - kill_container: {{pod: {{selector: "ray.io/node-type=head"}}}}
    """)
    assert result.status == "failed"
    assert result.summary is not None and "has no running container: it is not scheduled yet" in result.summary


def test_fail_next_refuses_the_operators_create_and_the_rayjob_recovers() -> None:
    result = run(f"""
        scenario: refused-cluster
        executor: {{runtime: 10s}}
        steps:
          - fail_next: {{create: RayCluster, times: 2, reason: ServiceUnavailable, message: "try later"}}
          - apply: {JOB}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - expect:
              rayjob: rayjob-ttl
              events: [{{reason: FailedToCreateRayCluster, type: Warning, count: 2, message: "try later$"}}]
    """)
    assert result.status == "passed", result.failure
    assert result.steps[0].message == "the API server refuses the next 2 create of a RayCluster (ServiceUnavailable)"


def test_a_held_submitter_runs_once_released() -> None:
    result = run(f"""
        scenario: held
        executor: {{runtime: 10s}}
        steps:
          - hold_submitter: rayjob-ttl
          - apply: {JOB}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - expect: {{count: {{kind: Pod, selector: job-name=rayjob-ttl, equals: 0}}, consistently: 1h}}
          - release_submitter: rayjob-ttl
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}, timeout: 2m}}
    """)
    assert result.status == "passed", result.failure


class WithoutFaults(SimBackend):
    """The simulator as a backend that can inject no fault (as a real cluster cannot make a dashboard lie)."""

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(settle=self)


def without_faults(loaded: Scenario, options: RunOptions) -> Backend:
    return WithoutFaults()


def test_a_backend_without_the_capability_a_step_needs_skips_the_scenario_saying_which_step() -> None:
    loaded = scenario(f"""
        scenario: needs-a-lying-dashboard
        executor: {{runtime: 10s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - dashboard: {{rayjob: rayjob-ttl, answers: not_found}}
    """)
    result = run_scenario(loaded, RunOptions(), without_faults)
    assert result.status == "skipped"
    assert result.summary == ("backend=sim cannot run the dashboard step at tests/runner/data/s.yaml:7:5 (it lacks "
                              "the dashboard_answers capability)")
    assert result.steps == []


def test_the_scenario_says_which_capabilities_it_needs() -> None:
    loaded = scenario("""
        scenario: many-faults
        steps:
          - kill_container: {pod: p}
          - fail_next: {delete: Job}
          - hold_submitter: j
          - release_submitter: j
          - ray_job_submit: {rayjob: j, submission_id: s}
    """)
    assert loaded.capabilities_needed == {"kill_container", "fail_next", "hold_submitter", "ray_job_submit"}


def test_an_operator_restarted_with_a_shorter_status_check_timeout_applies_it_at_once() -> None:
    # The failure start time is in the RayJob's status: the new operator reads it, and 100 s of failing
    # checks exceed the new 60 s timeout on its first reconcile.
    result = run(f"""
        scenario: restarted
        executor: {{runtime: 1h}}
        apply: [{{file: {JOB}, patch: {{spec: {{submissionMode: HTTPMode}}}}}}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - dashboard: {{rayjob: rayjob-ttl, answers: error}}
          - advance: 100s
          - restart_operator: {{env: {{RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: "60"}}}}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Failed}}, timeout: 5s}}
          - expect: {{rayjob: rayjob-ttl, status: {{reason: JobStatusCheckTimeoutExceeded}}}}
    """)
    assert result.status == "passed", result.failure
    assert result.steps[4].message == "restarted the operator with RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS=60"


def test_an_unpullable_image_holds_the_rayjob_initializing_until_its_deadline() -> None:
    result = run(f"""
        scenario: image-pull
        executor: {{runtime: 10s}}
        steps:
          - unpullable_image: rayproject/ray:2.52.0
          - apply: {{file: {JOB}, patch: {{spec: {{activeDeadlineSeconds: 300}}}}}}
          - wait:
              pod: {{selector: "ray.io/node-type=head"}}
              until: {{status.containerStatuses.0.state.waiting.reason: ImagePullBackOff}}
          - expect: {{rayjob: rayjob-ttl, status: {{jobDeploymentStatus: Initializing}}, consistently: 4m}}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Failed}}}}
          - expect: {{rayjob: rayjob-ttl, status: {{reason: DeadlineExceeded}}}}
    """)
    assert result.status == "passed", result.failure


def test_a_restart_setting_the_backend_cannot_honour_is_bad_input_at_its_line() -> None:
    from harness.runner.backend_factory import check_scenario

    loaded = scenario("""
        scenario: typo
        steps:
          - restart_operator: {env: {RAYJOB_STATUS_CHECK_TIMEOUT_SECOND: "60"}}
    """)
    [problem] = check_scenario(loaded, RunOptions(kuberay_version="1.7"))
    assert str(problem.pos) == "tests/runner/data/s.yaml:4:30"
    assert problem.message.startswith("operator env RAYJOB_STATUS_CHECK_TIMEOUT_SECOND is not read by KubeRay")
