"""Which executor runs when the user says ``auto``, and what counts as Ray being installed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from harness.executors import choice
from harness.executors.choice import package_installed, ray_missing_reason, resolve_executor
from harness.scenario import load_text


def _scenario(body: str, tmp_path: Path):
    return load_text(f"scenario: s\n{body}steps:\n  - advance: 1s\n", str(tmp_path / "s.yaml"), tmp_path)[0]


def test_an_explicit_choice_always_wins():
    assert resolve_executor("ray", scripted=True, allowed=("scripted",), ray_present=False) == "ray"
    assert resolve_executor("scripted", scripted=False, allowed=("ray",), ray_present=True) == "scripted"


def test_declared_scripted_behaviour_keeps_the_scripted_executor():
    assert resolve_executor("auto", scripted=True, ray_present=True) == "scripted"


def test_a_run_restricted_to_scripted_keeps_it():
    assert resolve_executor("auto", scripted=False, allowed=("scripted",), ray_present=True) == "scripted"


def test_a_run_restricted_to_ray_resolves_to_ray_even_without_ray_so_that_it_is_skipped_for_that():
    assert resolve_executor("auto", scripted=False, allowed=("ray",), ray_present=False) == "ray"


def test_a_run_that_maps_container_paths_resolves_to_ray_which_alone_reads_them():
    assert resolve_executor("auto", scripted=False, paths=True, ray_present=False) == "ray"
    assert resolve_executor("auto", scripted=True, paths=True, ray_present=True) == "scripted"


def test_anything_else_runs_on_ray_when_it_is_installed_and_scripted_when_not():
    assert resolve_executor("auto", scripted=False, ray_present=True) == "ray"
    assert resolve_executor("auto", scripted=False, ray_present=False) == "scripted"


def test_a_scenario_resolves_through_the_same_rule(tmp_path):
    assert _scenario("executor: {runtime: 5s}\n", tmp_path).resolve_executor("auto", ray_present=True) == "scripted"
    assert _scenario("executors: [ray]\n", tmp_path).resolve_executor("auto", ray_present=False) == "ray"
    assert _scenario("", tmp_path).resolve_executor("auto", ray_present=True) == "ray"


def test_a_folder_without_init_is_a_namespace_package_not_an_installed_one(tmp_path, monkeypatch):
    (tmp_path / "rjh_probe_pkg").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert importlib.util.find_spec("rjh_probe_pkg") is not None
    assert not package_installed("rjh_probe_pkg", "rjh-probe-pkg")


def test_a_package_folder_of_ones_own_is_not_the_distribution(tmp_path, monkeypatch):
    (tmp_path / "yaml").mkdir()
    (tmp_path / "yaml" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delitem(__import__("sys").modules, "yaml", raising=False)
    assert not package_installed("yaml", "PyYAML")


def test_an_installed_distribution_is_installed():
    assert package_installed("yaml", "PyYAML")


def test_a_missing_ray_is_a_reason_to_skip_only_for_the_ray_executor(monkeypatch):
    monkeypatch.setattr(choice, "ray_importable", lambda: False)
    assert ray_missing_reason("scripted") is None
    reason = ray_missing_reason("ray")
    assert reason is not None and "pip install 'rayjob-harness[ray]'" in reason


@pytest.mark.parametrize("executor", ["scripted", "ray"])
def test_with_ray_installed_nothing_is_missing(executor, monkeypatch):
    monkeypatch.setattr(choice, "ray_importable", lambda: True)
    assert ray_missing_reason(executor) is None
