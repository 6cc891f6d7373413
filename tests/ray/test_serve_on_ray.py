"""``rayjob-harness serve`` on the real Ray executor: a RayJob really runs, and SIGTERM stops the Ray it started."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.apiserver.remote import endpoint
from harness.executors.ray_runtime import ray_installed

pytestmark = [pytest.mark.ray, pytest.mark.slow]

RAYJOB = {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": "real"}, "spec": {
    "entrypoint": "python -c \"print('hello from ray')\"", "shutdownAfterJobFinishes": True,
    "rayClusterSpec": {"headGroupSpec": {"template": {"spec": {"containers": [{
        "name": "ray-head", "image": "rayproject/ray:2.52.0",
        "ports": [{"containerPort": 8265, "name": "dashboard"}]}]}}}}}}


def test_sigterm_stops_the_ray_runtime_serve_started(tmp_path: Path):
    if not ray_installed():
        pytest.skip("needs Ray, which is not installed here: pip install 'rayjob-harness[ray]'")
    kubeconfig = tmp_path / "kc"
    process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--executor", "ray", "--kubeconfig-out",
                                str(kubeconfig)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    assert process.stderr is not None and process.stdout is not None
    reader = threading.Thread(target=lambda: errors.extend(iter(process.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        for line in iter(process.stdout.readline, ""):
            if line.startswith("Ctrl-C"):
                break
        target = endpoint(kubeconfig)
        target.call("POST", "/apis/ray.io/v1/namespaces/default/rayjobs", RAYJOB)
        deadline = time.monotonic() + 180
        status: dict = {}
        while time.monotonic() < deadline:
            status = target.call("GET", "/apis/ray.io/v1/namespaces/default/rayjobs/real").get("status") or {}
            if status.get("jobDeploymentStatus") in ("Complete", "Failed"):
                break
            time.sleep(1)
        assert status.get("jobStatus") == "SUCCEEDED", status
        up = next(re.search(r"dir=(\S+)", line) for line in errors if "Ray runtime up" in line)
        assert up is not None
        runtime_dir = Path(up.group(1))
        assert runtime_dir.exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert not runtime_dir.exists()
    leftovers = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(runtime_dir) not in leftovers
    assert not kubeconfig.exists()
