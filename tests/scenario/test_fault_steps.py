"""Loading the fault steps: kill_container, dashboard, fail_next, hold_submitter and release_submitter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import load_text
from harness.scenario.faults import DashboardStep, FailNextStep, HoldSubmitterStep, KillContainerStep

DATA = Path(__file__).parent / "data"


def steps(body: str) -> tuple:
    text = "scenario: s\nsteps:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"
    [scenario] = load_text(text, "s.yaml", base_dir=DATA)
    return scenario.steps


def error(body: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        steps(body)
    return caught.value


def test_kill_container_defaults_to_sigkill_of_the_first_container() -> None:
    [step] = steps("- kill_container: {pod: {selector: ray.io/node-type=head}}")
    assert isinstance(step, KillContainerStep)
    assert (step.container, step.exit_code, step.reason) == (None, 137, "Error")
    assert step.target.selector == "ray.io/node-type=head"


def test_kill_container_takes_a_signal_an_exit_code_or_a_reason() -> None:
    term, crash, oom = steps("""
        - kill_container: {pod: p, container: ray-head, signal: SIGTERM}
        - kill_container: {pod: p, exit: 0}
        - kill_container: {pod: p, reason: OOMKilled}
    """)
    assert (term.container, term.exit_code) == ("ray-head", 143)
    assert (crash.exit_code, crash.reason) == (0, "Completed")
    assert (oom.exit_code, oom.reason) == (137, "OOMKilled")


def test_kill_container_refuses_a_signal_and_an_exit_code_together() -> None:
    exc = error("- kill_container: {pod: p, signal: SIGTERM, exit: 1}")
    assert exc.message == "kill_container has both signal and exit"


def test_kill_container_refuses_an_unknown_signal_and_objects_that_are_not_pods() -> None:
    assert error("- kill_container: {pod: p, signal: SIGHUP}").message == \
        "kill_container signal='SIGHUP' is not SIGKILL or SIGTERM"
    assert error("- kill_container: {rayjob: j}").message == "unknown key='rayjob' in kill_container"


def test_dashboard_answers_are_read() -> None:
    error_, text, missing, succeeded, normal = steps("""
        - dashboard: {rayjob: j, answers: error}
        - dashboard: {raycluster: c, answers: {error: "HTTP 500"}}
        - dashboard: {rayjob: j, answers: not_found}
        - dashboard: {rayjob: j, answers: {jobStatus: SUCCEEDED, message: done}}
        - dashboard: {rayjob: j, answers: normally}
    """)
    assert all(isinstance(step, DashboardStep) for step in (error_, text, missing, succeeded, normal))
    assert (error_.answer, error_.message) == ("error", None)
    assert (text.target.kind, text.answer, text.message) == ("RayCluster", "error", "HTTP 500")
    assert missing.answer == "not_found"
    assert (succeeded.answer, succeeded.job_status, succeeded.message) == ("status", "SUCCEEDED", "done")
    assert normal.answer == "normally"


def test_dashboard_refuses_what_a_dashboard_cannot_answer() -> None:
    assert error("- dashboard: {rayjob: j, answers: maybe}").message == "dashboard answers='maybe' is not understood"
    assert error("- dashboard: {rayjob: j, answers: {jobStatus: DONE}}").message == \
        "dashboard answers jobStatus='DONE' is not a Ray job status"


def test_fail_next_reads_the_verb_kind_count_reason_and_message() -> None:
    [step] = steps("- fail_next: {delete: raycluster, times: 3, reason: Forbidden, message: denied}")
    assert isinstance(step, FailNextStep)
    assert (step.verb, step.kind, step.times, step.reason, step.message) == ("delete", "RayCluster", 3, "Forbidden",
                                                                             "denied")


def test_fail_next_names_one_verb_a_known_kind_and_an_injectable_reason() -> None:
    assert error("- fail_next: {create: Job, delete: Job}").message == \
        "fail_next names exactly one of create or delete"
    exc = error("- fail_next: {create: RayClustr}")
    assert exc.message == "fail_next kind='RayClustr' is not a kind scenarios can name"
    assert exc.hint is not None and exc.hint.startswith("did you mean 'RayCluster'?")
    assert error("- fail_next: {create: Job, reason: NotFound}").message == \
        "fail_next reason='NotFound' cannot be injected"
    assert error("- fail_next: {create: Job, times: 0}").message.startswith("fail_next times must be an integer >= 1")


def test_hold_and_release_name_a_rayjob() -> None:
    hold, release = steps("""
        - hold_submitter: my-job
        - release_submitter: {rayjob: my-job}
    """)
    assert isinstance(hold, HoldSubmitterStep) and hold.held and hold.target.name == "my-job"
    assert isinstance(release, HoldSubmitterStep) and not release.held


def test_image_steps_read_the_image_and_why_its_pull_fails() -> None:
    unpullable, with_reason, pullable = steps("""
        - unpullable_image: rayproject/ray:2.99.0
        - unpullable_image: {image: "rayproject/ray:2.99.0", reason: "unauthorized"}
        - pullable_image: rayproject/ray:2.99.0
    """)
    assert (unpullable.image, unpullable.reason, unpullable.pullable) == ("rayproject/ray:2.99.0", "not found", False)
    assert with_reason.reason == "unauthorized"
    assert pullable.pullable and pullable.keyword == "pullable_image"


def test_restart_operator_reads_changes_and_removals_with_their_lines() -> None:
    same, changed = steps("""
        - restart_operator:
        - restart_operator:
            env: {RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: 60, DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: null}
            feature_gates: {RayJobDeletionPolicy: true}
    """)
    assert (same.env, same.feature_gates) == ({}, {})
    assert changed.env == {"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60", "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": None}
    assert changed.feature_gates == {"RayJobDeletionPolicy": True}
    assert str(changed.pos_of("RayJobDeletionPolicy")) == "s.yaml:6:23"


def test_restart_operator_refuses_a_gate_that_is_not_a_boolean() -> None:
    assert error("- restart_operator: {feature_gates: {RayJobDeletionPolicy: yes-please}}").message == \
        "feature gate RayJobDeletionPolicy must be true or false, got value='yes-please'"
