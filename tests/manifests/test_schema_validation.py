"""422 Invalid: what the API server's schema, metadata and CEL checks say about a RayJob, worded as kubectl prints."""

from __future__ import annotations

import pytest

from harness.errors import ManifestError
from harness.manifests import raise_for_errors, validate_manifest

from .builders import cluster_spec, manifest, rayjob

CEL_SKIPPED = ("<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; "
               "correct the existing errors to complete validation")


def causes(obj):
    return [issue.message for issue in validate_manifest(manifest(obj)).errors]


def test_a_valid_v1_rayjob_is_accepted():
    result = validate_manifest(manifest(rayjob()))
    assert result.ok and result.code == 0 and result.warnings == ()


def test_v1alpha1_requires_ray_start_params_on_every_group():
    job = rayjob("v1alpha1", rayClusterSpec=cluster_spec(start_params=False))
    assert causes(job) == ["spec.rayClusterSpec.headGroupSpec.rayStartParams: Required value",
                           "spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams: Required value"]


def test_v1_does_not_require_ray_start_params():
    assert causes(rayjob(rayClusterSpec=cluster_spec(start_params=False))) == []


def test_v1alpha1_requires_an_entrypoint():
    assert causes(rayjob("v1alpha1", entrypoint=None)) == ["spec.entrypoint: Required value"]


def test_several_causes_print_as_a_bullet_list():
    result = validate_manifest(manifest(rayjob("v1alpha1", rayClusterSpec=cluster_spec(start_params=False))))
    assert result.error_text == ('The RayJob "demo" is invalid: \n'
                                 "* spec.rayClusterSpec.headGroupSpec.rayStartParams: Required value\n"
                                 "* spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams: Required value")


def test_one_cause_prints_on_the_same_line():
    result = validate_manifest(manifest(rayjob("v1alpha1", entrypoint=None)))
    assert result.error_text == 'The RayJob "demo" is invalid: spec.entrypoint: Required value'


def test_the_status_message_is_the_api_servers_own_text():
    result = validate_manifest(manifest(rayjob("v1alpha1", rayClusterSpec=cluster_spec(start_params=False))))
    assert result.status_message == ('RayJob.ray.io "demo" is invalid: '
                                     "[spec.rayClusterSpec.headGroupSpec.rayStartParams: Required value, "
                                     "spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams: Required value]")


def test_a_required_field_points_at_its_parent_in_the_file():
    result = validate_manifest(manifest(rayjob("v1alpha1", entrypoint=None)))
    assert (result.errors[0].path, result.errors[0].pos.line) == ("spec.entrypoint", 5)
    assert result.errors[0].cause == "FieldValueRequired"


def test_a_wrong_type_names_the_json_type_found():
    assert causes(rayjob(suspend="yes"))[0] == (
        'spec.suspend: Invalid value: "string": spec.suspend in body must be of type boolean: "string"')


def test_a_quoted_number_is_a_string_for_an_integer_field():
    assert causes(rayjob(ttlSecondsAfterFinished="60"))[0] == (
        'spec.ttlSecondsAfterFinished: Invalid value: "string": spec.ttlSecondsAfterFinished in body must be of type '
        'integer: "string"')


def test_a_fraction_is_not_an_integer_but_a_whole_float_is():
    assert causes(rayjob(backoffLimit=1.5))[0].startswith('spec.backoffLimit: Invalid value: "number"')
    assert causes(rayjob(backoffLimit=2.0)) == []


def test_ray_start_params_values_must_be_strings():
    spec = cluster_spec()
    spec["headGroupSpec"]["rayStartParams"] = {"num-cpus": 0}
    assert causes(rayjob(rayClusterSpec=spec))[0] == (
        'spec.rayClusterSpec.headGroupSpec.rayStartParams.num-cpus: Invalid value: "integer": '
        'spec.rayClusterSpec.headGroupSpec.rayStartParams.num-cpus in body must be of type string: "integer"')


