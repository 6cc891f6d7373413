"""The whole path on a real Docker engine: a kind cluster with the pinned KubeRay operator is created, reused, and
deleted. Skipped, saying why, where no engine answers or kind is missing (run them on a workstation with Docker)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import cli
from harness.backends.kind.engine import connect
from harness.backends.kind.errors import ProvisioningError

pytestmark = [pytest.mark.kind, pytest.mark.slow]


def _why_not() -> str | None:
    try:
        connect(dict(os.environ)).close()
    except ProvisioningError as exc:
        return exc.message
    for tool in ("kind", "kubectl"):
        if shutil.which(tool) is None:
            return f"{tool} is not on PATH"
    return None


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    reason = _why_not()
    if reason is not None:
        pytest.skip(f"needs a Docker engine and kind: {reason}")
    name = f"rh-test-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, RAYJOB_HARNESS_STATE=str(tmp_path_factory.mktemp("state")))
    yield name, env
    cli("cluster", "down", "--name", name, env=env, timeout=600)


def test_cluster_up_creates_a_cluster_with_an_available_operator(real_cluster):
    name, env = real_cluster
    result = cli("cluster", "up", "--name", name, "--format", "json", env=env, timeout=1800)
    assert result.returncode == 0, result.stderr
    handle = json.loads(result.stdout)
    assert handle["created"] is True and handle["context"] == f"kind-{name}"
    available = subprocess.run(["kubectl", "--kubeconfig", handle["kubeconfig"], "--context", handle["context"],
                                "get", "deployment", "kuberay-operator", "--namespace", "kuberay-system", "-o",
                                "jsonpath={.status.availableReplicas}"], capture_output=True, text=True, check=True)
    assert available.stdout == "1"


def test_cluster_up_again_reuses_and_verifies_the_cluster(real_cluster):
    name, env = real_cluster
    result = cli("cluster", "up", "--name", name, "--format", "json", env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] is False
    assert "is installed as wanted" in result.stderr


def test_cluster_status_shows_the_cluster_as_the_harnesss_with_its_operator(real_cluster):
    name, env = real_cluster
    result = cli("cluster", "status", "--name", name, "--format", "json", env=env)
    (status,) = json.loads(result.stdout)
    assert status["owned"] is True and status["operator"].startswith("Available")


def test_cluster_down_deletes_it(real_cluster):
    name, env = real_cluster
    assert cli("cluster", "down", "--name", name, env=env, timeout=600).returncode == 0
    listed = subprocess.run(["kind", "get", "clusters"], capture_output=True, text=True).stdout.split()
    assert name not in listed
    assert not (Path(env["RAYJOB_HARNESS_STATE"]) / "clusters" / name).exists()
