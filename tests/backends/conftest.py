"""The Backend contract suite runs once per registered backend, each made by its factory below.

Adding a backend to the registry makes ``test_every_registered_backend_is_under_contract`` fail until its factory
is added here: one line in :data:`FACTORIES` (and, for a backend that needs a cluster, a skip when there is none).
The Kubernetes backend runs against ``rayjob-harness serve``, started once per test session (per xdist worker).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.backends.base import Backend, BackendSettings
from harness.backends.registry import backend_info
from harness.executors import ExecutorSettings, JobScript, JobScripts

from .manifests import GREETING
from .servers import ServeProcess, serve

# The contract's Ray jobs: scripted to print what the contract's entrypoint prints.
SCRIPTS = JobScripts(default=JobScript(runtime=5.0, output=(GREETING,)))


def _sim(request: pytest.FixtureRequest) -> Backend:
    return backend_info("sim").create(BackendSettings(executor=ExecutorSettings(name="scripted", scripts=SCRIPTS)))


def _kube(request: pytest.FixtureRequest) -> Backend:
    """The Kubernetes backend against the session's ``rayjob-harness serve``."""
    server: ServeProcess = request.getfixturevalue("simulator_server")
    return backend_info("kube").create(BackendSettings(kubeconfig=server.kubeconfig,
                                                       executor=ExecutorSettings(name="scripted", scripts=SCRIPTS)))


FACTORIES: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    "sim": _sim,
    "kube": _kube,
}


@pytest.fixture(scope="session")
def simulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One ``rayjob-harness serve`` (scripted Ray jobs, virtual time moved only by its clients) for the session."""
    with serve(Path(tmp_path_factory.mktemp("serve"))) as server:
        yield server


class Target:
    """What the backend's target serves, asked of the server itself (discovery), not of the backend under test:
    a contract test about a log the target cannot provide is skipped there, saying what is missing."""

    def __init__(self, backend: Backend) -> None:
        self.missing: dict[str, str] = {}
        if backend.name != "kube":
            return
        from kubernetes import client

        api_client = backend.connection.api_client  # type: ignore[attr-defined]
        core = {r.name for r in client.CoreV1Api(api_client).get_api_resources().resources}
        groups = {g.name for g in client.ApisApi(api_client).get_api_versions().groups}
        if not {"services/proxy", "pods/exec"} & core:
            self.missing["driver"] = "the server serves neither services/proxy nor pods/exec"
        if "apps" not in groups:
            self.missing["operator"] = "the server has no Deployments (apps/v1), so no kuberay-operator to read"

    def skip_unless_it_serves(self, source: str) -> None:
        if source in self.missing:
            pytest.skip(f"{source} log: {self.missing[source]}")


@pytest.fixture
def target(backend: Backend) -> Target:
    return Target(backend)


@pytest.fixture(params=sorted(FACTORIES))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    made = FACTORIES[request.param](request)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def namespace(backend: Backend) -> Iterator[str]:
    name = f"contract-{secrets.token_hex(3)}"
    backend.create_namespace(name)
    yield name
    backend.delete_namespace(name)
