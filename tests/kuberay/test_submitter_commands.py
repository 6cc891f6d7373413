"""The submitter runs what KubeRay would run: its own script by default, a user's command when the
``submitterPodTemplate`` sets one (KubeRay keeps it), and the light-weight Go ``/submitter`` of KubeRay v1.5+."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.errors import InputError
from harness.sim.store import ApiError
from harness.simulator import Simulator

from .builders import rayjob


def submitter_template(command: list[str], args: list[str] | None = None, image: str = "rayproject/ray:2.52.0",
                       **container: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "my-submitter", "image": image, "command": command, **container}
    if args is not None:
        spec["args"] = args
    return {"spec": {"restartPolicy": "Never", "containers": [spec]}}


def status(sim: Simulator, name: str = "demo") -> dict[str, Any]:
    return sim.get("RayJob", name)["status"]  # type: ignore[index,no-any-return]


def finished(sim: Simulator, name: str = "demo", timeout: float = 900) -> str:
    sim.run_until(lambda: (sim.deployment_status(name) or "") in ("Complete", "Failed"), timeout)
    return sim.deployment_status(name) or ""


def submitter_pods(sim: Simulator, name: str = "demo") -> list[dict[str, Any]]:
    return sim.list("Pod", selector={"job-name": name})


def first_log(sim: Simulator, name: str = "demo") -> str:
    return sim.pod_logs(submitter_pods(sim, name)[0]["metadata"]["name"])


def log_so_far(sim: Simulator, name: str = "demo") -> str:
    """The first submitter pod's log, or "" while there is none to read yet."""
    try:
        return first_log(sim, name)
    except (IndexError, ApiError):
        return ""


LIGHT = "quay.io/kuberay/submitter:v1.5.1"


def test_a_user_submit_command_in_exec_form_runs_with_kubernetes_variable_expansion(sim: Simulator) -> None:
    command = ["ray", "job", "submit", "--address", "http://$(RAY_DASHBOARD_ADDRESS)", "--submission-id",
               "$(RAY_JOB_SUBMISSION_ID)", "--no-wait", "--", "python", "/home/ray/samples/sample_code.py"]
    sim.apply(rayjob(submitterPodTemplate=submitter_template(command)))
    sim.run_until(lambda: bool(submitter_pods(sim)) and
                  (submitter_pods(sim)[0].get("status") or {}).get("phase") == "Succeeded", 600)
    log = first_log(sim)
    assert f"Job '{status(sim)['jobId']}' submitted successfully" in log
    assert "Tailing logs" not in log  # --no-wait: the container ends right after submitting
    assert finished(sim) == "Complete"


def test_a_failing_user_command_fails_the_submitter_with_the_jobs_backoff(sim: Simulator) -> None:
    template = submitter_template(["bash", "-c", "echo preparing; exit 3"])
    sim.apply(rayjob(submitterPodTemplate=template, submitterConfig={"backoffLimit": 1}))
    assert finished(sim) == "Failed"
    assert status(sim)["reason"] == "SubmissionFailed"
    assert status(sim)["message"] == ("Job submission has failed. Reason: BackoffLimitExceeded. Message: Job has "
                                      "reached the specified backoff limit")
    pods = submitter_pods(sim)
    assert len(pods) == 2  # backoffLimit 1: the first pod and one retry
    assert all(p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3 for p in pods)
    assert "preparing" in first_log(sim)


def test_a_user_script_with_set_e_stops_at_the_first_failing_command(sim: Simulator) -> None:
    script = ("set -e; ray job status --address http://$RAY_DASHBOARD_ADDRESS $RAY_JOB_SUBMISSION_ID; "
              "echo never printed")
    sim.apply(rayjob(submitterPodTemplate=submitter_template(["/bin/sh", "-c", script]),
                     submitterConfig={"backoffLimit": 0}))
    assert finished(sim) == "Failed"
    log = first_log(sim)
    assert "Request failed with status code 404" in log
    assert "never printed" not in log


