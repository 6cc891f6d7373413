"""The Kubernetes backend's own specifications; the servers they run against come from ``tests/backends``."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The front-door tests run pytest inside pytest; `pytest_plugins` is only allowed in the root conftest.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