def test_an_enum_violation_lists_the_supported_values():
    job = rayjob(deletionStrategy={"onSuccess": {"policy": "Delete"}, "onFailure": {"policy": "DeleteNone"}})
    assert causes(job)[0] == ('spec.deletionStrategy.onSuccess.policy: Unsupported value: "Delete": supported values: '
                              '"DeleteCluster", "DeleteWorkers", "DeleteSelf", "DeleteNone"')


def test_type_and_enum_errors_stop_the_cel_rules_with_a_nil_cause():
    job = rayjob(deletionStrategy={"onSuccess": {"policy": "Delete"}})
    assert causes(job)[-1] == CEL_SKIPPED


def test_a_required_error_also_stops_the_cel_rules_in_v1():
    job = rayjob(rayClusterSpec={"rayVersion": "2.52.0"})
    assert causes(job) == ["spec.rayClusterSpec.headGroupSpec: Required value", CEL_SKIPPED]


def test_pre_running_deadline_must_be_at_least_one():
    assert causes(rayjob(preRunningDeadlineSeconds=0)) == [
        "spec.preRunningDeadlineSeconds: Invalid value: 0: spec.preRunningDeadlineSeconds in body should be greater "
        "than or equal to 1"]


def test_deletion_rule_ttl_must_not_be_negative():
    rules = [{"policy": "DeleteCluster", "condition": {"jobStatus": "FAILED", "ttlSeconds": -1}}]
    assert causes(rayjob(deletionStrategy={"deletionRules": rules})) == [
        "spec.deletionStrategy.deletionRules[0].condition.ttlSeconds: Invalid value: -1: "
        "spec.deletionStrategy.deletionRules[0].condition.ttlSeconds in body should be greater than or equal to 0"]


def test_deletion_rules_need_at_least_one_item():
    assert causes(rayjob(deletionStrategy={"deletionRules": []})) == [
        "spec.deletionStrategy.deletionRules: Invalid value: 0: spec.deletionStrategy.deletionRules in body should "
        "have at least 1 items"]


def test_managed_by_accepts_only_kuberay_and_multikueue():
    assert causes(rayjob(managedBy="me")) == [
        'spec.managedBy: Invalid value: "string": the managedBy field value must be either '
        "'ray.io/kuberay-operator' or 'kueue.x-k8s.io/multikueue'"]
    assert causes(rayjob(managedBy="kueue.x-k8s.io/multikueue")) == []


def test_legacy_policies_and_rules_cannot_be_mixed():
    strategy = {"onSuccess": {"policy": "DeleteCluster"}, "onFailure": {"policy": "DeleteCluster"},
                "deletionRules": [{"policy": "DeleteCluster", "condition": {"jobStatus": "FAILED"}}]}
    assert causes(rayjob(deletionStrategy=strategy)) == [
        'spec.deletionStrategy: Invalid value: "object": legacy policies (onSuccess/onFailure) and deletionRules '
        "cannot be used together within the same deletionStrategy"]


def test_legacy_policies_need_both_on_success_and_on_failure():
    assert causes(rayjob(deletionStrategy={"onSuccess": {"policy": "DeleteCluster"}})) == [
        'spec.deletionStrategy: Invalid value: "object": deletionStrategy requires either BOTH onSuccess and '
        "onFailure, OR the deletionRules field (cannot be empty)"]


def test_a_deletion_condition_needs_exactly_one_status():
    both = [{"policy": "DeleteSelf", "condition": {"jobStatus": "FAILED", "jobDeploymentStatus": "Failed"}}]
    neither = [{"policy": "DeleteSelf", "condition": {"ttlSeconds": 5}}]
    assert causes(rayjob(deletionStrategy={"deletionRules": both})) == [
        'spec.deletionStrategy.deletionRules[0].condition: Invalid value: "object": JobStatus and JobDeploymentStatus '
        "cannot be used together within the same deletion condition."]
    assert causes(rayjob(deletionStrategy={"deletionRules": neither})) == [
        'spec.deletionStrategy.deletionRules[0].condition: Invalid value: "object": the deletion condition requires '
        "either the JobStatus or the JobDeploymentStatus field."]


