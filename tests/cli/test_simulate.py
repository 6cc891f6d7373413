"""``rayjob-harness simulate``: the journal it prints, its JSON lines, its logs, and its answers to bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .variants import variant

DATA = Path(__file__).parent / "data"


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, on the scripted executor unless the test says otherwise."""
    executor = [] if "--executor" in args else ["--executor", "scripted"]
    return subprocess.run([sys.executable, "-m", "harness", "simulate", *executor, *args], capture_output=True,
                          text=True, timeout=120)


def _entries(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_ttl_rayjob_completes_and_only_its_raycluster_is_deleted_60s_after_end_time():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    entries = _entries(result.stdout)
    rayjob = [e for e in entries if e["kind"] == "RayJob" and e["type"] == "MODIFIED"]
    path = "status.jobDeploymentStatus"
    states = [e["changes"][path] for e in rayjob if path in e["changes"]]
    assert states == [[None, "Initializing"], ["Initializing", "Running"], ["Running", "Complete"]]
    complete = next(e for e in rayjob if e["changes"].get("status.jobDeploymentStatus", [0, 0])[1] == "Complete")
    end_time = complete["changes"]["status.endTime"][1]
    assert any(e["kind"] == "Job" and e["type"] == "ADDED" and e["name"] == "rayjob-ttl" for e in entries)
    deleted = [e for e in entries if e["type"] == "DELETED"]
    cluster_gone = [e for e in deleted if e["kind"] == "RayCluster"]
    assert len(cluster_gone) == 1
    # endTime is stored in whole seconds; the operator requeues until(endTime+60s)+2s.
    end_t = complete["t"] - (complete["t"] % 1)
    assert end_t + 60 <= cluster_gone[0]["t"] <= end_t + 63, (end_time, cluster_gone[0]["t"])
    assert not [e for e in deleted if e["kind"] in ("RayJob", "Job")]


def test_every_json_line_carries_the_documented_keys():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--format", "json")
    for entry in _entries(result.stdout):
        assert {"t", "wall", "seq", "type", "kind", "namespace", "name"} <= entry.keys()
        if entry["type"] == "MODIFIED":
            assert all(isinstance(v, list) and len(v) == 2 for v in entry.get("changes", {}).values())


def test_text_output_ends_with_a_summary_of_each_rayjob_and_what_is_left():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--job-exit", "1", "--job-output", "boom")
    assert result.returncode == 1, result.stderr
    assert "RayJob default/rayjob-ttl: deployment=Failed job=FAILED reason=AppFailed succeeded=0 failed=1" \
        in result.stdout
    objects = result.stdout.rsplit("objects: ", 1)[1]
    assert "RayJob/rayjob-ttl" in objects and "Job/rayjob-ttl" in objects and "RayCluster/" not in objects


def test_for_stops_a_run_that_has_not_settled():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--job-runtime", "2h", "--for", "10m")
    assert result.returncode == 1
    assert "stopped by --for 10m" in result.stdout
    assert "deployment=Running" in result.stdout


def test_logs_prints_the_driver_and_submitter_logs_after_the_journal():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--job-output", "epoch 1 done", "--logs", "submitter",
                      "--logs", "driver")
    # the scripted executor's driver lines are marked as such
    assert "==> submitter log of RayJob default/rayjob-ttl (the driver's lines are scripted" in result.stdout
    submitter = result.stdout.split("==> submitter log", 1)[1]
    assert "submitted successfully" in submitter and "epoch 1 done" in submitter
    # After TTL the head pod is gone, and the driver log with it, as on a real cluster: what is shown is the copy
    # the simulator kept, marked as such.
    driver = result.stdout.split("==> driver log of RayJob default/rayjob-ttl (captured before head pod", 1)[1]
    assert "epoch 1 done" in driver


def test_operator_env_switch_deletes_the_rayjob_itself():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--operator-env", "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true",
                      "--format", "json")
    deleted = [(e["kind"], e["name"]) for e in _entries(result.stdout) if e["type"] == "DELETED"]
    assert ("RayJob", "rayjob-ttl") in deleted


def test_a_file_that_is_not_yaml_is_exit_code_2_with_file_and_line():
    result = simulate(str(DATA / "not-yaml.yaml"))
    assert result.returncode == 2
    assert "not-yaml.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_kind_the_simulator_does_not_model_is_exit_code_2_with_a_hint():
    result = simulate(str(DATA / "unknown-kind.yaml"))
    assert result.returncode == 2
    assert "unknown-kind.yaml:2" in result.stderr
    assert "Hint:" in result.stderr and "RayJob" in result.stderr


def test_a_missing_file_is_exit_code_2():
    result = simulate(str(DATA / "does-not-exist.yaml"))
    assert result.returncode == 2
    assert "does-not-exist.yaml" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_flag_value_is_exit_code_2():
    assert simulate(str(DATA / "rayjob-ttl.yaml"), "--operator-env", "NOVALUE").returncode == 2
    assert simulate(str(DATA / "rayjob-ttl.yaml"), "--feature-gates", "Bogus=true").returncode == 2
    assert simulate(str(DATA / "rayjob-ttl.yaml"), "--kuberay-version", "0.9").returncode == 2
    assert simulate(str(DATA / "rayjob-ttl.yaml"), "--for", "soon").returncode == 2


