"""Unknown fields: kubectl's fieldValidation modes (Strict, Warn, Ignore) as the API server applies them."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ManifestError
from harness.manifests import load_manifests, raise_for_errors, validate_manifest

from .builders import manifest, rayjob

DATA = Path(__file__).parent / "data"
# shared/ sits beside the checkout (CI) or at /work/shared (a development machine).
_SHARED = next((p for p in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared")) if p.is_dir()),
               Path("/work/shared"))
TUTORIAL = _SHARED / "tutorial" / "rayjob-sample.yaml"
DEPRECATED = ("ray.io/v1alpha1 RayJob is deprecated; use ray.io/v1 RayJob. v1alpha1 receives no new fields and "
              "will be unavailable in KubeRay 1.9.")


def test_strict_refuses_an_unknown_field_with_the_api_servers_decoding_error():
    result = validate_manifest(load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0])
    assert result.code == 400
    assert result.error_text == ('RayJob in version "v1alpha1" cannot be handled as a RayJob: strict decoding error: '
                                 'unknown field "spec.runtimeEnv"')


def test_the_strict_error_points_at_the_line_of_the_unknown_field():
    result = validate_manifest(load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0])
    assert (result.errors[0].pos.line, result.errors[0].pos.column) == (8, 3)


@pytest.mark.skipif(not TUTORIAL.exists(), reason="the shared tutorial manifest is not available")
def test_the_tutorial_manifest_is_refused_for_its_runtime_env_at_line_7():
    result = validate_manifest(load_manifests(TUTORIAL)[0])
    assert result.error_text == ('RayJob in version "v1alpha1" cannot be handled as a RayJob: strict decoding error: '
                                 'unknown field "spec.runtimeEnv"')
    assert (result.errors[0].pos.path, result.errors[0].pos.line) == (str(TUTORIAL), 7)


def test_the_deprecation_warning_of_v1alpha1_is_sent_even_when_the_request_fails():
    result = validate_manifest(load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0])
    assert result.warnings == (DEPRECATED,)


def test_several_unknown_fields_are_named_sorted_and_comma_separated():
    result = validate_manifest(manifest(rayjob(zeta=1, alpha={"deep": {"x": 1}})))
    assert result.error_text.endswith('strict decoding error: unknown field "spec.alpha", unknown field "spec.zeta"')


def test_only_the_top_of_an_unknown_subtree_is_named():
    result = validate_manifest(manifest(rayjob(runtimeEnv={"pip": ["a"], "env_vars": {"A": "1"}})))
    assert result.unknown_fields == ("spec.runtimeEnv",)


def test_unknown_fields_deep_in_the_cluster_spec_are_named_with_list_indices():
    job = rayjob()
    job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["numReplicas"] = 3
    result = validate_manifest(manifest(job))
    assert result.unknown_fields == ("spec.rayClusterSpec.workerGroupSpecs[0].numReplicas",)


def test_unknown_metadata_fields_are_named_after_the_others():
    job = rayjob(zzz=1)
    job["metadata"]["label"] = {"a": "b"}
    result = validate_manifest(manifest(job))
    assert result.unknown_fields == ("spec.zzz", "metadata.label")


def test_v1_only_fields_are_unknown_in_v1alpha1():
    result = validate_manifest(manifest(rayjob("v1alpha1", submissionMode="HTTPMode", backoffLimit=2)))
    assert result.unknown_fields == ("spec.backoffLimit", "spec.submissionMode")


def test_a_container_field_with_a_typo_is_unknown():
    job = rayjob()
    job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["port"] = [{"containerPort": 1}]
    result = validate_manifest(manifest(job))
    assert result.unknown_fields == ("spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].port",)


def test_warn_accepts_the_manifest_prunes_the_field_and_warns():
    result = validate_manifest(manifest(rayjob(runtimeEnv={"pip": ["a"]})), field_validation="Warn")
    assert result.ok
    assert result.warnings == ('unknown field "spec.runtimeEnv"',)
    assert "runtimeEnv" not in result.obj["spec"]


def test_ignore_prunes_the_field_silently():
    result = validate_manifest(manifest(rayjob(runtimeEnv={"pip": ["a"]})), field_validation="Ignore")
    assert result.ok and result.warnings == ()
    assert "runtimeEnv" not in result.obj["spec"]


def test_warn_still_reports_schema_errors_after_pruning():
    result = validate_manifest(load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0], field_validation="Warn")
    assert result.code == 422
    assert result.warnings == (DEPRECATED, 'unknown field "spec.runtimeEnv"')


def test_unknown_top_level_fields_of_built_in_kinds_are_refused_too():
    result = validate_manifest(manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatas: {a: b}\n"))
    assert result.error_text == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                                 'unknown field "datas"')


def test_raise_for_errors_names_the_file_line_and_explains_runtime_env():
    m = load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0]
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert str(caught.value.pos).endswith("rayjob-runtimeenv-v1alpha1.yaml:8:3")
    assert caught.value.hint == ("runtimeEnv was removed in KubeRay v1.1.0; use runtimeEnvYAML (a YAML string with "
                                 "snake_case keys: working_dir, pip, env_vars)")


def test_the_hint_for_a_v1_only_field_in_v1alpha1_suggests_ray_io_v1():
    m = manifest(rayjob("v1alpha1", submissionMode="HTTPMode"))
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert caught.value.hint is not None and caught.value.hint.endswith("use apiVersion: ray.io/v1")


def test_the_hint_for_a_misspelt_field_names_the_real_one():
    m = manifest(rayjob(runtimeEnvYaml="pip: [a]"))
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert caught.value.hint == "did you mean 'runtimeEnvYAML'? Field names are case-sensitive"


def test_the_hint_for_a_field_written_at_the_wrong_level_names_where_it_belongs():
    m = manifest(rayjob(rayVersion="2.52.0"))
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert caught.value.hint == ("rayVersion belongs at spec.rayClusterSpec.rayVersion: move it there (it is not a "
                                 "field at this level)")


def test_raise_for_errors_is_silent_for_an_accepted_manifest():
    m = load_manifests(DATA / "rayjob-valid-v1.yaml")[0]
    raise_for_errors(validate_manifest(m), m)


def test_an_unknown_field_validation_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="Strict, Warn or Ignore"):
        validate_manifest(manifest(rayjob()), field_validation="strict")


def test_kubectl_prints_the_warning_then_the_bad_request_with_the_file_name():
    result = validate_manifest(load_manifests(DATA / "rayjob-runtimeenv-v1alpha1.yaml")[0])
    assert result.kubectl_output("rayjob.yaml") == (
        f"Warning: {DEPRECATED}\n"
        'Error from server (BadRequest): error when creating "rayjob.yaml": RayJob in version "v1alpha1" cannot be '
        'handled as a RayJob: strict decoding error: unknown field "spec.runtimeEnv"')
