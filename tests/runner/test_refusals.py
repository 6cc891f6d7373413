"""Asserting that the API server refuses an apply, a patch or a delete, with its reason and message."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import load_text

DATA = Path(__file__).parent / "data"
JOB = "manifests/rayjob-ttl.yaml"


def run(text: str) -> ScenarioResult:
    [scenario] = load_text(textwrap.dedent(text), "tests/runner/data/s.yaml", base_dir=DATA)
    return run_scenario(scenario, RunOptions(kuberay_version="1.7"), create_backend)


def test_an_apply_the_api_server_refuses_passes_when_the_refusal_is_expected() -> None:
    result = run(f"""
        scenario: refused-apply
        steps:
          - apply: {{file: {JOB}, patch: {{spec: {{backoffLimit: soon}}}}}}
            expect_refusal: {{reason: Invalid, code: 422, message: 'spec.backoffLimit: Invalid value: "string"'}}
          - expect: {{absent: [{{kind: RayJob, name: rayjob-ttl}}]}}
    """)
    assert result.status == "passed", result.failure
    assert result.steps[0].message is not None
    assert result.steps[0].message.startswith(
        'refused as expected (422 Invalid): RayJob.ray.io "rayjob-ttl" is invalid')


def test_an_object_expected_to_be_refused_is_not_judged_when_the_file_loads() -> None:
    # Without expect_refusal the same inline object is a load error; with it, the scenario loads and runs.
    result = run("""
        scenario: refused-inline
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, dataa: {a: b}}
            expect_refusal: {reason: BadRequest, message: 'unknown field "dataa"'}
    """)
    assert result.status == "passed", result.failure


def test_a_refused_patch_leaves_the_object_as_it_was() -> None:
    result = run(f"""
        scenario: refused-patch
        executor: {{runtime: 10s}}
        apply: [{JOB}]
        steps:
          - patch: {{rayjob: rayjob-ttl, merge: {{spec: {{ttlSecondsAfterFinished: many}}}}}}
            expect_refusal: {{reason: Invalid, message: "ttlSecondsAfterFinished in body must be of type integer"}}
          - expect: {{rayjob: rayjob-ttl, spec: {{ttlSecondsAfterFinished: 30}}}}
    """)
    assert result.status == "passed", result.failure


def test_deleting_an_object_that_does_not_exist_is_refused_as_not_found() -> None:
    result = run("""
        scenario: refused-delete
        steps:
          - delete: {rayjob: nowhere}
            expect_refusal: {reason: NotFound, message: 'rayjobs.ray.io "nowhere" not found'}
    """)
    assert result.status == "passed", result.failure


def test_an_accepted_request_fails_a_step_that_expects_a_refusal() -> None:
    result = run(f"""
        scenario: accepted
        steps:
          - apply: {JOB}
            expect_refusal: {{reason: Invalid}}
    """)
    assert result.status == "failed"
    assert result.summary == ("the API server accepted the apply of RayJob/rayjob-ttl, expected it to refuse it "
                              "(reason=Invalid) at t=0.0s")


def test_a_refusal_with_another_reason_or_message_fails_saying_what_came_instead() -> None:
    result = run("""
        scenario: other-refusal
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, dataa: {a: b}}
            expect_refusal: {reason: Invalid, message: "immutable"}
    """)
    assert result.status == "failed"
    assert result.summary is not None and result.summary.startswith(
        "the API server refused the apply of ConfigMap/notes (400 BadRequest), but not as expected: "
        "reason=BadRequest, expected reason=Invalid; the message does not match /immutable/")
    assert 'refused with: 400 BadRequest: ConfigMap in version "v1" cannot be handled' in (result.failure or "")


def test_expect_refusal_true_accepts_any_refusal() -> None:
    result = run("""
        scenario: any-refusal
        steps:
          - patch: {rayjob: nowhere, merge: {spec: {suspend: true}}}
            expect_refusal: true
    """)
    assert result.status == "passed", result.failure


def test_an_unexpected_refusal_is_still_an_error_of_the_step() -> None:
    result = run("""
        scenario: unexpected
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: "notes-${scenario}"}, dataa: {a: b}}
    """)
    assert result.status == "error"
    assert result.summary is not None and 'unknown field "dataa"' in result.summary


def test_a_status_written_through_the_subresource_is_what_the_operator_acts_on() -> None:
    # Suspending is a state the operator finishes whatever spec.suspend says: written by hand, it deletes the
    # RayCluster and ends Suspended, then (spec.suspend being false) starts over.
    result = run(f"""
        scenario: status-write
        executor: {{runtime: 1h}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - patch: {{rayjob: rayjob-ttl, subresource: status, merge: {{status: {{jobDeploymentStatus: Suspending}}}}}}
          - wait: {{raycluster: "${{cluster}}", until: gone}}
          - expect:
              rayjob: rayjob-ttl
              transitions: {{subsequence: [Running, Suspending, Suspended, New, Initializing]}}
              grace: 1m
    """)
    assert result.status == "passed", result.failure
    assert result.steps[3].message == "patched the status of RayJob/rayjob-ttl"


def test_a_refused_apply_is_on_the_timeline_with_the_reason() -> None:
    result = run("""
        scenario: refused-on-the-timeline
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, dataa: {a: b}}
            expect_refusal: true
    """)
    [action] = [e for e in result.journal_entries if e.type == "ACTION" and e.name == "notes"]
    assert action.action == "apply (refused)"
    assert action.detail is not None and 'unknown field "dataa"' in action.detail
