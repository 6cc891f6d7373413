"""The Backend contract suite runs once per registered backend, each made by its factory below.

Adding a backend to the registry makes ``test_every_registered_backend_is_under_contract`` fail until its factory
is added here: one line in :data:`FACTORIES` (and, for a backend that needs a cluster, a skip when there is none).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from harness.backends.base import Backend, BackendSettings
from harness.backends.registry import backend_info
from harness.executors import ExecutorSettings, JobScript, JobScripts

from .manifests import GREETING


def _sim() -> Backend:
    """The simulator, with Ray jobs scripted to print what the contract's entrypoint prints."""
    scripts = JobScripts(default=JobScript(runtime=5.0, output=(GREETING,)))
    return backend_info("sim").create(BackendSettings(executor=ExecutorSettings(name="scripted", scripts=scripts)))


FACTORIES: dict[str, Callable[[], Backend]] = {
    "sim": _sim,
}


@pytest.fixture(params=sorted(FACTORIES))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    made = FACTORIES[request.param]()
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
