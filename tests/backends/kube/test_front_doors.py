"""``rayjob-harness run --backend kube`` and ``pytest --rayjob-backend kube``: scenarios run against the API server
a kubeconfig names; a kubeconfig, context or flag that cannot work is bad input (exit code 2, the file and a
hint) before anything runs; a scenario that needs what the target lacks is skipped with the reason."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
MANIFEST = (PROJECT / "scenarios" / "manifests" / "rayjob.yaml").read_text()
SCENARIO = """\
scenario: completes-on-the-server
executor: {runtime: 10s, output: ["all good"]}
apply: [manifests/rayjob.yaml]
steps:
  - wait: {rayjob: sample-job, until: {status.jobDeploymentStatus: Complete}, timeout: 10m}
  - expect: {rayjob: sample-job, transitions: [Initializing, Running, Complete]}
  - expect_logs: {rayjob: sample-job, source: submitter, contains: "all good"}
---
scenario: needs-another-operator
operator: {env: {DELETE_RAYJOB_CR_AFTER_JOB_FINISHES: "true"}}
executor: {runtime: 10s}
apply: [manifests/rayjob.yaml]
steps:
  - wait: {rayjob: sample-job, until: {status.jobDeploymentStatus: Complete}, timeout: 10m}
---
scenario: needs-an-operator-the-simulator-does-not-model
operator: {feature_gates: {KubernetesWAS: true}}
apply: [manifests/rayjob.yaml]
steps:
  - wait: {rayjob: sample-job, until: {status.jobDeploymentStatus: Complete}, timeout: 10m}
"""


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    (tmp_path / "scenarios" / "manifests").mkdir(parents=True)
    (tmp_path / "scenarios" / "manifests" / "rayjob.yaml").write_text(MANIFEST)
    (tmp_path / "scenarios" / "on-the-server.yaml").write_text(SCENARIO)
    return tmp_path / "scenarios"


def plugin_args() -> list[str]:
    """``-p harness.pytest_plugin`` unless the installed entry point already loads it."""
    installed = any(ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "harness.pytest_plugin"]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "run", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_run_against_the_simulators_server_passes_and_skips_what_it_cannot_run(scenarios, simulator_server):
    result = _run(scenarios, "--backend", "kube", "--kubeconfig", simulator_server.kubeconfig)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED  completes-on-the-server" in result.stdout
    assert "PASSED  needs-another-operator" in result.stdout
    assert "SKIPPED needs-an-operator-the-simulator-does-not-model" in result.stdout
    assert "KubernetesWAS=true is not modelled by the simulator" in result.stdout


def test_run_with_a_missing_kubeconfig_is_bad_input_naming_it(scenarios, tmp_path):
    result = _run(scenarios, "--backend", "kube", "--kubeconfig", tmp_path / "nope")
    assert result.returncode == 2
    assert f"kubeconfig={tmp_path / 'nope'} does not exist" in result.stderr and "Hint: " in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_an_unknown_context_is_bad_input_listing_the_contexts(scenarios, simulator_server):
    result = _run(scenarios, "--backend", "kube", "--kubeconfig", simulator_server.kubeconfig, "--context", "nope")
    assert result.returncode == 2
    assert "context='nope' is not in kubeconfig=" in result.stderr
    assert "Hint: contexts there: rayjob-harness-simulator" in result.stderr


def test_run_on_the_in_process_simulator_refuses_a_kubeconfig(scenarios, simulator_server):
    result = _run(scenarios, "--kubeconfig", simulator_server.kubeconfig)
    assert result.returncode == 2 and "backend=sim is in-process" in result.stderr


def test_run_on_a_cluster_refuses_to_choose_the_executor(scenarios, simulator_server):
    result = _run(scenarios, "--backend", "kube", "--kubeconfig", simulator_server.kubeconfig, "--executor", "ray")
    assert result.returncode == 2 and "Ray jobs run where its target runs them" in result.stderr


def test_pytest_runs_scenario_files_against_the_kubeconfigs_server(pytester, scenarios, simulator_server):
    pytester.makefile(".yaml", **{"scenarios/manifests/rayjob": MANIFEST, "scenarios/on-the-server": SCENARIO})
    result = pytester.runpytest_subprocess(*plugin_args(), "scenarios", "--rayjob-backend", "kube",
                                           "--rayjob-kubeconfig", str(simulator_server.kubeconfig), "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*KubernetesWAS=true is not modelled by the simulator*"])


def test_pytest_with_a_kubeconfig_that_cannot_work_stops_before_collecting(pytester, tmp_path):
    pytester.makefile(".yaml", **{"scenarios/manifests/rayjob": MANIFEST, "scenarios/on-the-server": SCENARIO})
    result = pytester.runpytest_subprocess(*plugin_args(), "scenarios", "--rayjob-backend", "kube",
                                           "--rayjob-kubeconfig", str(tmp_path / "nope"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*rayjob-harness: kubeconfig=*nope does not exist*"])


LONG = """\
scenario: runs-for-hours
executor: {runtime: 10h}
apply: [manifests/rayjob.yaml]
steps:
  - wait: {rayjob: sample-job, until: {status.jobDeploymentStatus: Complete}, timeout: 20h}
"""


def _harness_namespaces(kubeconfig: Path) -> list[str]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(str(kubeconfig))
    try:
        found = client.CoreV1Api(api_client).list_namespace(
            label_selector="app.kubernetes.io/managed-by=rayjob-harness").items
        return [ns.metadata.name for ns in found if ns.metadata.deletion_timestamp is None]
    finally:
        api_client.close()


def test_a_run_stopped_by_sigterm_deletes_its_namespace_on_the_way_out(scenarios, simulator_server):
    (scenarios / "long.yaml").write_text(LONG)
    before = set(_harness_namespaces(simulator_server.kubeconfig))
    process = subprocess.Popen([sys.executable, "-m", "harness", "run", str(scenarios / "long.yaml"), "--backend",
                                "kube", "--kubeconfig", str(simulator_server.kubeconfig)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while set(_harness_namespaces(simulator_server.kubeconfig)) == before:
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert set(_harness_namespaces(simulator_server.kubeconfig)) == before
