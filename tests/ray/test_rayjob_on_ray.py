"""RayJobs whose entrypoints really run on a local Ray runtime, under the simulated KubeRay v1.7 controllers.

The controllers keep their exact behaviour; only the Ray job is real: its output, exit code, message and
process. Virtual time follows the wall clock while the job runs and jumps over idle stretches (TTLs).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from ray_sim_support import eventually

from harness._util import procs
from harness.executors.ray_executor import RayExecutor
from harness.executors.ray_runtime import RayRuntime
from harness.simulator import Simulator

pytestmark = pytest.mark.ray

HEAD = {"name": "ray-head", "image": "rayproject/ray:2.60.0",
        "ports": [{"containerPort": 8265, "name": "dashboard"}]}


def rayjob(entrypoint: str, name: str = "demo", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name},
            "spec": {"entrypoint": entrypoint, **spec,
                     "rayClusterSpec": {"rayVersion": "2.60.0", "headGroupSpec": {
                         "rayStartParams": {}, "template": {"spec": {"containers": [dict(HEAD)]}}}}}}


@pytest.fixture
def sim(ray_runtime: RayRuntime) -> Iterator[Simulator]:
    simulator = Simulator("1.7", executor=RayExecutor(ray_runtime))
    yield simulator
    simulator.close()


def state(sim: Simulator, name: str = "demo") -> str | None:
    return sim.deployment_status(name)


def drivers_with(sim: Simulator, token: str) -> list[int]:
    """Processes of the simulator's Ray runtime (found by its marker) whose command line contains ``token``."""
    executor = sim.executor
    assert isinstance(executor, RayExecutor)
    return [pid for pid in executor.runtime.processes() if token in procs.cmdline(pid)]


def real_status(sim: Simulator, record: Any) -> str:
    """The job's status on the real Ray runtime (the simulated head may be gone by now, as on a cluster)."""
    executor = sim.executor
    assert isinstance(executor, RayExecutor)
    url = f"{executor.runtime.dashboard_url}/api/jobs/{executor.real_submission_id(record)}"
    request = urllib.request.Request(url, headers=executor.runtime.auth_headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(json.load(response)["status"])


def test_a_successful_entrypoint_prints_into_the_driver_log_and_completes(sim):
    task = "ray.get(ray.remote(lambda: 40 + 2).remote())"
    sim.apply(rayjob(f"python -c \"import ray; ray.init(); print('sum', {task})\""))
    assert sim.run_until(lambda: state(sim) == "Complete", timeout="10m")
    assert "sum 42" in sim.driver_log("demo")
    status = sim.get("RayJob", "demo")["status"]
    assert status["jobStatus"] == "SUCCEEDED" and status["succeeded"] == 1


def test_sys_exit_1_ends_failed_app_failed_with_rays_message(sim):
    sim.apply(rayjob("python -c \"import sys; print('bad input'); sys.exit(1)\""))
    assert sim.run_until(lambda: state(sim) == "Failed", timeout="10m")
    status = sim.get("RayJob", "demo")["status"]
    assert status["reason"] == "AppFailed" and status["jobStatus"] == "FAILED"
    assert status["message"].startswith("Job entrypoint command failed with exit code 1, last available logs")
    assert "bad input" in status["message"]


def test_deleting_the_rayjob_stops_the_ray_job_and_its_process_is_gone(sim):
    sim.apply(rayjob("python -c \"import time; print('sleeper-del'); time.sleep(600)\""))
    assert sim.run_until(lambda: (sim.get("RayJob", "demo") or {}).get("status", {}).get("jobStatus") == "RUNNING",
                         timeout="10m")
    record = sim.ray_job_record("demo")
    assert drivers_with(sim, "sleeper-del")
    sim.delete("RayJob", "demo", wait=True)  # the finalizer calls StopJob before the cluster goes away
    assert eventually(lambda: real_status(sim, record) == "STOPPED", timeout=30)
    assert eventually(lambda: not drivers_with(sim, "sleeper-del"), timeout=30)


def test_a_long_job_with_active_deadline_seconds_fails_deadline_exceeded(sim):
    sim.apply(rayjob("python -c \"import time; print('sleeper-ads'); time.sleep(600)\"", activeDeadlineSeconds=25))
    assert sim.run_until(lambda: state(sim) == "Failed", timeout="10m")
    status = sim.get("RayJob", "demo")["status"]
    assert status["reason"] == "DeadlineExceeded"
    assert status["jobStatus"] == "RUNNING"  # KubeRay does not stop the Ray job on a deadline


def test_suspending_mid_run_stops_the_ray_job_with_its_cluster(sim):
    sim.apply(rayjob("python -c \"import time; print('sleeper-susp'); time.sleep(600)\"",
                     shutdownAfterJobFinishes=True))
    assert sim.run_until(lambda: (sim.get("RayJob", "demo") or {}).get("status", {}).get("jobStatus") == "RUNNING",
                         timeout="10m")
    sim.suspend("demo")
    assert sim.run_until(lambda: state(sim) == "Suspended", timeout="5m")
    # The head pod terminates a moment after the RayCluster is gone; keep the world running meanwhile.
    assert sim.run_until(lambda: not drivers_with(sim, "sleeper-susp"), timeout=60)
    assert eventually(lambda: not drivers_with(sim, "sleeper-susp"), timeout=30)


def test_rerun_after_delete_runs_again_with_a_new_job_id(sim):
    manifest = rayjob("python -c \"print('run once')\"")
    sim.apply(manifest)
    assert sim.run_until(lambda: state(sim) == "Complete", timeout="10m")
    first_id = sim.get("RayJob", "demo")["status"]["jobId"]
    sim.delete("RayJob", "demo", wait=True)
    sim.delete("Job", "demo", wait=True)
    sim.apply(manifest)
    assert sim.run_until(lambda: state(sim) == "Complete", timeout="10m")
    assert sim.get("RayJob", "demo")["status"]["jobId"] != first_id
    assert "run once" in sim.driver_log("demo")


def test_a_configmap_mounted_script_with_env_vars_runs(sim):
    manifest = rayjob("python /home/ray/samples/job.py", runtimeEnvYAML="env_vars:\n  GREETING: hello-env\n")
    pod = manifest["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
    pod["containers"][0]["volumeMounts"] = [{"name": "code", "mountPath": "/home/ray/samples"}]
    pod["volumes"] = [{"name": "code", "configMap": {"name": "job-code"}}]
    sim.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job-code"},
               "data": {"job.py": "import os\nprint('greeting:', os.environ['GREETING'])\n"}})
    sim.apply(manifest)
    assert sim.run_until(lambda: state(sim) == "Complete", timeout="10m")
    assert "greeting: hello-env" in sim.driver_log("demo")


def test_a_missing_script_path_fails_clearly(sim):
    sim.apply(rayjob("python /app/does_not_exist.py"))
    assert sim.run_until(lambda: state(sim) == "Failed", timeout="10m")
    message = sim.get("RayJob", "demo")["status"]["message"]
    assert "/app/does_not_exist.py" in message
    assert "does not exist" in message
