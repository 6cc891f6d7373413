"""End-to-end: small scenarios run on the simulator backend through the runner."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import load_text

DATA = Path(__file__).parent / "data"
JOB = "manifests/rayjob-ttl.yaml"


def run(text: str, **options: object) -> ScenarioResult:
    [scenario] = load_text(textwrap.dedent(text), "tests/runner/data/s.yaml", base_dir=DATA)
    return run_scenario(scenario, RunOptions(kuberay_version="1.7", **options), create_backend)  # type: ignore[arg-type]


def test_the_ttl_scenario_passes_in_virtual_time() -> None:
    result = run(f"""
        scenario: ttl-cleanup
        executor: {{runtime: 20s, output: ["training complete"]}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}, timeout: 5m}}
          - expect:
              rayjob: rayjob-ttl
              transitions: [Initializing, Running, Complete]
              status: {{jobStatus: SUCCEEDED, succeeded: 1}}
          - expect_logs: {{rayjob: rayjob-ttl, source: driver, contains: "training complete"}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - advance: 40s
          - expect: {{absent: [{{kind: RayCluster, name: "${{cluster}}"}}], present: [{{kind: Job, name: rayjob-ttl}}]}}
    """)
    assert result.status == "passed", result.failure
    assert [step.status for step in result.steps] == ["passed"] * 7
    assert result.duration_virtual > 60
    assert result.namespace == "ttl-cleanup"
    assert all(e.namespace in ("ttl-cleanup", "") for e in result.journal_entries)


def test_a_wait_fails_fast_when_the_rayjob_reaches_a_contradicting_terminal_state() -> None:
    result = run(f"""
        scenario: fails
        executor: {{runtime: 10s, exit: 1, output: ["boom"]}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}, timeout: 1h}}
    """)
    assert result.status == "failed"
    assert result.summary is not None
    assert result.summary.startswith("RayJob/rayjob-ttl reached jobDeploymentStatus=Failed (jobStatus=FAILED, "
                                     "reason='AppFailed'")
    assert "which contradicts the wait for status.jobDeploymentStatus=Complete" in result.summary
    assert result.duration_virtual < 120  # failed at once, not after the hour


def test_a_wait_that_times_out_says_what_it_saw() -> None:
    result = run(f"""
        scenario: slow
        executor: {{runtime: 1h}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}, timeout: 2m}}
    """)
    assert result.status == "failed"
    assert result.summary is not None and result.summary.startswith(
        "timed out after 2m waiting for RayJob/rayjob-ttl until status.jobDeploymentStatus=Complete")
    assert result.failure is not None
    assert "status.jobDeploymentStatus: expected 'Complete', got 'Running'" in result.failure


def test_a_failing_expectation_prints_diff_timeline_events_logs_and_replay() -> None:
    result = run(f"""
        scenario: wrong-status
        executor: {{runtime: 5s, output: ["hello from the driver"]}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - expect:
              rayjob: rayjob-ttl
              status: {{jobStatus: FAILED}}
    """)
    assert result.status == "failed"
    text = result.failure or ""
    assert text.startswith("Scenario wrong-status failed at step 3/3 (tests/runner/data/s.yaml:7:5) at t=")
    assert "7 |   - expect:" in text
    assert "  -  jobStatus: FAILED\n  +  jobStatus: SUCCEEDED" in text
    assert "Timeline of namespace wrong-status" in text and "jobDeploymentStatus: Running → Complete" in text
    assert "Recent events:" in text and "CreatedRayCluster" in text
    assert "| hello from the driver" in text
    assert "Replay: rayjob-harness run tests/runner/data/s.yaml -k wrong-status --kuberay-version 1.7" in text


def test_finally_steps_run_after_a_failure_and_later_steps_are_skipped() -> None:
    result = run(f"""
        scenario: cleanup
        apply: [{JOB}]
        steps:
          - expect: {{rayjob: rayjob-ttl, status: {{jobStatus: SUCCEEDED}}}}
          - advance: 1m
        finally:
          - delete: {{rayjob: rayjob-ttl}}
    """)
    assert result.status == "failed"
    assert [(s.status, s.in_finally) for s in result.steps] == [
        ("passed", False), ("failed", False), ("skipped", False), ("passed", True)]


def test_suspend_stays_suspended_then_resume_completes() -> None:
    result = run(f"""
        scenario: suspend-resume
        executor: {{runtime: 30s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - suspend: rayjob-ttl
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Suspended}}}}
          - expect: {{rayjob: rayjob-ttl, stays: {{for: 10m, value: Suspended}}}}
          - resume: rayjob-ttl
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - expect:
              rayjob: rayjob-ttl
              transitions: {{subsequence: [Running, Suspending, Suspended, Initializing, Complete], never: [Failed]}}
    """)
    assert result.status == "passed", result.failure
    assert result.steps[4].message == "status.jobDeploymentStatus stayed Suspended for 10m"


def test_stays_fails_at_the_first_change() -> None:
    result = run(f"""
        scenario: not-stable
        executor: {{runtime: 30s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - expect: {{rayjob: rayjob-ttl, stays: 10m}}
    """)
    assert result.status == "failed"
    assert result.summary is not None and result.summary.startswith(
        "status.jobDeploymentStatus of RayJob/rayjob-ttl changed from Running to Complete at t=")
    assert result.duration_virtual < 120


def test_delete_waits_until_the_rayjob_and_its_cluster_are_gone() -> None:
    result = run(f"""
        scenario: delete
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - delete: {{rayjob: rayjob-ttl}}
          - expect:
              absent: [{{rayjob: rayjob-ttl}}, {{raycluster: "${{cluster}}"}}]
              grace: 1m
    """)
    assert result.status == "passed", result.failure


def test_rerun_creates_a_new_cluster_for_the_same_rayjob() -> None:
    result = run(f"""
        scenario: rerun
        executor: {{runtime: 5s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - save: {{first: rayjob-ttl.status.rayClusterName}}
          - rerun: {JOB}
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - expect:
              rayjob: rayjob-ttl
              status: {{rayClusterName: {{$not: "${{first}}"}}}}
              transitions: [Initializing, Running, Complete, New, Initializing, Running, Complete]
    """)
    assert result.status == "passed", result.failure


def test_absence_with_a_grace_period_waits_for_the_ttl() -> None:
    result = run(f"""
        scenario: grace
        executor: {{runtime: 5s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - expect: {{absent: [{{raycluster: "${{cluster}}"}}], grace: 1m}}
    """)
    assert result.status == "passed", result.failure
    assert (result.steps[3].message or "").startswith("all checks held after 3")


def test_the_operator_env_can_make_the_rayjob_delete_itself() -> None:
    result = run(f"""
        scenario: delete-self
        executor: {{runtime: 5s}}
        operator: {{env: {{DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: true}}}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - wait: {{rayjob: rayjob-ttl, until: gone, timeout: 2m}}
    """)
    assert result.status == "passed", result.failure


def test_counts_events_and_logs_of_every_source() -> None:
    result = run(f"""
        scenario: observe
        executor: {{runtime: 1m, output: ["epoch 1 loss=0.25"]}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - expect:
              rayjob: rayjob-ttl
              count: [{{kind: Pod, selector: "ray.io/cluster=${{cluster}},ray.io/node-type=worker", equals: 1}}]
              events: [{{reason: CreatedRayCluster, type: Normal, message: "Created RayCluster .*/${{cluster}}"}}]
          - expect_logs: {{rayjob: rayjob-ttl, source: driver, regex: "loss=0\\\\.\\\\d+"}}
          - expect_logs: {{rayjob: rayjob-ttl, source: submitter, contains: "loss=0.25", grace: 10s}}
          - expect_logs: {{rayjob: rayjob-ttl, source: head, not_contains: "loss=0.25"}}
          - expect_logs: {{raycluster: "${{cluster}}", source: worker, lines: {{at_least: 1}}}}
    """)
    assert result.status == "passed", result.failure


def test_a_scenario_expected_to_fail_passes_when_the_failure_text_matches() -> None:
    result = run(f"""
        scenario: xfail
        executor: {{exit: 1}}
        expected_failure: "contradicts the wait"
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
    """)
    assert result.status == "passed"
    assert result.summary == "failed as expected (/contradicts the wait/)"


def test_a_scenario_expected_to_fail_fails_when_it_passes() -> None:
    result = run("""
        scenario: xpass
        expected_failure: "anything"
        steps: [{advance: 1s}]
    """)
    assert result.status == "failed"
    assert result.summary == "expected a failure matching /anything/, but every step passed"


def test_a_scenario_for_other_releases_is_skipped_with_the_reason() -> None:
    result = run("""
        scenario: old
        kuberay: "<1.5"
        steps: [{advance: 1s}]
    """)
    assert result.status == "skipped"
    assert result.summary == "kuberay=1.7 does not satisfy the scenario's kuberay: <1.5"


def test_a_manifest_refused_at_apply_time_is_an_error_not_a_failure() -> None:
    result = run("""
        scenario: refused
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: "${scenario}"}, data: {a: 1}}
    """)
    assert result.status == "error"
    assert result.steps[0].status == "error"


def test_inline_manifests_get_bindings_and_land_in_the_scenario_namespace() -> None:
    result = run("""
        scenario: inline
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-${scenario}", namespace: other}, data: {a: b}}
          - expect: {configmap: cm-inline, data: {a: b}}
    """)
    assert result.status == "passed", result.failure


def test_advance_reports_virtual_time() -> None:
    result = run("""
        scenario: adv
        steps: [{advance: 1h}]
    """)
    assert result.steps[0].message == "advanced 1h of virtual time"
    assert result.duration_virtual == 3600
    assert result.duration_wall < 5


def test_an_expected_failure_is_matched_against_the_failed_check_not_the_log_tails() -> None:
    result = run(f"""
        scenario: xfail-logs
        executor: {{runtime: 5s, output: ["needle in the log"]}}
        expected_failure: "needle in the log"
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}}}
          - expect: {{rayjob: rayjob-ttl, status: {{jobStatus: FAILED}}}}
    """)
    assert result.status == "failed"
    assert result.summary == "failed, but the failure text does not match /needle in the log/"


def test_sleep_moves_both_the_backend_and_the_wall_clock() -> None:
    result = run("""
        scenario: sleepy
        steps: [{sleep: 200ms}]
    """)
    assert result.steps[0].message == "slept 200ms (wall clock)"
    assert result.duration_virtual == 0.2
    assert result.duration_wall >= 0.2


def test_a_field_expectation_with_a_selector_must_hold_for_every_matching_object() -> None:
    result = run(f"""
        scenario: selector
        executor: {{runtime: 1m}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobStatus: RUNNING}}}}
          - expect: {{pod: {{selector: "ray.io/is-ray-node=yes"}}, status: {{phase: Running}}}}
          - expect: {{pod: {{selector: "ray.io/is-ray-node=yes"}}, metadata: {{labels: {{ray.io/node-type: head}}}}}}
    """)
    assert result.status == "failed"
    assert result.steps[2].status == "passed"
    assert result.summary is not None and "metadata.labels.ray.io/node-type: expected 'head', got 'worker'" in (
        result.failure or "")


def test_failure_diagnostics_show_the_world_before_finally_steps_clean_up() -> None:
    result = run(f"""
        scenario: cleanup-after-failure
        executor: {{runtime: 5s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Complete}}, timeout: 5m}}
          - expect: {{rayjob: rayjob-ttl, status: {{jobStatus: FAILED}}}}
        finally:
          - delete: {{rayjob: rayjob-ttl}}
    """)
    assert result.status == "failed"
    assert result.failure is not None
    objects_now = result.failure.split("Objects now", 1)[1]
    assert "RayJob/rayjob-ttl" in objects_now
    assert result.steps[-1].status == "passed"  # the finally step still ran


def test_wait_and_expect_accept_list_indices_in_dotted_paths() -> None:
    result = run(f"""
        scenario: indexed-paths
        executor: {{runtime: 10s}}
        apply: [{JOB}]
        steps:
          - wait:
              rayjob: rayjob-ttl
              until: {{spec.rayClusterSpec.headGroupSpec.template.spec.containers.0.name: ray-head}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - wait: {{raycluster: "${{cluster}}", until: {{status.conditions.0.type: HeadPodReady, status.state: ready}}}}
          - expect:
              rayjob: rayjob-ttl
              fields: {{spec.rayClusterSpec.headGroupSpec.template.spec.containers.-1.name: ray-head}}
    """)
    assert result.status == "passed", result.failure


def test_an_expect_right_after_a_wait_sees_the_instant_settled() -> None:
    # The RayJob exists as soon as it is applied, at t=0; the operator's first reconcile, due at that same
    # instant, has run by the time the next step looks.
    result = run(f"""
        scenario: settled-instant
        executor: {{runtime: 10s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: exists}}
          - expect: {{rayjob: rayjob-ttl, status: {{jobDeploymentStatus: Initializing}}}}
    """)
    assert result.status == "passed", result.failure
    assert result.duration_virtual == 0


def test_consistently_keeps_counts_and_absence_holding_over_the_window() -> None:
    result = run(f"""
        scenario: stays-empty
        executor: {{runtime: 30s}}
        apply: [{{file: {JOB}, patch: {{spec: {{suspend: true}}}}}}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Suspended}}}}
          - expect:
              absent: [{{kind: RayCluster}}]
              count: {{kind: Pod, equals: 0}}
              consistently: 1h
    """)
    assert result.status == "passed", result.failure
    assert result.steps[-1].message == "all checks held for 1h"
    assert result.duration_virtual >= 3600


def test_consistently_fails_at_the_first_change_that_breaks_a_check() -> None:
    result = run(f"""
        scenario: cluster-goes-away
        executor: {{runtime: 30s}}
        apply: [{JOB}]
        steps:
          - wait: {{rayjob: rayjob-ttl, until: {{status.jobDeploymentStatus: Running}}}}
          - save: {{cluster: rayjob-ttl.status.rayClusterName}}
          - expect: {{present: [{{kind: RayCluster, name: "${{cluster}}"}}], consistently: 1h}}
    """)
    assert result.status == "failed"
    assert result.summary is not None
    assert result.summary.startswith("RayCluster/rayjob-ttl-")
    assert "is absent, expected present: stopped holding at t=" in result.summary
    assert "into the 1h it had to hold" in result.summary
    assert result.duration_virtual < 3600  # failed when the TTL deleted the cluster, not at the end


def test_consistently_after_a_grace_period_first_waits_for_the_checks_to_hold() -> None:
    result = run(f"""
        scenario: eventually-then-consistently
        executor: {{runtime: 30s}}
        apply: [{JOB}]
        steps:
          - expect: {{rayjob: rayjob-ttl, status: {{jobDeploymentStatus: Complete}}, grace: 5m, consistently: 1h}}
    """)
    assert result.status == "passed", result.failure
