"""``rayjob-harness simulate`` as a CI gate: its exit code says whether every RayJob ended as asked, and its summary
says why one did not, in the operator's own words, naming the flag that shows more."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import main

from .variants import DATA, TTL, variant

PROJECT = Path(__file__).resolve().parents[2]


def simulate(*args: str) -> tuple[int, str, str]:
    """``rayjob-harness simulate ARGS`` in this process, on the scripted executor unless the test says otherwise."""
    executor = [] if "--executor" in args else ["--executor", "scripted"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["simulate", *executor, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def summary_of(stdout: str) -> str:
    return stdout[stdout.rindex("\nAfter "):]


def rayjob_block(summary: str, name: str) -> str:
    """The summary's lines about one RayJob: its verdict line and the indented lines under it."""
    lines = summary.splitlines()
    start = next(i for i, line in enumerate(lines) if f" RayJob default/{name}:" in line)
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        block.append(line)
    return "\n".join(block)


UNNAMED_PORT = ("                - containerPort: 8265\n                  name: dashboard\n",
                "                - containerPort: 8265\n")


# -- exit codes ---------------------------------------------------------------------------------------------------


def test_a_rayjob_that_completes_exits_0_and_the_summary_says_it_ended_as_expected():
    code, out, _ = simulate(str(TTL))
    assert code == 0
    summary = summary_of(out)
    assert "  ok   RayJob default/rayjob-ttl: deployment=Complete job=SUCCEEDED" in summary
    assert summary.rstrip().endswith("Result: 1 RayJob ended as expected (exit 0)")
    assert "why:" not in summary


def test_a_rayjob_whose_ray_job_fails_exits_1():
    code, out, _ = simulate(str(TTL), "--job-exit", "1")
    assert code == 1
    assert "  FAIL RayJob default/rayjob-ttl: deployment=Failed job=FAILED reason=AppFailed" in out
    assert out.rstrip().endswith("Result: 1 of 1 RayJob did not end as expected (exit 1)")


def test_a_rayjob_still_initializing_when_for_runs_out_exits_1():
    code, out, _ = simulate(str(TTL), "--for", "5s")
    assert code == 1
    assert "(stopped by --for 5s; not every RayJob settled)" in out
    assert "FAIL RayJob default/rayjob-ttl: deployment=Initializing" in out


def test_bad_input_is_still_exit_code_2():
    assert simulate(str(DATA / "not-yaml.yaml"))[0] == 2


def test_one_rayjob_that_does_not_end_as_expected_fails_the_run_however_many_do(tmp_path: Path):
    refused = variant(tmp_path, "refused.yaml", ("name: rayjob-ttl", "name: refused"),
                      ("ttlSecondsAfterFinished: 60", "ttlSecondsAfterFinished: -1"))
    code, out, _ = simulate(str(TTL), str(refused))
    assert code == 1
    assert "ok   RayJob default/rayjob-ttl" in out and "FAIL RayJob default/refused" in out
    assert "Result: 1 of 2 RayJobs did not end as expected (exit 1)" in out


# -- --expect -----------------------------------------------------------------------------------------------------


def test_expect_failed_with_its_reason_makes_a_failing_rayjob_pass_the_gate():
    code, out, _ = simulate(str(TTL), "--job-exit", "1", "--expect", "Failed:AppFailed")
    assert code == 0
    assert "ok   RayJob default/rayjob-ttl: deployment=Failed" in out
    assert "(expected Failed with reason AppFailed)" in out


def test_expect_with_another_reason_than_the_one_reached_exits_1():
    code, out, _ = simulate(str(TTL), "--job-exit", "1", "--expect", "Failed:DeadlineExceeded")
    assert code == 1
    assert "FAIL RayJob default/rayjob-ttl: deployment=Failed job=FAILED reason=AppFailed" in out


def test_expect_suspended_passes_for_a_rayjob_created_suspended(tmp_path: Path):
    suspended = variant(tmp_path, "suspended.yaml", ("  shutdownAfterJobFinishes: true\n",
                                                     "  shutdownAfterJobFinishes: true\n  suspend: true\n"))
    assert simulate(str(suspended))[0] == 1
    code, out, _ = simulate(str(suspended), "--expect", "suspended")
    assert code == 0
    assert "deployment=Suspended" in out and "(expected Suspended)" in out


def test_expect_validation_failed_passes_for_a_spec_the_operator_refuses(tmp_path: Path):
    refused = variant(tmp_path, "refused.yaml", ("shutdownAfterJobFinishes: true", "shutdownAfterJobFinishes: false"))
    assert simulate(str(refused), "--expect", "ValidationFailed")[0] == 0


