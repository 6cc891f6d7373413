"""Specifications of who can use the harness's local Ray runtime: no one without its token, and from nowhere but this
machine's loopback. Probed from the outside while a job runs, so that job drivers and Ray workers listen too."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ray_sim_support import RaySim, eventually
from runtime_probes import (
    SUBMISSION_PATHS,
    Listener,
    grpc_codes_without_token,
    listeners,
    post_job_without_token,
)

from harness.executors.ray_executor import RayExecutor
from harness.executors.ray_runtime import RayRuntime
from harness.model.enums import JobStatus

pytestmark = pytest.mark.ray

# A driver that connects to the runtime and keeps an actor alive: its own core worker, the actor's worker and an
# idle worker all listen while it runs.
BUSY_DRIVER = ("python -c \"import ray, time; ray.init(); a = ray.remote(lambda: 1); ray.get(a.remote()); "
               "Keep = ray.remote(type('Keep', (), {'ping': lambda self: 1})); k = Keep.remote(); "
               "ray.get(k.ping.remote()); print('driver-ready', flush=True); time.sleep(300)\"")


@pytest.fixture(scope="module")
def busy_runtime(ray_runtime: RayRuntime) -> Iterator[RayRuntime]:
    """The shared runtime with a driver, an actor and the job agent up (every listener Ray opens for a job)."""
    executor = RayExecutor(ray_runtime)
    sim = RaySim(executor)
    job = sim.submit(sim.head(), "busy", BUSY_DRIVER)
    assert sim.run_until(lambda: "driver-ready" in job.driver_log, timeout=120), job.driver_log
    assert job.status == JobStatus.RUNNING
    yield ray_runtime
    executor.close()


@pytest.fixture(scope="module")
def open_ports(busy_runtime: RayRuntime) -> list[Listener]:
    found = listeners(busy_runtime.processes())
    assert len({item.port for item in found}) >= 10, found  # the fixed ports, the driver and its workers
    return found


def test_the_dashboard_refuses_the_job_api_without_the_token(ray_runtime: RayRuntime) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{ray_runtime.dashboard_url}/api/jobs/", timeout=5)
    assert refused.value.code == 401

    request = urllib.request.Request(f"{ray_runtime.dashboard_url}/api/jobs/", headers=ray_runtime.auth_headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200 and isinstance(json.loads(response.read()), list)


def test_the_token_is_made_for_the_runtime_and_readable_by_its_owner_only(ray_runtime: RayRuntime) -> None:
    token_file = ray_runtime.token_path
    assert token_file.is_relative_to(ray_runtime.dir)  # type: ignore[arg-type]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert ray_runtime.auth_headers == {"Authorization": f"Bearer {token_file.read_text()}"}
    assert (ray_runtime.env["RAY_AUTH_MODE"], ray_runtime.env["RAY_AUTH_TOKEN_PATH"]) == ("token", str(token_file))


def test_no_listener_of_the_runtime_accepts_a_job_submission_without_the_token(
        busy_runtime: RayRuntime, open_ports: list[Listener], tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    answers = {(item.port, path): post_job_without_token(item.port, path, f"touch {canary}")
               for item in open_ports for path in SUBMISSION_PATHS}

    accepted = {where: status for where, status in answers.items() if isinstance(status, int) and status < 300}
    assert accepted == {}
    assert 401 in answers.values()  # the dashboard and the job agent did answer, refusing
    assert not eventually(canary.exists, timeout=3)


def test_no_grpc_server_of_the_runtime_answers_a_call_without_the_token(open_ports: list[Listener]) -> None:
    codes = {item.port: grpc_codes_without_token(item.port) for item in open_ports}

    answered = {port: method for port, by_method in codes.items() for method, code in by_method.items()
                if code == "OK"}
    assert answered == {}
    grpc_ports = {port for port, by_method in codes.items() if set(by_method.values()) != {"UNAVAILABLE"}}
    refusing = {port for port in grpc_ports if "UNAUTHENTICATED" in codes[port].values()}
    assert refusing == grpc_ports and len(grpc_ports) >= 5, codes  # GCS, raylet, object manager, agent, workers


def test_every_listener_of_the_runtime_is_on_loopback_inside_its_port_block(
        busy_runtime: RayRuntime, open_ports: list[Listener]) -> None:
    assert busy_runtime.ports is not None
    block = busy_runtime.ports.block
    assert [item for item in open_ports if item.address != "127.0.0.1"] == []
    assert [item for item in open_ports if item.port not in block] == []
