"""Inline and patched manifests are validated as the API server would at load time, at the scenario's own lines.

Objects with ``${bindings}`` are the only ones left for run time (``tests/runner/test_inline_manifests_at_run.py``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import ManifestError
from harness.scenario import Scenario, load_text
from harness.scenario.model import ApplyStep, DeleteStep

DATA = Path(__file__).parent / "data"


def load(text: str) -> list[Scenario]:
    return load_text(textwrap.dedent(text).lstrip("\n"), "bad.yaml", base_dir=DATA)


def refused(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load(text)
    return caught.value


def test_an_inline_rayjob_with_an_unknown_spec_field_fails_at_load_at_the_field() -> None:
    exc = refused("""
        scenario: s
        steps:
          - apply:
              apiVersion: ray.io/v1
              kind: RayJob
              metadata: {name: inline-job}
              spec:
                entrypoint: python train.py
                entrypont: typo
    """)
    assert str(exc.pos) == "bad.yaml:9:9"
    assert exc.message.startswith('inline manifest: RayJob in version "v1" cannot be handled as a RayJob: ')
    assert exc.message.endswith('strict decoding error: unknown field "spec.entrypont"')
    assert exc.hint is not None and "did you mean 'entrypoint'?" in exc.hint


def test_a_v1alpha1_inline_manifest_with_a_v1_only_field_fails_at_load_at_the_field() -> None:
    exc = refused("""
        scenario: s
        steps:
          - advance: 1s
          - apply:
              - apiVersion: ray.io/v1alpha1
                kind: RayJob
                metadata: {name: old-job}
                spec:
                  entrypoint: python train.py
                  backoffLimit: 1
    """)
    assert str(exc.pos) == "bad.yaml:10:11"
    assert 'RayJob in version "v1alpha1" cannot be handled as a RayJob' in exc.message
    assert exc.hint is not None and "use apiVersion: ray.io/v1" in exc.hint


def test_a_patch_that_adds_an_unknown_field_fails_at_load_at_the_patch() -> None:
    exc = refused("""
        scenario: s
        apply:
          - file: manifests/rayjob.yaml
            patch:
              spec:
                backofLimit: 2
    """)
    assert str(exc.pos) == "bad.yaml:6:9"
    assert exc.message.startswith("manifests/rayjob.yaml:1 with this patch: ")
    assert exc.hint is not None and "did you mean 'backoffLimit'?" in exc.hint


def test_a_patch_that_gives_a_field_the_wrong_type_fails_at_load_at_the_patched_field() -> None:
    exc = refused("""
        scenario: s
        apply: [{file: manifests/rayjob.yaml, patch: {spec: {ttlSecondsAfterFinished: soon}}}]
    """)
    assert str(exc.pos) == "bad.yaml:2:54"
    assert "spec.ttlSecondsAfterFinished in body must be of type integer" in exc.message
    assert exc.hint == "write a whole number of seconds without quotes, e.g. 600"


def test_an_inline_configmap_with_a_number_in_data_fails_at_load() -> None:
    exc = refused("""
        scenario: s
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, data: {epochs: 3}}
    """)
    assert str(exc.pos).startswith("bad.yaml:3:")
    assert "cannot unmarshal number into Go struct field ConfigMap.data of type string" in exc.message


def test_an_inline_object_of_a_kind_the_simulator_does_not_model_fails_at_load() -> None:
    exc = refused("""
        scenario: s
        steps:
          - apply: {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}
    """)
    assert "kind='Deployment' is not modelled by the simulator" in exc.message
    assert str(exc.pos).startswith("bad.yaml:3:")


def test_a_valid_inline_object_loads_as_checked() -> None:
    [scenario] = load("""
        scenario: s
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, data: {epochs: "3"}}
    """)
    step = scenario.steps[0]
    assert isinstance(step, ApplyStep)
    assert step.objects[0].checked_at_run is False


def test_an_inline_object_with_a_binding_is_left_for_run_time() -> None:
    [scenario] = load("""
        scenario: s
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: "notes-${scenario}"}, data: {epochs: 3}}
    """)
    step = scenario.steps[0]
    assert isinstance(step, ApplyStep)
    assert step.objects[0].checked_at_run is True


def test_a_literal_dollar_brace_is_not_a_binding_and_is_checked_at_load() -> None:
    exc = refused("""
        scenario: s
        steps:
          - apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: notes}, data: {a: "$${x}", b: 1}}
    """)
    assert "ConfigMap.data of type string" in exc.message


def test_whole_number_floats_are_sent_as_integers_as_kubectl_does() -> None:
    [scenario] = load("""
        scenario: s
        apply: [{file: manifests/rayjob.yaml, patch: {spec: {backoffLimit: 2.0}}}]
    """)
    step = scenario.steps[0]
    assert isinstance(step, ApplyStep)
    assert step.objects[0].obj["spec"]["backoffLimit"] == 2
    assert isinstance(step.objects[0].obj["spec"]["backoffLimit"], int)


def test_an_inline_object_that_only_names_what_to_delete_is_not_validated() -> None:
    [scenario] = load("""
        scenario: s
        steps:
          - delete: [{apiVersion: ray.io/v1, kind: RayJob, metadata: {name: my-job}}]
    """)
    step = scenario.steps[0]
    assert isinstance(step, DeleteStep)
    assert [ref.describe() for ref in step.targets] == ["RayJob/my-job"]
