"""Inline objects holding bindings are validated when their step runs, still at the scenario's own line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario
from harness.scenario import load_text

DATA = Path(__file__).parent / "data"


def run(text: str) -> ScenarioResult:
    [scenario] = load_text(textwrap.dedent(text).lstrip("\n"), "tests/runner/data/s.yaml", base_dir=DATA)
    return run_scenario(scenario, RunOptions(kuberay_version="1.7", executor="scripted"), create_backend)


def test_a_refused_inline_object_with_a_binding_is_an_error_at_its_field_in_the_scenario() -> None:
    result = run("""
        scenario: deferred
        steps:
          - apply:
              apiVersion: v1
              kind: ConfigMap
              metadata: {name: "notes-${scenario}"}
              data: {epochs: 3}
    """)
    assert result.status == "error"
    assert result.failure is not None
    assert "tests/runner/data/s.yaml:7:14: inline manifest: ConfigMap in version \"v1\" cannot be handled" \
        in result.failure


def test_an_accepted_inline_object_with_a_binding_is_applied_with_the_value() -> None:
    result = run("""
        scenario: deferred
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: "notes-${scenario}"}, data: {epochs: "3"}}
          - expect: {configmap: notes-deferred, data: {epochs: "3"}}
    """)
    assert result.status == "passed", result.failure