def test_a_rayjob_the_operator_rejects_ends_validation_failed_with_kuberays_message(tmp_path):
    manifest = (DATA / "rayjob-ttl.yaml").read_text().replace("shutdownAfterJobFinishes: true",
                                                              "shutdownAfterJobFinishes: false")
    path = tmp_path / "invalid.yaml"
    path.write_text(manifest)
    result = simulate(str(path))
    assert result.returncode == 1
    assert "deployment=ValidationFailed" in result.stdout
    assert ("a RayJob with shutdownAfterJobFinishes set to false cannot have TTLSecondsAfterFinished"
            in result.stdout)


def test_a_v1alpha1_manifest_with_runtime_env_is_refused_after_the_deprecation_warning():
    result = simulate(str(DATA / "tutorial-like.yaml"))
    assert result.returncode == 2
    warning, _, error = result.stderr.partition("error: ")
    assert warning.startswith("Warning: ray.io/v1alpha1 RayJob is deprecated; use ray.io/v1 RayJob.")
    assert error.startswith(f"{DATA / 'tutorial-like.yaml'}:7:3: RayJob in version \"v1alpha1\" cannot be handled "
                            "as a RayJob: strict decoding error: unknown field \"spec.runtimeEnv\"")
    assert "Hint: runtimeEnv was removed in KubeRay v1.1.0" in error


def _network_policy(tmp_path: Path) -> Path:
    return variant(tmp_path, "network-policy.yaml", ("    rayVersion: '2.52.0'\n",
                                                      "    rayVersion: '2.52.0'\n    networkPolicy: {}\n"))


def test_network_policy_runs_with_its_feature_gate_instead_of_ending_validation_failed(tmp_path):
    result = simulate(str(_network_policy(tmp_path)), "--feature-gates", "RayClusterNetworkPolicy=true")
    assert result.returncode == 0, result.stderr
    assert "RayJob default/rayjob-ttl: deployment=Complete job=SUCCEEDED" in result.stdout
    assert "NetworkPolicy" in result.stdout  # the policies the operator created are in the journal


def test_network_policy_without_its_feature_gate_ends_validation_failed(tmp_path):
    result = simulate(str(_network_policy(tmp_path)))
    assert "deployment=ValidationFailed" in result.stdout
    assert "spec.networkPolicy requires the RayClusterNetworkPolicy feature gate to be enabled" in result.stdout


def test_a_feature_gate_the_simulator_does_not_model_is_exit_code_2_naming_it():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--feature-gates", "KubernetesWAS=true")
    assert result.returncode == 2
    assert "feature gate KubernetesWAS=true is not modelled by the simulator" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_operator_env_var_the_simulator_does_not_model_is_exit_code_2_naming_it():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--operator-env", "ENABLE_WEBHOOKS=true")
    assert result.returncode == 2
    assert "operator env ENABLE_WEBHOOKS=true is not modelled by the simulator" in result.stderr


def test_logs_submitter_prints_the_sidecar_container_of_a_sidecar_mode_rayjob(tmp_path):
    manifest = variant(tmp_path, "sidecar.yaml", ("  shutdownAfterJobFinishes: true\n  ttlSecondsAfterFinished: 60\n",
                                                   "  submissionMode: SidecarMode\n"))
    result = simulate(str(manifest), "--job-output", "epoch 1 done", "--logs", "submitter")
    assert result.returncode == 0, result.stderr
    submitter = result.stdout.split("==> submitter log of RayJob default/rayjob-ttl (", 1)[1]
    assert "Tailing logs until the job exits" in submitter and "epoch 1 done" in submitter


def test_logs_operator_prints_what_the_operator_logged_about_each_rayjob():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--logs", "operator")
    assert result.returncode == 0, result.stderr
    assert "==> operator log of RayJob default/rayjob-ttl <==" in result.stdout


def test_job_flags_choose_the_scripted_executor_under_auto():
    result = subprocess.run([sys.executable, "-m", "harness", "simulate", str(DATA / "rayjob-ttl.yaml"),
                             "--job-exit", "3"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "deployment=Failed job=FAILED" in result.stdout
    assert "local Ray runtime" not in result.stderr


def test_job_flags_with_the_ray_executor_are_refused_rather_than_ignored():
    result = simulate(str(DATA / "rayjob-ttl.yaml"), "--executor", "ray", "--job-exit", "1")
    assert result.returncode == 2
    assert "--job-* flags describe the scripted executor" in result.stderr


def test_the_journal_is_printed_as_the_run_goes_so_a_run_cut_short_leaves_evidence():
    # The tutorial's manifest as written never gets a dashboard URL: the operator retries for as long as it runs.
    manifest = Path(__file__).parents[2] / "scenarios" / "manifests" / "tutorial-rayjob-as-written.yaml"
    process = subprocess.Popen([sys.executable, "-m", "harness", "simulate", "--executor", "scripted", str(manifest),
                                "--for", "2000000h", "--format", "json"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        seen = [json.loads(process.stdout.readline()) for _ in range(3)]
        assert process.poll() is None, "the run ended before its first entries were read"
        assert {"type": "ACTION", "action": "apply", "name": "rayjob-sample"}.items() <= seen[1].items()
        assert seen[0]["kind"] == "Namespace"  # what was recorded before the apply is in the stream too
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path):
    # enough RayJobs for the journal to outgrow the pipe's buffer once `head` has stopped reading
    text = (DATA / "rayjob-ttl.yaml").read_text()
    many = tmp_path / "many.yaml"
    many.write_text("\n---\n".join(text.replace("name: rayjob-ttl", f"name: rayjob-{i}") for i in range(12)))
    command = f"'{sys.executable}' -m harness simulate --executor scripted '{many}' --format json | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stdout.count("\n") == 1
    assert result.returncode == 141  # 128 + SIGPIPE, as for other tools whose reader went away
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
