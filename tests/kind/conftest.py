"""Fixtures for the kind provisioning specifications.

Most of them need no Docker engine: the catalog, the generated command lines, configs and Helm values are data;
preflight is checked against this machine as it is; the teardown guard runs against :mod:`fake_engine` (a real
HTTP server speaking the Docker API) with the real ``docker`` client and, when installed, the real ``kind``.
Specifications that need a running engine are marked ``kind`` and skip, saying why, when none answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_engine import FakeEngine

REPO = Path(__file__).resolve().parents[2]
CLUSTERS = REPO / "clusters"


@pytest.fixture
def fake_engine() -> Iterator[FakeEngine]:
    with FakeEngine() as engine:
        yield engine


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    return folder


@pytest.fixture
def engine_env(fake_engine: FakeEngine, state_dir: Path) -> dict[str, str]:
    """The process environment pointed at the fake engine, with the harness's state in a temporary folder."""
    return dict(os.environ, DOCKER_HOST=fake_engine.host, RAYJOB_HARNESS_STATE=str(state_dir))


@pytest.fixture
def kind_binary() -> str:
    found = shutil.which("kind")
    if found is None:
        pytest.skip("the kind binary is not on PATH (`go install sigs.k8s.io/kind@v0.31.0` builds one)")
    return found


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``rayjob-harness`` as a user would, in a child process."""
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO)
