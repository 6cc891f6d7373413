"""Light API-server checks for the built-in kinds that travel with RayJobs in manifest files."""

from __future__ import annotations

from harness.manifests import hint_for, validate_manifest

from .builders import manifest


def check(text):
    return validate_manifest(manifest(text))


def test_a_configmap_with_text_data_is_accepted():
    assert check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: code}\ndata: {main.py: print(1)}\n").ok


def test_configmap_data_must_be_strings():
    result = check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: code}\ndata: {port: 8080}\n")
    assert result.code == 400
    assert result.error_text == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
                                 "number into Go struct field ConfigMap.data of type string")


def test_configmap_keys_must_be_valid_config_keys():
    result = check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: code}\ndata: {a/b: x}\n")
    assert result.error_text == (
        "The ConfigMap \"code\" is invalid: data[a/b]: Invalid value: \"a/b\": a valid config key must consist of "
        "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
        "validation is '[-._a-zA-Z0-9]+')")


def test_a_pod_needs_containers_with_images():
    result = check("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n")
    assert [i.message for i in result.errors] == ["spec.containers[0].image: Required value"]


def test_a_job_pod_must_not_restart_always():
    text = ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n"
            "      containers: [{name: c, image: busybox}]\n")
    assert [i.message for i in check(text).errors] == [
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']


def test_a_service_needs_ports_unless_headless():
    assert [i.message for i in check("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n").errors] == [
        "spec.ports: Required value"]
    assert check("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: None}\n").ok


def test_a_service_name_must_be_a_dns_1035_label():
    result = check("apiVersion: v1\nkind: Service\nmetadata: {name: 1svc}\nspec: {ports: [{port: 80}]}\n")
    assert result.errors[0].message == (
        'metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '
        "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def test_a_namespace_name_must_not_contain_dots():
    result = check("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n")
    assert result.errors[0].message == 'metadata.name: Invalid value: "a.b": must not contain dots'


def test_numeric_label_values_cannot_be_decoded():
    result = check("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {version: 2}\n")
    assert result.code == 400
    assert result.error_text == ('unable to decode "job.yaml": json: cannot unmarshal number into Go struct field '
                                 "ObjectMeta.metadata.labels of type string")


def test_the_hint_for_undecodable_configmap_data_says_values_are_strings():
    m = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: code}\ndata: {port: 8080}\n")
    assert hint_for(validate_manifest(m), m).startswith("ConfigMap data values are strings")


def test_a_misspelt_top_level_field_of_a_built_in_kind_gets_a_did_you_mean():
    m = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatas: {a: b}\n")
    assert hint_for(validate_manifest(m), m) == "did you mean 'data'? Field names are case-sensitive"


def test_a_secret_with_base64_data_and_plain_string_data_is_accepted():
    assert check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: aGk=}\nstringData: {b: hi}\n").ok


def test_secret_data_must_be_base64():
    result = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {auth_token: not base64!}\n")
    assert result.code == 400
    assert result.error_text == ('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at '
                                 "input byte 3")


def test_a_stored_secret_has_its_string_data_merged_into_data_and_type_opaque():
    from harness.simulator import Simulator

    with Simulator() as sim:
        sim.apply("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: aGk=}\nstringData: {b: hi}\n")
        stored = sim.get("Secret", "s")
    assert stored is not None
    assert stored["data"] == {"a": "aGk=", "b": "aGk="}
    assert stored["type"] == "Opaque" and "stringData" not in stored