def test_v1alpha1_has_no_cel_rules_so_no_nil_cause():
    job = rayjob("v1alpha1", entrypoint=None)
    assert causes(job) == ["spec.entrypoint: Required value"]


def test_the_name_must_be_a_dns_subdomain():
    assert causes(rayjob(name="Bad_Name")) == [
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]


def test_metadata_errors_come_before_schema_errors():
    job = rayjob(name="Bad_Name", suspend="no")
    assert [c.split(":")[0] for c in causes(job)] == ["metadata.name", "spec.suspend", "<nil>"]


def test_an_invalid_label_value_is_refused():
    job = rayjob()
    job["metadata"]["labels"] = {"team": "ml team"}
    assert causes(job)[0].startswith('metadata.labels: Invalid value: "ml team": a valid label must be an empty string')


def test_two_containers_with_one_name_are_a_duplicate_value():
    spec = cluster_spec()
    containers = spec["headGroupSpec"]["template"]["spec"]["containers"]
    containers.append(dict(containers[0]))
    assert causes(rayjob(rayClusterSpec=spec)) == [
        'spec.rayClusterSpec.headGroupSpec.template.spec.containers[1]: Duplicate value: {"name":"ray-head"}']


def test_a_container_needs_a_name_and_a_port_needs_a_container_port():
    spec = cluster_spec()
    spec["headGroupSpec"]["template"]["spec"]["containers"] = [{"image": "ray", "ports": [{"name": "dashboard"}]}]
    assert causes(rayjob(rayClusterSpec=spec))[:2] == [
        "spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].name: Required value",
        "spec.rayClusterSpec.headGroupSpec.template.spec.containers[0].ports[0].containerPort: Required value"]


def test_a_raycluster_is_checked_against_the_same_cluster_spec_rules():
    cluster = {"apiVersion": "ray.io/v1alpha1", "kind": "RayCluster", "metadata": {"name": "c"},
               "spec": cluster_spec(start_params=False)}
    result = validate_manifest(manifest(cluster))
    assert [i.message for i in result.errors] == ["spec.headGroupSpec.rayStartParams: Required value",
                                                  "spec.workerGroupSpecs[0].rayStartParams: Required value"]
    assert result.warnings == ("ray.io/v1alpha1 RayCluster is deprecated; use ray.io/v1 RayCluster. v1alpha1 receives "
                               "no new fields and will be unavailable in KubeRay 1.9.",)


def test_a_non_string_enum_value_is_printed_as_go_prints_it():
    job = rayjob(deletionStrategy={"onSuccess": {"policy": True}, "onFailure": {"policy": "DeleteNone"}})
    assert causes(job)[:2] == [
        'spec.deletionStrategy.onSuccess.policy: Invalid value: "boolean": spec.deletionStrategy.onSuccess.policy in '
        'body must be of type string: "boolean"',
        'spec.deletionStrategy.onSuccess.policy: Unsupported value: true: supported values: "DeleteCluster", '
        '"DeleteWorkers", "DeleteSelf", "DeleteNone"']


def test_raise_for_errors_explains_missing_ray_start_params_in_v1alpha1():
    m = manifest(rayjob("v1alpha1", rayClusterSpec=cluster_spec(start_params=False)))
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert caught.value.pos is not None and caught.value.pos.line == 9  # headGroupSpec:
    assert caught.value.hint is not None and "rayStartParams: {}" in caught.value.hint
    assert caught.value.message.startswith('The RayJob "demo" is invalid: \n* spec.rayClusterSpec.headGroupSpec')


def test_raise_for_errors_explains_a_quoted_boolean():
    m = manifest(rayjob(shutdownAfterJobFinishes="true"))
    with pytest.raises(ManifestError) as caught:
        raise_for_errors(validate_manifest(m), m)
    assert caught.value.hint == "write true or false without quotes"
