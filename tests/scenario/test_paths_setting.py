"""The ``paths:`` setting: container paths the ray executor maps to local folders, checked at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import load_text


def _load(body: str, folder: Path):
    return load_text(f"scenario: s\n{body}steps:\n  - advance: 1s\n", str(folder / "s.yaml"), folder)[0]


def test_paths_resolve_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "app").mkdir()
    scenario = _load("paths: {/app: ./app}\n", tmp_path)
    assert scenario.paths == {"/app": str((tmp_path / "app").resolve())}


def test_a_relative_container_path_is_refused_with_its_position(tmp_path):
    (tmp_path / "app").mkdir()
    with pytest.raises(ScenarioError) as info:
        _load("paths: {app: ./app}\n", tmp_path)
    assert "is not an absolute container path" in str(info.value)
    assert info.value.pos is not None and info.value.pos.line == 2


def test_a_missing_local_folder_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ScenarioError) as info:
        _load("paths: {/app: ./nowhere}\n", tmp_path)
    assert "does not exist" in str(info.value)
    assert "relative to the scenario file" in str(info.value)
