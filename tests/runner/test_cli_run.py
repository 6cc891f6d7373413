"""``rayjob-harness run``: exit codes, error reporting, selection, fail-fast and report files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from harness.cli.main import main

DATA = Path(__file__).parent / "data"

PASSING = """
    scenario: passes
    executor: {runtime: 5s}
    apply: [manifests/rayjob-ttl.yaml]
    steps:
      - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
"""
FAILING = """
    scenario: fails
    executor: {runtime: 5s, exit: 1}
    apply: [manifests/rayjob-ttl.yaml]
    steps:
      - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "manifests", tmp_path / "manifests")
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_exit_code_is_0_when_every_scenario_passes(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    assert main(["run", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "PASSED  passes" in out and "1 passed" in out


def test_exit_code_is_1_and_the_failure_is_explained_when_a_scenario_fails(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    file = write(folder, "b.yaml", FAILING)
    assert main(["run", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAILED  fails" in out
    assert "which contradicts the wait for status.jobDeploymentStatus=Complete" in out
    assert f"Replay: rayjob-harness run {file} -k fails" in out


def test_exit_code_is_2_for_a_bad_scenario_file_with_its_position_and_no_traceback(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    write(folder, "bad.yaml", """
        scenario: bad
        steps:
          - wait: {rayjob: a, until: gone
    """)
    assert main(["run", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "bad.yaml:5:1: YAML syntax error" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "PASSED" not in captured.out  # a file that cannot be read as scenarios stops the run before it starts


def test_a_broken_scenario_is_bad_input_but_the_other_scenarios_run(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "both.yaml", """
        - scenario: passes
          executor: {runtime: 5s}
          apply: [manifests/rayjob-ttl.yaml]
          steps:
            - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
        - scenario: bad
          steps:
            - wiat: {rayjob: a, until: gone}
    """)
    assert main(["run", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "both.yaml:9:7: unknown step='wiat'" in captured.err
    assert "Hint: did you mean 'wait'?" in captured.err
    assert "PASSED  passes" in captured.out and "ERROR   bad" in captured.out
    assert "Traceback" not in captured.err + captured.out


def test_an_inline_manifest_the_api_server_refuses_stops_only_its_own_scenario(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "both.yaml", """
        - scenario: refused-manifest
          apply:
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, dataa: {a: b}}
        - scenario: passes
          executor: {runtime: 5s}
          apply: [manifests/rayjob-ttl.yaml]
          steps:
            - wait: {rayjob: rayjob-ttl, until: {status.jobDeploymentStatus: Complete}}
    """)
    assert main(["run", str(folder)]) == 2
    captured = capsys.readouterr()
    assert 'both.yaml:4:62: inline manifest: ConfigMap in version "v1" cannot be handled as a ConfigMap' in captured.err
    assert "PASSED  passes" in captured.out


def test_every_bad_file_is_reported_not_just_the_first(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", "scenario: a\nsteps: [{advance: soon}]\n")
    write(folder, "b.yaml", "scenario: b\napply: [missing.yaml]\n")
    assert main(["run", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "a.yaml:2:19: advance must be a duration" in err
    assert "b.yaml:2:9: manifest file='missing.yaml' does not exist" in err


def test_a_missing_path_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no/such/dir"]) == 2
    assert "path='no/such/dir' does not exist" in capsys.readouterr().err


def test_k_selects_scenarios_by_name(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    write(folder, "b.yaml", FAILING)
    assert main(["run", str(folder), "-k", "passes"]) == 0
    assert "fails" not in capsys.readouterr().out.split("rayjob-harness scenarios")[0]


def test_k_selecting_nothing_is_bad_input(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    assert main(["run", str(folder), "-k", "nothing-like-this"]) == 2
    assert "-k 'nothing-like-this' selects none of the 1 scenario(s)" in capsys.readouterr().err


def test_fail_fast_stops_after_the_first_failure(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", FAILING)
    write(folder, "b.yaml", PASSING)
    assert main(["run", str(folder), "--fail-fast"]) == 1
    out = capsys.readouterr().out
    assert "PASSED" not in out
    assert "1 scenario(s) not run" in out


def test_junit_and_report_folders_are_written(folder: Path, tmp_path: Path) -> None:
    write(folder, "a.yaml", PASSING)
    write(folder, "b.yaml", FAILING)
    out = tmp_path / "out"
    assert main(["run", str(folder), "--junit-xml", str(out / "junit.xml"), "--report", str(out / "reports")]) == 1
    junit = (out / "junit.xml").read_text()
    assert 'name="passes"' in junit and "<failure" in junit
    assert sorted(p.name for p in (out / "reports").iterdir()) == ["fails", "passes"]
    journal = (out / "reports" / "fails" / "journal.jsonl").read_text()
    assert '"jobDeploymentStatus"' in journal or "jobDeploymentStatus" in journal


def test_list_checks_and_prints_the_scenarios_without_running_them(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    assert main(["run", str(folder), "--list"]) == 0
    out = capsys.readouterr().out
    assert "passes" in out and "PASSED" not in out


def test_the_same_scenario_name_in_two_files_is_bad_input(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    write(folder, "b.yaml", PASSING)
    assert main(["run", str(folder)]) == 2
    assert "scenario name='passes' is used twice" in capsys.readouterr().err


def test_an_unknown_kuberay_version_is_bad_input(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(folder, "a.yaml", PASSING)
    assert main(["run", str(folder), "--kuberay-version", "0.9"]) == 2
    assert "kuberay version='0.9' is not supported by backend=sim" in capsys.readouterr().err


def test_an_operator_setting_the_backend_cannot_honour_is_bad_input_at_its_line(folder: Path,
                                                                                   capsys: pytest.CaptureFixture[str]):
    write(folder, "a.yaml", """
        scenario: restarts
        executor: {runtime: 5s}
        operator:
          feature_gates:
            RayJobDeletionPolicy: true
            KubernetesWAS: true
        apply: [manifests/rayjob-ttl.yaml]
        steps: [{advance: 1s}]
    """)
    assert main(["run", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'a.yaml'}:7:" in err
    assert "feature gate KubernetesWAS=true is not modelled by the simulator" in err
    assert "Hint:" in err


def test_a_scenario_restricted_to_other_backends_is_not_checked_against_this_one(folder: Path):
    write(folder, "a.yaml", """
        scenario: on-kube-only
        backends: [kube]
        operator: {feature_gates: {KubernetesWAS: true}}
        steps: [{advance: 1s}]
    """)
    assert main(["run", str(folder)]) == 0
