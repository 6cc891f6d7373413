"""The shipped scenario library (``scenarios/``) is well-formed.

Every file validates against the published JSON Schema and loads; every scenario says what it pins down, which
KubeRay releases it holds for and how its scripted Ray jobs behave; the manifests beside the scenarios are all
in use. Running the scenarios is not done here (``rayjob-harness run scenarios/`` and ``pytest scenarios/`` do
that): this module checks what an editor and a reader rely on before anything runs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from harness.scenario import Scenario, discover, load_file
from harness.scenario.model import ApplyStep, RerunStep
from harness.scenario.schema import load_shipped_schema

LIBRARY = Path(__file__).parents[2] / "scenarios"


def _is_entry(item: Any) -> bool:
    """A scenario, or the file's defaults."""
    return isinstance(item, dict) and ("scenario" in item or set(item) == {"defaults"})


def _has_scenario_key(document: Any) -> bool:
    if isinstance(document, dict):
        return _is_entry(document)
    return isinstance(document, list) and bool(document) and all(_is_entry(item) for item in document)


def scenario_files() -> list[Path]:
    """Every YAML file below scenarios/ whose top level is a scenario (or a list of them), by parsing it."""
    found = []
    for path in sorted(LIBRARY.rglob("*.y*ml")):
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        if documents and all(_has_scenario_key(d) for d in documents):
            found.append(path)
    return found


def manifest_files() -> list[Path]:
    return sorted((LIBRARY / "manifests").glob("*.yaml"))


def library() -> list[Scenario]:
    return [scenario for path in scenario_files() for scenario in load_file(path)]


def _rel(path: Path) -> str:
    return str(path.relative_to(LIBRARY))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_shipped_schema())


def test_the_library_holds_scenario_files_and_manifests() -> None:
    assert len(scenario_files()) >= 10
    assert len(manifest_files()) >= 10


@pytest.mark.parametrize("path", scenario_files(), ids=_rel)
def test_shipped_scenario_file_validates_against_the_published_json_schema(
        path: Path, validator: jsonschema.Draft202012Validator) -> None:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                  for e in validator.iter_errors(document)]
        assert errors == [], f"{_rel(path)} does not match scenario.schema.json"


@pytest.mark.parametrize("path", scenario_files(), ids=_rel)
def test_shipped_scenario_file_loads_with_its_manifests(path: Path) -> None:
    scenarios = load_file(path)
    assert scenarios
    assert all(s.path == path for s in scenarios)


def test_discovery_finds_exactly_the_scenario_files_and_no_manifest() -> None:
    assert [p.resolve() for p in discover([LIBRARY])] == [p.resolve() for p in scenario_files()]


def test_no_manifest_is_mistaken_for_a_scenario_file() -> None:
    assert not set(manifest_files()) & set(scenario_files())


def test_every_shipped_scenario_explains_what_it_pins_down() -> None:
    short = [s.name for s in library() if len(s.description.split()) < 15]
    assert short == [], "each scenario's description says which behaviour it shows and why users get it wrong"


def test_every_shipped_scenario_that_can_run_scripted_declares_its_ray_jobs() -> None:
    # The default executor may change (a real Ray runtime when one is importable); a scenario must not depend
    # on what a scripted job does by default.
    undeclared = [s.name for s in library()
                  if (s.executors is None or "scripted" in s.executors) and s.executor.is_empty]
    assert undeclared == []


def test_every_shipped_scenario_names_the_kuberay_releases_it_holds_for() -> None:
    assert [s.name for s in library() if s.kuberay is None] == []


def test_scenario_names_are_unique_across_the_library() -> None:
    counts = Counter(s.name for s in library())
    assert [name for name, n in counts.items() if n > 1] == []


def test_every_shipped_manifest_is_applied_by_some_scenario() -> None:
    used: set[str] = set()
    for scenario in library():
        for step in scenario.all_steps:
            if isinstance(step, (ApplyStep, RerunStep)):
                used.update(obj.origin.rsplit(":", 1)[0] for obj in step.objects if obj.origin != "inline")
    unused = [_rel(p) for p in manifest_files() if _rel(p) not in used]
    assert unused == []