def test_expect_can_name_the_one_rayjob_it_is_about(tmp_path: Path):
    other = variant(tmp_path, "other.yaml", ("name: rayjob-ttl", "name: other"),
                    ("shutdownAfterJobFinishes: true", "shutdownAfterJobFinishes: false"))
    code, out, _ = simulate(str(TTL), str(other), "--expect", "other=ValidationFailed")
    assert code == 0
    assert "(expected Complete)" in out and "(expected ValidationFailed)" in out
    assert simulate(str(TTL), str(other), "--expect", "default/other=ValidationFailed")[0] == 0


def test_a_misspelt_expected_status_is_exit_2_with_did_you_mean():
    code, out, err = simulate(str(TTL), "--expect", "Completed")
    assert (code, out) == (2, "")
    assert "error: --expect status='Completed' is not one KubeRay 1.7 sets" in err
    assert "Hint: did you mean Complete?" in err


def test_expect_naming_a_rayjob_the_manifests_do_not_define_is_exit_2_before_running():
    code, out, err = simulate(str(TTL), "--expect", "nightly=Failed")
    assert (code, out) == (2, "")
    assert "--expect names RayJob 'nightly', which the manifests do not define" in err
    assert "RayJobs in the manifests: default/rayjob-ttl" in err


def test_a_reason_with_a_status_that_carries_none_is_exit_2():
    code, _, err = simulate(str(TTL), "--expect", "Running:AppFailed")
    assert code == 2 and "a RayJob that is Running has no reason" in err


def test_two_outcomes_for_every_rayjob_are_exit_2():
    code, _, err = simulate(str(TTL), "--expect", "Complete", "--expect", "Failed")
    assert code == 2 and "--expect is given 2 times for every RayJob" in err


# -- why, in the operator's own words -------------------------------------------------------------------------------


def test_the_tutorials_unnamed_dashboard_port_is_explained_from_the_operator_log():
    code, out, _ = simulate(str(DATA / "tutorial-fixed.yaml"))
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-sample")
    assert block.startswith("  FAIL RayJob default/rayjob-sample: deployment=Initializing")
    assert "why: still Initializing after 24h (since t=0s)" in block
    assert 'why: the operator logged "Reconciler error: dashboard port is not found" (' in block
    assert "has been ready since t=11.6s, yet the RayJob did not move on" in block
    assert "more: --logs operator" in block


def test_a_remote_working_dir_that_is_not_a_zip_is_explained_from_the_submitter_log():
    code, out, _ = simulate(str(DATA / "remote-working-dir.yaml"))
    assert code == 1
    block = rayjob_block(summary_of(out), "remote-code")
    assert "deployment=Failed job=- reason=SubmissionFailed" in block
    assert "message: Job submission has failed. Reason: BackoffLimitExceeded." in block
    assert 'why: the submitter log ends with "ValueError: Only .zip files supported for remote URIs." ' \
           "(3 submitter pods)" in block
    assert "more: --logs submitter" in block


def test_validation_failed_quotes_the_operator_and_points_at_validate(tmp_path: Path):
    refused = variant(tmp_path, "refused.yaml", ("shutdownAfterJobFinishes: true", "shutdownAfterJobFinishes: false"))
    code, out, _ = simulate(str(refused))
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-ttl")
    assert ("message: The RayJob spec is invalid: a RayJob with shutdownAfterJobFinishes set to false cannot have "
            "TTLSecondsAfterFinished") in block
    assert "why: the operator refused the spec and will not run this RayJob, even once the spec is fixed" in block
    assert f"check before deploying: rayjob-harness validate {refused}" in block


def test_a_deadline_says_where_the_rayjob_was_held_and_why(tmp_path: Path):
    deadline = ("  ttlSecondsAfterFinished: 60\n", "  ttlSecondsAfterFinished: 60\n  activeDeadlineSeconds: 300\n")
    held = variant(tmp_path, "held.yaml", UNNAMED_PORT, deadline)
    code, out, _ = simulate(str(held))
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-ttl")
    assert "reason=DeadlineExceeded" in block
    assert "message: The RayJob has passed the activeDeadlineSeconds." in block
    assert "why: it was still Initializing when the deadline passed, at t=" in block
    assert '"Reconciler error: dashboard port is not found"' in block
    assert "more: --logs operator" in block


