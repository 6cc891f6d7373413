"""Fixtures for the kind provisioning specifications.

Most of them need no Docker engine: the catalog, the generated command lines, configs and Helm values are data;
preflight is checked against this machine as it is; the teardown guard runs against :mod:`fake_engine` (a real
HTTP server speaking the Docker API) with the real ``docker`` client and, when installed, the real ``kind``.
Specifications that need a running engine are marked ``kind`` and skip, saying why, when none answers.
"""

from __future__ import annotations

import fcntl
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


KIND_MODULE = "sigs.k8s.io/kind@v0.31.0"


def _kind_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rayjob-harness" / "tools" / KIND_MODULE.replace("/", "_").replace("@", "-")


def find_kind() -> str | None:
    """The kind binary: the one on PATH, else one built earlier from its Go module into the cache, else one built
    now when Go is installed (about a minute, once per machine; a file lock keeps parallel workers to one build)."""
    found = shutil.which("kind")
    if found is not None:
        return found
    folder = _kind_cache()
    binary = folder / "kind"
    if binary.exists():
        return str(binary)
    go = shutil.which("go")
    if go is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            built = subprocess.run([go, "install", KIND_MODULE], env=dict(os.environ, GOBIN=str(folder)),
                                   capture_output=True, text=True, timeout=900)
            if built.returncode != 0:
                return None
    return str(binary) if binary.exists() else None


@pytest.fixture(scope="session")
def kind_binary() -> str:
    found = find_kind()
    if found is None:
        pytest.skip(f"no kind binary: none on PATH, and it cannot be built (`go install {KIND_MODULE}` needs Go)")
    return found


@pytest.fixture
def kind_env(engine_env: dict[str, str], kind_binary: str) -> dict[str, str]:
    """engine_env with the kind binary first on PATH."""
    return dict(engine_env, PATH=os.pathsep.join([str(Path(kind_binary).parent), engine_env.get("PATH", "")]))


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``rayjob-harness`` as a user would, in a child process."""
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO)
