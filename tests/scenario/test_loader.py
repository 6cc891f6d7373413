"""The scenario loader turns YAML into typed scenarios: steps, expectations and settings."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.executors.settings import JobScript
from harness.scenario import load_file, load_text
from harness.scenario.matchers import Equals, MapMatch
from harness.scenario.model import (
    AdvanceStep,
    ApplyStep,
    DeleteStep,
    ExpectLogsStep,
    ExpectStep,
    PatchStep,
    RerunStep,
    SaveStep,
    SleepStep,
    WaitStep,
)

DATA = Path(__file__).parent / "data"


def load(text: str, display: str = "s.yaml"):
    return load_text(textwrap.dedent(text), display, base_dir=DATA)


def one(text: str):
    scenarios = load(text)
    assert len(scenarios) == 1
    return scenarios[0]


def test_the_design_sketch_loads_into_typed_steps() -> None:
    [scenario] = load_file(DATA / "ttl.yaml")
    assert scenario.name == "ttl-cleanup"
    assert [type(step) for step in scenario.steps] == [
        ApplyStep, WaitStep, ExpectStep, ExpectLogsStep, SaveStep, AdvanceStep, ExpectStep]
    assert scenario.kuberay is not None and scenario.kuberay.allows("1.7") and not scenario.kuberay.allows("1.4")


def test_scenario_level_apply_becomes_the_first_step_with_the_file_objects() -> None:
    [scenario] = load_file(DATA / "ttl.yaml")
    apply = scenario.steps[0]
    assert isinstance(apply, ApplyStep)
    assert [obj.describe() for obj in apply.objects] == ["RayJob/rayjob-ttl"]
    assert apply.objects[0].origin.startswith("manifests/rayjob.yaml:")


def test_steps_remember_their_position_and_source_lines() -> None:
    scenario = one("""
        scenario: s
        steps:
          - advance: 10s
          - wait:
              rayjob: a
              until: {status.jobStatus: SUCCEEDED}
    """)
    wait = scenario.steps[1]
    assert (wait.source.pos.line, wait.source.pos.column) == (5, 5)
    assert wait.source.end_line == 7
    assert "until: {status.jobStatus: SUCCEEDED}" in wait.source.snippet
    assert wait.source.text == "wait: {rayjob: a, until: {status.jobStatus: SUCCEEDED}}"


def test_a_list_at_top_level_holds_several_scenarios() -> None:
    scenarios = load("""
        - scenario: first
          steps: [{advance: 1s}]
        - scenario: second
          steps: [{advance: 2s}]
    """)
    assert [s.name for s in scenarios] == ["first", "second"]


def test_several_yaml_documents_hold_several_scenarios() -> None:
    scenarios = load("""
        scenario: first
        steps: [{advance: 1s}]
        ---
        scenario: second
        steps: [{sleep: 250ms}]
    """)
    assert [s.name for s in scenarios] == ["first", "second"]
    assert isinstance(scenarios[1].steps[0], SleepStep) and scenarios[1].steps[0].seconds == 0.25


def test_dotted_paths_in_until_become_nested_field_matchers() -> None:
    scenario = one("""
        scenario: s
        steps:
          - wait: {rayjob: a, until: {status.jobDeploymentStatus: Complete, status.succeeded: 1}}
    """)
    wait = scenario.steps[0]
    assert isinstance(wait, WaitStep) and wait.fields is not None
    [(key, status)] = wait.fields.fields
    assert key == "status" and isinstance(status, MapMatch)
    assert [(k, m.value) for k, m in status.fields if isinstance(m, Equals)] == [
        ("jobDeploymentStatus", "Complete"), ("succeeded", 1)]


def test_wait_timeout_defaults_to_none_so_the_scenario_default_applies() -> None:
    scenario = one("""
        scenario: s
        timeouts: {wait: 10m}
        steps: [{wait: {rayjob: a, until: gone}}]
    """)
    wait = scenario.steps[0]
    assert isinstance(wait, WaitStep) and wait.timeout is None and wait.until == "gone"
    assert scenario.timeouts.wait == 600


def test_suspend_and_resume_are_merge_patches_of_spec_suspend() -> None:
    scenario = one("""
        scenario: s
        steps: [{suspend: a}, {resume: {rayjob: a}}, {patch: {raycluster: c, merge: {spec: {suspend: true}}}}]
    """)
    suspend, resume, patch = scenario.steps
    assert isinstance(suspend, PatchStep) and suspend.patch == {"spec": {"suspend": True}}
    assert suspend.shortcut == "suspend" and suspend.target.describe() == "RayJob/a"
    assert isinstance(resume, PatchStep) and resume.patch == {"spec": {"suspend": False}}
    assert isinstance(patch, PatchStep) and patch.target.kind == "RayCluster"


def test_delete_waits_for_disappearance_unless_told_not_to() -> None:
    scenario = one("""
        scenario: s
        steps:
          - delete: {rayjob: a}
          - delete: {pod: {selector: {ray.io/node-type: worker}}, wait: false, timeout: 1m}
          - delete: manifests/rayjob.yaml
    """)
    by_name, by_selector, by_file = scenario.steps
    assert isinstance(by_name, DeleteStep) and by_name.wait
    assert isinstance(by_selector, DeleteStep) and not by_selector.wait and by_selector.timeout == 60
    assert by_selector.targets[0].selector == "ray.io/node-type=worker"
    assert isinstance(by_file, DeleteStep) and by_file.targets[0].describe() == "RayJob/rayjob-ttl"


def test_rerun_reads_the_manifests_it_will_delete_and_apply_again() -> None:
    scenario = one("""
        scenario: s
        steps: [{rerun: {file: manifests/rayjob.yaml, timeout: 2m}}]
    """)
    rerun = scenario.steps[0]
    assert isinstance(rerun, RerunStep) and rerun.timeout == 120
    assert [obj.describe() for obj in rerun.objects] == ["RayJob/rayjob-ttl"]


def test_apply_with_a_patch_merges_it_into_each_object_of_the_file() -> None:
    scenario = one("""
        scenario: s
        steps: [{apply: [{file: manifests/rayjob.yaml, patch: {spec: {suspend: true}}}]}]
    """)
    apply = scenario.steps[0]
    assert isinstance(apply, ApplyStep)
    assert apply.objects[0].obj["spec"]["suspend"] is True
    assert apply.objects[0].obj["spec"]["entrypoint"] == "python /home/ray/samples/train.py"


def test_inline_manifests_are_applied_and_may_use_bindings() -> None:
    scenario = one("""
        scenario: s
        steps:
          - apply:
              apiVersion: v1
              kind: ConfigMap
              metadata: {name: "cm-${scenario}"}
              data: {a: b}
    """)
    apply = scenario.steps[0]
    assert isinstance(apply, ApplyStep) and apply.objects[0].inline
    assert apply.objects[0].obj["metadata"]["name"] == "cm-${scenario}"


def test_save_reads_object_paths_with_a_rayjob_default_and_kind_prefixes() -> None:
    scenario = one("""
        scenario: s
        steps:
          - save:
              cluster: my-job.status.rayClusterName
              state: raycluster/${cluster}.status.state
              head: {pod: {selector: ray.io/node-type=head}, path: metadata.name}
    """)
    save = scenario.steps[0]
    assert isinstance(save, SaveStep)
    described = [(e.name, e.target.describe(), e.path) for e in save.entries]
    assert described == [("cluster", "RayJob/my-job", "status.rayClusterName"),
                         ("state", "RayCluster/${cluster}", "status.state"),
                         ("head", "Pods with labels ray.io/node-type=head", "metadata.name")]


def test_finally_steps_may_use_bindings_saved_by_the_steps() -> None:
    scenario = one("""
        scenario: s
        steps: [{save: {job: a.status.jobId}}]
        finally: [{expect_logs: {rayjob: a, contains: "${job}"}}]
    """)
    assert len(scenario.finally_steps) == 1
    assert len(scenario.all_steps) == 2


def test_executor_settings_become_job_scripts_by_default_rayjob_and_entrypoint() -> None:
    scenario = one("""
        scenario: s
        executor:
          default: {runtime: 2m, output: "line one\\nline two"}
          jobs:
            - {rayjob: failing, exit: 3}
            - {entrypoint: stop.py, stopped: true, startup: 2s}
        steps: [{advance: 1s}]
    """)
    settings = scenario.executor
    assert settings.default == JobScript(runtime=120, output=("line one", "line two"))
    assert settings.by_rayjob == {"failing": JobScript(exit_code=3)}
    assert settings.by_entrypoint == {"stop.py": JobScript(stopped=True, startup=2.0)}


def test_executor_script_keys_at_top_level_set_the_default() -> None:
    scenario = one("""
        scenario: s
        executor: {runtime: 10s, exit: 1}
        steps: [{advance: 1s}]
    """)
    assert scenario.executor.default == JobScript(runtime=10, exit_code=1)


def test_operator_env_values_are_strings_as_in_a_deployment() -> None:
    scenario = one("""
        scenario: s
        operator:
          env: {DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: true, RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: 60}
          feature_gates: {RayJobDeletionPolicy: false}
        steps: [{advance: 1s}]
    """)
    assert scenario.operator.env == {"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true",
                                     "RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60"}
    assert scenario.operator.feature_gates == {"RayJobDeletionPolicy": False}


def test_transitions_follow_the_deployment_status_of_a_rayjob_by_default() -> None:
    scenario = one("""
        scenario: s
        steps:
          - expect: {rayjob: a, transitions: [Initializing, Running, Complete]}
          - expect: {raycluster: c, transitions: {subsequence: [ready], never: [failed]}}
          - expect: {rayjob: a, transitions: {field: status.jobStatus, subsequence: [RUNNING, SUCCEEDED], within: 1m}}
    """)
    exact, cluster, job_status = (step.transitions for step in scenario.steps)  # type: ignore[attr-defined]
    assert exact.path == "status.jobDeploymentStatus" and exact.exact == ("Initializing", "Running", "Complete")
    assert cluster.path == "status.state" and cluster.never == ("failed",)
    assert job_status.path == "status.jobStatus" and job_status.within == 60


def test_an_empty_state_in_transitions_is_written_as_new() -> None:
    scenario = one("""
        scenario: s
        steps: [{expect: {rayjob: a, transitions: {exact: ["", Initializing]}}}]
    """)
    assert scenario.steps[0].transitions.exact == ("New", "Initializing")  # type: ignore[attr-defined]


def test_stays_takes_a_duration_or_a_mapping_with_a_value() -> None:
    scenario = one("""
        scenario: s
        steps:
          - expect: {rayjob: a, stays: 10m}
          - expect: {rayjob: a, stays: {for: 1h, value: Suspended}}
    """)
    short, full = (step.stays for step in scenario.steps)  # type: ignore[attr-defined]
    assert (short.path, short.seconds, short.value) == ("status.jobDeploymentStatus", 600, None)
    assert (full.seconds, full.value) == (3600, "Suspended")


def test_presence_counts_and_events_are_parsed_per_entry() -> None:
    scenario = one("""
        scenario: s
        steps:
          - expect:
              rayjob: a
              present: [{kind: Job, name: a}]
              absent: {raycluster: gone}
              count: [{kind: Pod, selector: ray.io/node-type=worker, at_least: 1, at_most: 2}]
              events:
                - {reason: CreatedRayCluster, type: Normal, message: "Created RayCluster .*/a-"}
                - {reason: FailedToCreateRayCluster, present: false}
              grace: 5s
    """)
    step = scenario.steps[0]
    assert isinstance(step, ExpectStep)
    assert step.present[0].describe() == "Job/a" and step.absent[0].describe() == "RayCluster/gone"
    assert step.counts[0].count.at_least == 1 and step.counts[0].count.at_most == 2
    assert [(e.reason, e.present) for e in step.events] == [("CreatedRayCluster", True),
                                                            ("FailedToCreateRayCluster", False)]
    assert step.grace == 5


def test_expect_logs_reads_the_driver_log_of_a_rayjob_by_default() -> None:
    scenario = one("""
        scenario: s
        steps:
          - expect_logs: {rayjob: a, contains: done}
          - expect_logs: {raycluster: c, regex: ["loss=0\\\\.\\\\d+"], lines: {at_least: 2}}
          - expect_logs: {pod: p, container: ray-head, not_contains: [Traceback]}
    """)
    driver, head, pod = scenario.steps
    assert isinstance(driver, ExpectLogsStep) and driver.source_name == "driver"
    assert isinstance(head, ExpectLogsStep) and head.source_name == "head" and head.lines is not None
    assert isinstance(pod, ExpectLogsStep) and pod.source_name == "pod" and pod.container == "ray-head"


def test_backends_executors_and_kuberay_decide_when_a_scenario_is_skipped() -> None:
    scenario = one("""
        scenario: s
        kuberay: [">=1.2, <1.5", "1.7"]
        backends: [sim]
        executors: [scripted]
        steps: [{advance: 1s}]
    """)
    assert scenario.skip_reason(backend="sim", kuberay_version="1.7.0", executor="scripted") is None
    assert "kuberay=1.5.1" in (scenario.skip_reason(backend="sim", kuberay_version="1.5.1",
                                                    executor="scripted") or "")
    assert "backend=kube" in (scenario.skip_reason(backend="kube", kuberay_version="1.7",
                                                   executor="scripted") or "")
    assert "executor=ray" in (scenario.skip_reason(backend="sim", kuberay_version="1.7", executor="ray") or "")


def test_markers_and_expected_failure_are_kept() -> None:
    scenario = one("""
        scenario: s
        markers: [slow]
        expected_failure: "contradicts the wait"
        steps: [{advance: 1s}]
    """)
    assert scenario.markers == ("slow",)
    assert scenario.expected_failure == "contradicts the wait"
