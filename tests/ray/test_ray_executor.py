"""Specifications of the ``ray`` executor: simulated jobs run on the real local Ray runtime, driven through
RayDashboard + Clock.add_real_work, as the simulator runs them."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from ray_sim_support import RaySim, eventually

from harness._util import procs
from harness.executors.paths import PackageChecker
from harness.executors.ray_executor import RayExecutor
from harness.model.enums import JobStatus
from harness.raysim.dashboard import JobRecord

pytestmark = pytest.mark.ray

SLEEPER = "python -c 'import time; print(\"sleeping {token}\", flush=True); time.sleep(120)'"


def driver_processes(sim: RaySim, token: str) -> list[int]:
    """Processes of this runtime (by its marker, never by command line alone) running the entrypoint ``token``."""
    return [pid for pid in sim.executor.runtime.processes() if token in procs.cmdline(pid)]


def real_status(sim: RaySim, job: JobRecord) -> str:
    runtime = sim.executor.runtime
    url = f"{runtime.dashboard_url}/api/jobs/{sim.executor.real_submission_id(job)}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=runtime.auth_headers), timeout=5) as r:
        return str(json.loads(r.read())["status"])


def start_sleeper(sim: RaySim, token: str) -> tuple[Any, JobRecord]:
    head = sim.head()
    job = sim.submit(head, "sleeper", SLEEPER.format(token=token))
    assert sim.run_until(lambda: any(f"sleeping {token}" in line for line in job.driver_log))
    assert job.status == JobStatus.RUNNING
    return head, job


def test_successful_job_reports_succeeded_with_its_output_in_the_driver_log(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "hello", "python -c 'print(\"hello from ray\")'"))
    assert job.status == JobStatus.SUCCEEDED
    assert job.driver_exit_code == 0
    assert [status for _, status in job.history] == [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.SUCCEEDED]
    assert "hello from ray" in job.driver_log
    assert "Running entrypoint for job hello: python -c 'print(\"hello from ray\")'" in job.driver_log


def test_exiting_with_1_fails_with_rays_message_and_exit_code(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "bad", "python -c 'import sys; print(\"oops\"); sys.exit(1)'"))
    assert job.status == JobStatus.FAILED
    assert job.driver_exit_code == 1
    assert job.error_type == "JOB_ENTRYPOINT_COMMAND_ERROR"
    assert job.message.startswith("Job entrypoint command failed with exit code 1, last available logs")
    assert "oops" in job.message
    assert "Running entrypoint for job bad: python" in job.message  # Ray's own id never shows


def test_stopping_a_running_job_ends_stopped_and_its_driver_process(ray_sim: RaySim) -> None:
    head, job = start_sleeper(ray_sim, "stop-running")
    assert driver_processes(ray_sim, "sleeping stop-running")
    assert head.stop_job("sleeper") is True
    ray_sim.finish(job, timeout=20)
    assert job.status == JobStatus.STOPPED
    assert eventually(lambda: not driver_processes(ray_sim, "sleeping stop-running"), timeout=10)


def test_deleting_the_cluster_really_stops_its_running_jobs(ray_sim: RaySim) -> None:
    head, job = start_sleeper(ray_sim, "cluster-gone")
    head.shut_down()
    ray_sim.run_until(lambda: not ray_sim.executor.busy(), timeout=20)
    assert real_status(ray_sim, job) == "STOPPED"
    assert eventually(lambda: not driver_processes(ray_sim, "sleeping cluster-gone"), timeout=10)
    assert job.status == JobStatus.RUNNING  # nobody reports to a head that is gone


def test_a_job_pending_when_its_cluster_goes_away_is_stopped_once_it_starts(ray_sim: RaySim) -> None:
    head = ray_sim.head()
    holders = [ray_sim.submit(head, f"hold-{i}", SLEEPER.format(token=f"holder-{i}"), entrypoint_num_cpus=1)
               for i in range(2)]  # the runtime has 2 CPUs: the third job waits for one
    waiting = ray_sim.submit(head, "waiting", SLEEPER.format(token="late-starter"), entrypoint_num_cpus=1)
    assert ray_sim.run_until(lambda: all(job.status == JobStatus.RUNNING for job in holders))
    assert waiting.status == JobStatus.PENDING

    head.shut_down()
    ray_sim.run_until(lambda: not ray_sim.executor.busy(), timeout=60)

    # However loaded the machine, the waiting job ends STOPPED once the holders' CPUs free up; the executor keeps
    # following it (polled here as the simulator polls it while anything else runs).
    def statuses() -> list[str]:
        ray_sim.executor.poll()
        return [real_status(ray_sim, job) for job in [*holders, waiting]]

    assert eventually(lambda: statuses() == ["STOPPED"] * 3, timeout=90), statuses()
    assert eventually(lambda: not driver_processes(ray_sim, "sleeping late-starter"), timeout=30)


def test_runtime_env_vars_reach_the_driver(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "env", "python -c 'import os; print(os.environ[\"GREETING\"])'",
                                        runtime_env={"env_vars": {"GREETING": "hello-env"}}))
    assert job.status == JobStatus.SUCCEEDED
    assert "hello-env" in job.driver_log


def test_head_container_env_reaches_the_driver_unless_the_job_sets_the_same_name(ray_sim: RaySim) -> None:
    pod = {"metadata": {"name": "c-head-x", "namespace": "default"},
           "spec": {"containers": [{"name": "ray-head", "image": "rayproject/ray:2.60.0",
                                    "env": [{"name": "FROM_HEAD", "value": "head-value"},
                                            {"name": "SHARED", "value": "from-head"}]}]}}
    code = "import os; print(os.environ[\"FROM_HEAD\"], os.environ[\"SHARED\"])"
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(head_pod=pod), "env2", f"python -c '{code}'",
                                        runtime_env={"env_vars": {"SHARED": "from-job"}}))
    assert "head-value from-job" in job.driver_log


def test_a_script_mounted_from_a_configmap_runs_and_logs_container_paths(make_sim: Any) -> None:
    configmaps = {("default", "job-code"): {"data": {"main.py": "import sys\nprint('from configmap', sys.argv[0])\n"}}}
    sim: RaySim = make_sim(configmap_lookup=lambda ns, name: configmaps.get((ns, name)))
    pod = {"metadata": {"name": "c-head-y", "namespace": "default"},
           "spec": {"volumes": [{"name": "code", "configMap": {"name": "job-code",
                                                               "items": [{"key": "main.py", "path": "main.py"}]}}],
                    "containers": [{"name": "ray-head", "image": "rayproject/ray:2.60.0",
                                    "volumeMounts": [{"name": "code", "mountPath": "/home/ray/samples"}]}]}}
    job = sim.finish(sim.submit(sim.head(head_pod=pod), "cm", "python /home/ray/samples/main.py"))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "from configmap /home/ray/samples/main.py" in job.driver_log
    assert "Running entrypoint for job cm: python /home/ray/samples/main.py" in job.driver_log


def test_a_missing_script_fails_at_once_with_a_hint(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "missing", "python /home/ray/samples/absent.py"))
    assert job.status == JobStatus.FAILED
    assert job.error_type == "JOB_ENTRYPOINT_COMMAND_ERROR"
    assert "the entrypoint script /home/ray/samples/absent.py does not exist locally" in job.message
    assert 'Hint: mount it from a ConfigMap volume of the head pod, or map its directory with path_map=' \
           '{"/home/ray/samples": "./local-dir"}' in job.message
    assert ray_sim.executor.real_submission_id(job) is None
    assert ray_sim.clock.now == 0.0


def test_a_path_map_makes_a_container_path_local(make_sim: Any, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "train.py").write_text("import sys\nprint('training at', sys.argv[0])\n")
    sim: RaySim = make_sim(path_map={"/app": str(tmp_path / "app")})
    job = sim.finish(sim.submit(sim.head(), "mapped", "python /app/train.py"))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "training at /app/train.py" in job.driver_log


def test_a_container_working_dir_is_mapped_and_uploaded(make_sim: Any, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "job.py").write_text("print('ran from working_dir')\n")
    sim: RaySim = make_sim(path_map={"/app": str(tmp_path / "app")})
    job = sim.finish(sim.submit(sim.head(), "wd", "python job.py", runtime_env={"working_dir": "/app"}))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "ran from working_dir" in job.driver_log


def test_a_remote_working_dir_fails_at_once_saying_how_to_map_it(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "remote", "python job.py",
                                        runtime_env={"working_dir": "s3://bucket/code.zip"}))
    assert job.status == JobStatus.FAILED
    assert job.error_type == "RUNTIME_ENV_SETUP_FAILURE"
    assert 'path_map={"s3://bucket/code.zip": "./local-dir"}' in job.message


def test_pip_packages_missing_locally_without_an_index_fail_at_once_naming_them(make_sim: Any) -> None:
    sim: RaySim = make_sim(packages=PackageChecker(pip_args=["--index-url", "http://127.0.0.1:9/simple"]))
    job = sim.finish(sim.submit(sim.head(), "pip", "python -c 'print(1)'",
                                runtime_env={"pip": ["rayjob-harness-no-such-package"]}))
    assert job.status == JobStatus.FAILED
    assert job.error_type == "RUNTIME_ENV_SETUP_FAILURE"
    assert "packages=rayjob-harness-no-such-package" in job.message


def test_pip_packages_installed_locally_need_no_virtualenv(ray_sim: RaySim) -> None:
    job = ray_sim.finish(ray_sim.submit(ray_sim.head(), "pip-ok", "python -c 'import yaml; print(\"yaml ok\")'",
                                        runtime_env={"pip": ["PyYAML"]}))
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "yaml ok" in job.driver_log


def test_the_same_job_id_runs_on_two_clusters(ray_sim: RaySim) -> None:
    first = ray_sim.submit(ray_sim.head("one"), "job-1", "python -c 'print(\"on one\")'")
    second = ray_sim.submit(ray_sim.head("two"), "job-1", "python -c 'print(\"on two\")'")
    ray_sim.run_until(lambda: first.status.is_terminal and second.status.is_terminal)
    assert (first.status, second.status) == (JobStatus.SUCCEEDED, JobStatus.SUCCEEDED)
    assert "on one" in first.driver_log and "on two" in second.driver_log
    assert ray_sim.executor.real_submission_id(first) != ray_sim.executor.real_submission_id(second)


def test_the_same_job_id_runs_again_on_a_restarted_head_of_the_same_cluster(ray_sim: RaySim) -> None:
    uid = "feedbeef-0000-4000-a000-000000000000"
    first = ray_sim.finish(ray_sim.submit(ray_sim.head(uid=uid), "again", "python -c 'print(1)'"))
    second = ray_sim.finish(ray_sim.submit(ray_sim.head(uid=uid), "again", "python -c 'print(2)'"))
    assert (first.status, second.status) == (JobStatus.SUCCEEDED, JobStatus.SUCCEEDED)
    assert "2" in second.driver_log


def test_a_cluster_image_of_another_ray_minor_version_is_warned_about(ray_sim: RaySim) -> None:
    pod = {"metadata": {"name": "old-head"}, "spec": {"containers": [{"image": "rayproject/ray:2.9.3-py310"}]}}
    ray_sim.finish(ray_sim.submit(ray_sim.head(head_pod=pod), "old", "python -c 'print(1)'"))
    assert any("image=rayproject/ray:2.9.3-py310 differs from the local ray" in w for w in ray_sim.executor.warnings)


def test_a_cluster_ray_version_is_warned_about_once_whether_named_by_ray_version_or_image(
        caplog: pytest.LogCaptureFixture) -> None:
    executor = RayExecutor()  # knowing the local version needs no runtime
    with caplog.at_level(logging.WARNING):
        first = executor.check_versions(ray_version="2.9.0")
        again = executor.check_versions(image="rayproject/ray:2.9.3-py310")

    assert first is not None and again is None
    assert executor.warnings == [first]
    assert caplog.records == []  # collected for whoever runs the executor to show once, not printed as well


def test_the_head_log_is_the_ray_start_output(ray_sim: RaySim) -> None:
    lines = ray_sim.executor.head_log()
    assert any("Ray runtime started." in line for line in lines)
    assert not any("\x1b[" in line for line in lines)
