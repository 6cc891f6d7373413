"""The schema layer: the API server's answers with the release's CRDs, every problem at once."""

from __future__ import annotations

from pathlib import Path

from .support import RULE_EXAMPLES, check, rules

VALID = (RULE_EXAMPLES / "schema/deprecated-version/pass.yaml").read_text()


def test_each_unknown_field_is_its_own_finding_with_the_strict_decoding_text(tmp_path: Path):
    text = VALID.replace("  entrypoint:", "  entrypointNumCPUs: 1\n  retries: 3\n  entrypoint:")
    report = check(text, tmp_path)
    unknown = [f for f in report.findings if f.rule == "schema/unknown-field"]
    assert [(f.pos.line, f.message) for f in unknown] == [
        (7, 'RayJob in version "v1" cannot be handled as a RayJob: strict decoding error: unknown field '
            '"spec.entrypointNumCPUs"'),
        (8, 'RayJob in version "v1" cannot be handled as a RayJob: strict decoding error: unknown field '
            '"spec.retries"')]
    assert unknown[0].fix == "the field is spelled entrypointNumCpus"


def test_a_near_miss_of_a_field_name_gets_did_you_mean(tmp_path: Path):
    report = check(VALID.replace("  entrypoint:", "  runtimeEnvYaml: 'pip: [x]'\n  entrypoint:"), tmp_path)
    assert [f.fix for f in report.findings] == ["did you mean 'runtimeEnvYAML'? Field names are case-sensitive"]


def test_required_fields_are_reported_together_with_unknown_fields(tmp_path: Path):
    text = VALID.replace("apiVersion: ray.io/v1\n", "apiVersion: ray.io/v1alpha1\n", 1) \
        .replace("      rayStartParams: {}\n", "").replace("  entrypoint:", "  output: s3://x\n  entrypoint:")
    report = check(text, tmp_path)
    assert sorted(set(rules(report))) == ["schema/deprecated-version", "schema/required", "schema/unknown-field"]
    required = [f.message for f in report.findings if f.rule == "schema/required"]
    assert required == [
        'The RayJob "train" is invalid: spec.rayClusterSpec.headGroupSpec.rayStartParams: Required value',
        'The RayJob "train" is invalid: spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams: Required value']


def test_cel_rules_are_checked_even_when_a_type_error_makes_the_server_skip_them(tmp_path: Path):
    text = VALID.replace("  shutdownAfterJobFinishes: true\n  ttlSecondsAfterFinished: 60\n",
                         "  suspend: 'no'\n  deletionStrategy:\n    onSuccess:\n      policy: DeleteCluster\n")
    report = check(text, tmp_path)
    messages = [f.message for f in report.findings if f.layer.value == "schema"]
    assert messages == [
        'The RayJob "train" is invalid: spec.suspend: Invalid value: "string": spec.suspend in body must be of '
        'type boolean: "string"',
        'The RayJob "train" is invalid: spec.deletionStrategy: Invalid value: "object": deletionStrategy requires '
        'either BOTH onSuccess and onFailure, OR the deletionRules field (cannot be empty)']
    assert [f.rule for f in report.findings if f.layer.value == "schema"] == ["schema/type", "schema/invalid"]


def test_a_misplaced_field_names_its_place_and_its_contents_are_checked_there(tmp_path: Path):
    text = VALID.replace("  entrypoint:", "  headGroupSpec:\n    enableIngress: 'yes'\n    replicas: 1\n"
                                          "  entrypoint:")
    report = check(text, tmp_path)
    by_line = {(f.pos.line, f.rule): f for f in report.findings}
    assert by_line[(7, "schema/unknown-field")].fix == \
        "headGroupSpec belongs at spec.rayClusterSpec.headGroupSpec: move it there (it is not a field at this level)"
    assert by_line[(8, "schema/type")].message.endswith(
        "spec.rayClusterSpec.headGroupSpec.enableIngress in body must be of type boolean: \"string\" "
        "(as spec.rayClusterSpec.headGroupSpec, where headGroupSpec belongs)")
    assert by_line[(9, "schema/unknown-field")].message.startswith(
        'RayJob in version "v1" cannot be handled as a RayJob: strict decoding error: unknown field '
        '"spec.rayClusterSpec.headGroupSpec.replicas"')


def test_an_api_version_the_crd_does_not_serve_is_named_with_the_served_ones(tmp_path: Path):
    report = check(VALID.replace("apiVersion: ray.io/v1\n", "apiVersion: ray.io/v1beta1\n", 1), tmp_path)
    finding = report.findings[0]
    assert (finding.rule, finding.message) == ("schema/unserved-version",
                                               'no matches for kind "RayJob" in version "ray.io/v1beta1"')
    assert finding.fix == "RayJob is served as: ray.io/v1, ray.io/v1alpha1"


def test_a_kind_the_validator_does_not_model_is_a_note_that_does_not_fail(tmp_path: Path):
    report = check(VALID + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s}\n", tmp_path)
    assert [(f.rule, f.severity.value) for f in report.findings] == [("schema/unchecked-kind", "note")]
    assert report.exit_code == 0


def test_a_builtin_kind_referenced_by_the_rayjob_is_checked_too(tmp_path: Path):
    report = check(VALID.replace("  train.py: |", "  retries: 3\n  train.py: |"), tmp_path)
    assert [f.message for f in report.findings] == [
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go '
        'struct field ConfigMap.data of type string']
