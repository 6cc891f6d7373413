"""The public names of the scenario and runner packages are listed once and importable (ruff keeps them sorted)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["harness.scenario", "harness.runner"])
def test_the_public_names_are_listed_once_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
