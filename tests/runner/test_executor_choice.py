"""Which executor runs a scenario when none is asked for (``--executor auto``, the default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runner import executor_choice
from harness.runner.executor_choice import resolve_executor
from harness.scenario import load_text


def _scenario(body: str, tmp_path: Path):
    return load_text(f"scenario: s\n{body}steps:\n  - advance: 1s\n", str(tmp_path / "s.yaml"), tmp_path)[0]


def test_a_scenario_with_scripted_settings_keeps_the_scripted_executor(tmp_path):
    assert resolve_executor(_scenario("executor: {runtime: 5s}\n", tmp_path), "auto") == "scripted"


def test_a_scenario_restricted_to_scripted_keeps_it(tmp_path):
    assert resolve_executor(_scenario("executors: [scripted]\n", tmp_path), "auto") == "scripted"


def test_a_scenario_without_scripted_settings_runs_on_ray_when_ray_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(executor_choice, "ray_available", lambda: True)
    assert resolve_executor(_scenario("", tmp_path), "auto") == "ray"


def test_without_ray_installed_auto_falls_back_to_scripted(tmp_path, monkeypatch):
    monkeypatch.setattr(executor_choice, "ray_available", lambda: False)
    assert resolve_executor(_scenario("", tmp_path), "auto") == "scripted"


@pytest.mark.parametrize("explicit", ["scripted", "ray"])
def test_an_explicit_choice_always_wins(tmp_path, explicit):
    assert resolve_executor(_scenario("executor: {runtime: 5s}\n", tmp_path), explicit) == explicit
