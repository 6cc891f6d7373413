"""The tutorial's manifest, run as a new user would: every one of its problems in one run, exit 1."""

from __future__ import annotations

from pathlib import Path

from harness.validate import convert_text, validate_paths

from .support import TUTORIAL, cli_process, write

EXPECTED = [  # (line, rule): the tutorial's problems, in file order
    (1, "schema/deprecated-version"),  # ray.io/v1alpha1
    (5, "pitfall/cluster-left-behind"),  # no shutdownAfterJobFinishes
    (6, "pitfall/entrypoint-not-provided"),  # /app/train.py comes from nowhere
    (7, "schema/unknown-field"),  # runtimeEnv was removed in v1.1.0
    (8, "pitfall/remote-working-dir-not-zip"),  # s3://.../train-script is a folder
    (8, "pitfall/ignored-runtime-env-key"),  # workingDir
    (12, "pitfall/ignored-runtime-env-key"),  # envVars
    (16, "schema/required"),  # v1alpha1 head group without rayStartParams
    (24, "pitfall/no-dashboard-port"),  # containerPort 8265 without a name
    (26, "schema/required"),  # v1alpha1 worker group without rayStartParams
]


def test_validate_reports_every_problem_of_the_tutorial_in_one_run_with_exit_1():
    result = cli_process("validate", str(TUTORIAL))
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    report = validate_paths([str(TUTORIAL)])
    assert sorted((f.pos.line, f.rule) for f in report.findings) == sorted(EXPECTED)
    for line, rule in EXPECTED:
        assert f"rayjob-sample.yaml:{line}:" in result.stdout and f"[{rule}]" in result.stdout
    assert result.stdout.rstrip().endswith("Found 5 errors, 5 warnings (1 object in 1 file, KubeRay 1.7.0).")


def test_the_tutorial_runtime_env_object_is_checked_as_if_it_were_runtime_env_yaml():
    report = validate_paths([str(TUTORIAL)])
    keys = {f.path for f in report.findings if f.rule == "pitfall/ignored-runtime-env-key"}
    assert keys == {"spec.runtimeEnv.workingDir", "spec.runtimeEnv.envVars"}
    fixes = {f.fix for f in report.findings if f.rule == "pitfall/ignored-runtime-env-key"}
    assert fixes == {"rename it to working_dir (runtime_env keys are snake_case)",
                     "rename it to env_vars (runtime_env keys are snake_case)"}


def test_the_converted_tutorial_keeps_only_the_problems_conversion_cannot_fix(tmp_path: Path):
    converted = convert_text(TUTORIAL.read_text(), str(TUTORIAL))
    report = validate_paths([write(tmp_path, "rayjob-sample.yaml", converted.text)])
    assert sorted({f.rule for f in report.findings}) == [
        "pitfall/cluster-left-behind", "pitfall/entrypoint-not-provided", "pitfall/no-dashboard-port",
        "pitfall/remote-working-dir-not-zip"]