def test_an_app_failure_quotes_the_drivers_last_error_line():
    code, out, _ = simulate(str(TTL), "--job-exit", "1", "--job-output", "Traceback (most recent call last):",
                            "--job-output", "ZeroDivisionError: division by zero", "--job-output", "cleaning up")
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-ttl")
    assert "message: Job entrypoint command failed with exit code 1, last available logs" in block
    assert '"ZeroDivisionError: division by zero"' in block
    assert "more: --logs driver" in block


def test_a_rayjob_still_running_says_the_ray_job_is_running_and_where_its_output_is():
    code, out, _ = simulate(str(TTL), "--job-runtime", "2h", "--for", "10m", "--logs", "driver")
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-ttl")
    assert "why: still Running after" in block and "the Ray job is RUNNING" in block
    assert "more: --logs driver (below)" in block


def test_a_rayjob_the_operator_deleted_is_judged_by_its_last_status():
    code, out, _ = simulate(str(TTL), "--operator-env", "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true", "--job-exit", "2")
    assert code == 1
    block = rayjob_block(summary_of(out), "rayjob-ttl")
    assert "deployment=Failed job=FAILED reason=AppFailed" in block
    assert "why: the RayJob was deleted at t=" in block and "this was its last status" in block


# -- scripted outcomes, logs --------------------------------------------------------------------------------------


def test_a_scripted_success_is_labelled_as_scripted(tmp_path: Path):
    missing = variant(tmp_path, "missing.yaml", ("python /home/ray/samples/sample_code.py", "python /nowhere/x.py"))
    code, out, _ = simulate(str(missing))
    assert code == 0
    summary = summary_of(out)
    assert "Ray jobs: scripted (executor=scripted)" in summary and "no entrypoint was run" in summary
    assert "message: Job finished successfully. (scripted outcome: the entrypoint was not run)" in summary


def test_logs_driver_after_the_ttl_shows_the_log_captured_before_the_head_pod_was_deleted():
    code, out, _ = simulate(str(TTL), "--job-output", "epoch 1 done", "--logs", "driver")
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("==> driver log of RayJob default/rayjob-ttl"))
    assert "(captured before head pod rayjob-ttl-" in header and "was deleted at 1m" in header
    assert "on a real cluster it is gone with the pod" in header and "scripted" in header
    assert "epoch 1 done" in out.split(header, 1)[1]


def test_logs_driver_on_a_running_head_says_why_there_is_none_without_calling_it_not_running():
    code, out, _ = simulate(str(DATA / "tutorial-fixed.yaml"), "--for", "1m", "--logs", "driver")
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("==> driver log of"))
    assert "not running" not in line
    assert "is Running" in line and "still Initializing, so nothing has submitted the job" in line


def test_logs_of_a_source_that_cannot_be_read_print_the_hint_naming_another_source(tmp_path: Path):
    code, out, _ = simulate(str(DATA / "remote-working-dir.yaml"), "--logs", "driver", "--logs", "submitter")
    assert code == 1
    assert "==> submitter log of RayJob default/remote-code" in out
    assert "==> driver log of RayJob default/remote-code: not available:" in out


def test_json_keeps_stdout_to_journal_lines_and_puts_the_summary_and_logs_on_stderr():
    code, out, err = simulate(str(TTL), "--format", "json", "--job-exit", "1", "--logs", "submitter")
    assert code == 1
    assert all(json.loads(line)["seq"] >= 0 for line in out.splitlines())
    assert "FAIL RayJob default/rayjob-ttl" in err and "==> submitter log of RayJob default/rayjob-ttl" in err


def test_the_summary_is_neither_wrapped_nor_duplicated_when_piped_at_80_columns():
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "harness", "simulate", "--executor", "scripted",
                             str(DATA / "tutorial-fixed.yaml"), "--for", "10m", "--logs", "driver"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    summary = lines[lines.index("After 10m of virtual time (stopped by --for 10m; not every RayJob settled):"):]
    verdict = next(line for line in summary if "RayJob default/rayjob-sample:" in line)
    assert len(verdict) > 80 and verdict.endswith("(expected Complete)")  # one line, however wide
    assert len(summary) == len(set(summary))
    assert result.stderr.count("ray.io/v1alpha1 RayJob is deprecated") == 1


@pytest.mark.parametrize("expect", ["Complete", "Failed:SubmissionFailed"])
def test_the_exit_code_is_the_gate_a_ci_step_reads(expect: str):
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    result = subprocess.run([sys.executable, "-m", "harness", "simulate", "--executor", "scripted",
                             str(DATA / "remote-working-dir.yaml"), "--expect", expect],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == (1 if expect == "Complete" else 0), result.stdout[-2000:]
