"""Plugin tests run pytest inside pytest (``pytester``), against small scenario folders."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # `pytest_plugins` is only allowed in the root conftest; loading pytester here keeps it to these tests' runs.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


MANIFEST = (Path(__file__).parents[1] / "runner" / "data" / "manifests" / "rayjob-ttl.yaml").read_text()


def plugin_args() -> list[str]:
    """``-p harness.pytest_plugin`` unless the installed entry point already loads it."""
    installed = any(ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "harness.pytest_plugin"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A folder with ``scenarios/manifests/rayjob-ttl.yaml`` and the plugin enabled."""
    pytester.makefile(".yaml", **{"scenarios/manifests/rayjob-ttl": MANIFEST})
    pytester.makeini("[pytest]\nmarkers =\n    slow: a slow scenario\n")
    return pytester
