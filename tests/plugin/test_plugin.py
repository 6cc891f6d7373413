"""The pytest plugin collects scenario files as items and offers a fixture for Python-written scenarios."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from .conftest import plugin_args

PASSING = """
    scenario: ttl-cleanup
    executor: {runtime: 5s, output: ["training complete"]}
    apply: [manifests/rayjob-ttl.yaml]
    steps:
      - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
      - expect_logs: {rayjob: rayjob-ttl, contains: "training complete"}
"""
FAILING = """
    scenario: wrong-expectation
    executor: {runtime: 5s}
    apply: [manifests/rayjob-ttl.yaml]
    steps:
      - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
      - expect: {rayjob: rayjob-ttl, status: {jobStatus: FAILED}}
"""


def write(project: pytest.Pytester, path: str, text: str) -> None:
    target = project.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(*plugin_args(), "-p", "no:cacheprovider", "-p", "no:benchmark", *args)


def test_scenario_files_become_items_named_after_their_scenarios(project: pytest.Pytester) -> None:
    write(project, "scenarios/ttl.yaml", PASSING)
    result = run(project, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/ttl.yaml::ttl-cleanup", "*1 test collected*"])
    assert "manifests" not in result.stdout.str()


def test_several_scenarios_in_one_file_are_several_items(project: pytest.Pytester) -> None:
    write(project, "scenarios/both.yaml", """
        - scenario: first
          steps: [{advance: 1s}]
        - scenario: second
          steps: [{advance: 2s}]
    """)
    result = run(project, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/both.yaml::first", "scenarios/both.yaml::second"])


def test_yaml_outside_a_scenarios_folder_is_not_collected_unless_named(project: pytest.Pytester) -> None:
    write(project, "elsewhere/s.yaml", "scenario: lone\nsteps: [{advance: 1s}]\n")
    assert "lone" not in run(project, "--collect-only", "-q").stdout.str()
    run(project, "--collect-only", "-q", "elsewhere/s.yaml").stdout.fnmatch_lines(["elsewhere/s.yaml::lone"])


def test_a_passing_scenario_passes(project: pytest.Pytester) -> None:
    write(project, "scenarios/ttl.yaml", PASSING)
    run(project).assert_outcomes(passed=1)


def test_a_failing_scenario_shows_the_diagnostics_not_a_traceback(project: pytest.Pytester) -> None:
    write(project, "scenarios/bad.yaml", FAILING)
    result = run(project)
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "Scenario wrong-expectation failed at step 3/3 (scenarios/bad.yaml:7:5)" in output
    assert "-  jobStatus: FAILED" in output and "+  jobStatus: SUCCEEDED" in output
    assert "Replay: rayjob-harness run scenarios/bad.yaml -k wrong-expectation" in output
    assert "harness/runner" not in output  # no traceback through the harness


def test_a_malformed_scenario_file_is_a_collection_error_with_its_position(project: pytest.Pytester) -> None:
    write(project, "scenarios/broken.yaml", "scenario: broken\nsteps:\n  - wait: {rayjob: a, until: gone\n")
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*scenarios/broken.yaml:4:1: YAML syntax error*", "*Hint:*"])
    assert "Traceback" not in result.stdout.str()


def test_a_broken_scenario_fails_its_own_item_with_its_position_and_the_others_run(
        project: pytest.Pytester) -> None:
    write(project, "scenarios/mixed.yaml", "- scenario: broken\n  steps:\n    - wiat: {rayjob: a, until: gone}\n"
                                           "- scenario: fine\n  steps: [{advance: 1s}]\n")
    result = run(project, "-rA")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*scenarios/mixed.yaml:3:7: unknown step='wiat'*", "*Hint: did you mean 'wait'?*"])
    assert "Traceback" not in result.stdout.str()


def test_a_scenario_for_other_kuberay_releases_is_skipped(project: pytest.Pytester) -> None:
    write(project, "scenarios/old.yaml", "scenario: old\nkuberay: '<1.5'\nsteps: [{advance: 1s}]\n")
    result = run(project, "-rs", "--kuberay-version", "1.7")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*kuberay=1.7 does not satisfy the scenario's kuberay: <1.5*"])


def test_k_and_markers_select_scenarios(project: pytest.Pytester) -> None:
    write(project, "scenarios/ttl.yaml", PASSING)
    write(project, "scenarios/slow.yaml", "scenario: long-one\nmarkers: [slow]\nsteps: [{advance: 1h}]\n")
    run(project, "-k", "ttl").assert_outcomes(passed=1, deselected=1)
    run(project, "-m", "slow").assert_outcomes(passed=1, deselected=1)
    run(project, "-m", "rayjob").assert_outcomes(passed=2)


def test_an_unregistered_scenario_marker_fails_collection_under_strict_markers(project: pytest.Pytester) -> None:
    write(project, "scenarios/m.yaml", "scenario: m\nmarkers: [nope]\nsteps: [{advance: 1s}]\n")
    result = run(project, "--strict-markers")
    result.stdout.fnmatch_lines(["*marker='nope' is not registered*"])


def test_the_report_option_writes_a_folder_per_scenario(project: pytest.Pytester) -> None:
    write(project, "scenarios/ttl.yaml", PASSING)
    run(project, "--rayjob-report", "out").assert_outcomes(passed=1)
    folder = project.path / "out" / "scenarios-ttl" / "ttl-cleanup"
    assert sorted(p.name for p in folder.iterdir()) == ["journal.jsonl", "report.html", "timeline.txt"]


def test_scenarios_run_in_parallel_under_xdist(project: pytest.Pytester) -> None:
    for index in range(4):
        write(project, f"scenarios/s{index}.yaml", PASSING.replace("ttl-cleanup", f"ttl-{index}"))
    result = run(project, "-n", "2")
    result.assert_outcomes(passed=4)


def test_python_scenarios_use_the_same_steps_as_methods(project: pytest.Pytester) -> None:
    project.makepyfile(test_python_scenario="""
        def test_ttl(rayjob_scenario):
            s = rayjob_scenario
            s.configure(executor={"runtime": "5s", "output": ["training complete"]})
            s.apply("scenarios/manifests/rayjob-ttl.yaml")
            s.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Complete"}, timeout="5m")
            s.expect(rayjob="rayjob-ttl", transitions=["Initializing", "Running", "Complete"],
                     status={"jobStatus": "SUCCEEDED"})
            cluster = s.save(cluster="rayjob-ttl.status.rayClusterName")
            assert cluster.startswith("rayjob-ttl-")
            s.advance("40s")
            s.expect(absent=[{"kind": "RayCluster", "name": "${cluster}"}])
    """)
    run(project).assert_outcomes(passed=1)


def test_python_scenarios_can_expect_refusals_write_status_and_inject_faults(project: pytest.Pytester) -> None:
    project.makepyfile(test_python_faults="""
        def test_faults(rayjob_scenario):
            s = rayjob_scenario
            s.configure(executor={"runtime": "1h"}, operator={"env": {"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60"}})
            s.delete(rayjob="nowhere", expect_refusal={"reason": "NotFound"})
            s.hold_submitter("rayjob-ttl")
            s.apply("scenarios/manifests/rayjob-ttl.yaml")
            s.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Running"})
            s.patch(rayjob="rayjob-ttl", merge={"spec": {"backoffLimit": "x"}}, expect_refusal=True)
            s.dashboard(rayjob="rayjob-ttl", answers="error")
            s.restart_operator(env={"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "30"})
            s.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Failed"}, timeout="2m")
            s.expect(rayjob="rayjob-ttl", status={"reason": "JobStatusCheckTimeoutExceeded"})
    """)
    run(project).assert_outcomes(passed=1)


def test_a_failing_python_step_points_at_the_test_line(project: pytest.Pytester) -> None:
    project.makepyfile(test_python_failure="""
        def test_fails(rayjob_scenario):
            rayjob_scenario.configure(executor={"exit": 1})
            rayjob_scenario.apply("scenarios/manifests/rayjob-ttl.yaml")
            rayjob_scenario.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Complete"})
    """)
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Step wait failed at *test_python_failure.py:4 at t=*",
                                 "*reached jobDeploymentStatus=Failed*contradicts the wait*"])


def test_a_bad_python_step_is_reported_at_the_calling_line(project: pytest.Pytester) -> None:
    project.makepyfile(test_python_bad="""
        def test_bad(rayjob_scenario):
            rayjob_scenario.wait(rayjob="a", until={"status.jobStatus": "SUCCEEDED"}, timeout="soon")
    """)
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_python_bad.py:2: wait timeout must be a duration*"])


def test_the_kuberay_marker_skips_python_scenarios_for_other_releases(project: pytest.Pytester) -> None:
    project.makepyfile(test_marked="""
        import pytest

        @pytest.mark.kuberay("<1.5")
        def test_old(rayjob_scenario):
            rayjob_scenario.advance("1s")
    """)
    run(project, "--kuberay-version", "1.7").assert_outcomes(skipped=1)


def test_importing_the_plugin_loads_neither_the_harness_nor_ray() -> None:
    code = ("import sys, harness.pytest_plugin; "
            "loaded = [m for m in ('ray', 'kubernetes', 'harness.simulator', 'harness.runner') if m in sys.modules]; "
            "print(loaded)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_scenarios_write_reports_too(project: pytest.Pytester) -> None:
    project.makepyfile(test_reported="""
        def test_reported(rayjob_scenario):
            rayjob_scenario.advance("10s")
    """)
    run(project, "--rayjob-report", "out").assert_outcomes(passed=1)
    folder = project.path / "out" / "test_reported" / "test_reported"
    assert (folder / "report.html").is_file()


NEEDS_RAY = """
    scenario: on-ray-only
    executors: [ray]
    steps: [{advance: 1s}]
"""
SCRIPTED = """
    scenario: scripted
    executor: {runtime: 5s}
    steps: [{advance: 1s}]
"""


def test_a_scenario_that_runs_on_ray_gets_the_ray_marker_and_can_be_deselected(project: pytest.Pytester) -> None:
    write(project, "scenarios/ray.yaml", NEEDS_RAY)
    write(project, "scenarios/scripted.yaml", SCRIPTED)
    result = run(project, "--collect-only", "-q", "-m", "not ray")
    result.stdout.fnmatch_lines(["scenarios/scripted.yaml::scripted", "*1/2 tests collected (1 deselected)*"])


def test_without_ray_a_scenario_that_needs_it_is_skipped_saying_why(project: pytest.Pytester,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.executors import choice

    monkeypatch.setattr(choice, "ray_importable", lambda: False)
    write(project, "scenarios/ray.yaml", NEEDS_RAY)
    result = run(project, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*executor=ray needs Ray, which is not installed here*pip install*"])


def test_without_ray_a_scenario_that_may_run_scripted_runs_scripted_unmarked(project: pytest.Pytester,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.executors import choice

    monkeypatch.setattr(choice, "ray_importable", lambda: False)
    write(project, "scenarios/plain.yaml", "scenario: plain\nsteps: [{advance: 1s}]\n")
    result = run(project, "-m", "not ray")
    result.assert_outcomes(passed=1)


def test_an_operator_setting_the_backend_cannot_honour_is_a_collection_error(project: pytest.Pytester) -> None:
    write(project, "scenarios/gates.yaml", """
        scenario: restarts
        operator: {feature_gates: {KubernetesWAS: true}}
        steps: [{advance: 1s}]
    """)
    result = run(project, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*scenarios/gates.yaml:3:*feature gate KubernetesWAS=true is not "
                                 "modelled by the simulator*"])
    assert result.ret != 0