def test_an_unknown_option_of_ray_job_submit_fails_like_click(sim: Simulator) -> None:
    template = submitter_template(["ray", "job", "submit", "--adress", "x", "--", "python", "a.py"])
    sim.apply(rayjob(submitterPodTemplate=template, submitterConfig={"backoffLimit": 0}))
    assert finished(sim) == "Failed"
    assert "Error: No such option: --adress" in first_log(sim)
    terminated = submitter_pods(sim)[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 2


def test_a_submitter_command_the_simulator_cannot_run_is_refused_with_the_reason(sim: Simulator) -> None:
    template = submitter_template(["bash", "-c", "pip install foo && ray job submit -- python a.py"])
    with pytest.raises(InputError) as refused:
        sim.apply(rayjob(submitterPodTemplate=template))
    assert "it runs 'pip', a program the simulator does not model" in str(refused.value)


def test_the_light_weight_submitter_submits_and_tails_with_its_own_log_lines(sim: Simulator) -> None:
    args = ["--runtime-env-json", '{"env_vars":{"counter_name":"test_counter"}}', "--", "python",
            "/home/ray/samples/sample_code.py"]
    sim.apply(rayjob(submitterPodTemplate=submitter_template(["/submitter"], args, image=LIGHT)))
    assert finished(sim) == "Complete"
    job_id = status(sim)["jobId"]
    log = first_log(sim)
    assert log.index(f"SUCC -- Job '{job_id}' submitted successfully") < \
        log.index("INFO -- Tailing logs until the job finishes:") < log.index(f"SUCC -- Job '{job_id}' succeeded")
    record = sim.ray_job_record("demo")
    assert record is not None
    assert record.request.entrypoint == "python /home/ray/samples/sample_code.py"
    assert record.request.runtime_env == {"env_vars": {"counter_name": "test_counter"}}


def test_the_light_weight_submitter_prints_succeeded_even_when_the_ray_job_failed(
        make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(exit_code=1)
    args = ["--", "python", "/home/ray/samples/sample_code.py"]
    sim.apply(rayjob(submitterPodTemplate=submitter_template(["/submitter"], args, image=LIGHT)))
    assert finished(sim) == "Failed"
    assert status(sim)["reason"] == "AppFailed"
    assert f"SUCC -- Job '{status(sim)['jobId']}' succeeded" in first_log(sim)  # the stream closed normally


def test_bad_entrypoint_resources_fail_the_light_weight_submitter_on_every_attempt(sim: Simulator) -> None:
    args = ["--entrypoint-resources", '{"cpu":"Intentionally wrong value"}']
    sim.apply(rayjob(submitterPodTemplate=submitter_template(["/submitter"], args, image=LIGHT),
                     submitterConfig={"backoffLimit": 2}))
    assert finished(sim) == "Failed"
    assert status(sim)["reason"] == "SubmissionFailed"
    assert len(submitter_pods(sim)) == 3
    assert "ERROR --  json: cannot unmarshal string into Go value of type float32" in first_log(sim)


def test_a_retried_light_weight_submitter_follows_the_job_already_submitted(sim: Simulator) -> None:
    args = ["--", "python", "/home/ray/samples/sample_code.py"]
    sim.apply(rayjob(submitterPodTemplate=submitter_template(["/submitter"], args, image=LIGHT)))
    sim.run_until(lambda: "submitted successfully" in log_so_far(sim), 600)
    first = submitter_pods(sim)[0]["metadata"]["name"]
    sim.delete("Pod", first)
    assert finished(sim) == "Complete"
    second = next(p for p in submitter_pods(sim) if p["metadata"]["name"] != first)
    log = sim.pod_logs(second["metadata"]["name"])
    assert f"INFO -- Job '{status(sim)['jobId']}' has already been submitted, tailing logs." in log


def test_an_unknown_flag_of_the_light_weight_submitter_exits_2_with_the_usage(sim: Simulator) -> None:
    template = submitter_template(["/submitter"], ["--runtime-env", "{}"], image=LIGHT)
    sim.apply(rayjob(submitterPodTemplate=template, submitterConfig={"backoffLimit": 0}))
    assert finished(sim) == "Failed"
    log = first_log(sim)
    assert "unknown flag: --runtime-env" in log and "Usage of /submitter:" in log
    assert submitter_pods(sim)[0]["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 2


def test_the_default_submitter_script_is_what_runs_when_the_template_sets_no_command(sim: Simulator) -> None:
    sim.apply(rayjob(submitterPodTemplate={"spec": {"restartPolicy": "Never", "containers": [
        {"name": "custom", "image": "rayproject/ray:2.52.0"}]}}))
    assert finished(sim) == "Complete"
    job = sim.get("Job", "demo")
    assert job is not None
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/bin/bash", "-ce", "--"]
    assert "ray job logs --address" in container["args"][0]
    assert f"Job '{status(sim)['jobId']}' succeeded" in first_log(sim)
