"""Values of the wrong type fail where Go decodes them: kubectl for metadata, the API server for built-in kinds.

Texts are encoding/json's (``json: cannot unmarshal ... into Go struct field ... of type ...``), as kubectl prints
them; the position is the offending value's line.
"""

from __future__ import annotations

import pytest

from harness.manifests import validate_manifest
from harness.manifests.godecode import parse_time_error

from .builders import manifest

RAYJOB = ("apiVersion: ray.io/v1\nkind: RayJob\nmetadata:\n  name: j\n{meta}spec:\n  entrypoint: python x.py\n"
          "  rayClusterSpec:\n    headGroupSpec:\n      template:\n        spec:\n          containers:\n"
          "            - {{name: head, image: rayproject/ray:2.52.0}}\n")
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n{meta}"


def refused(text: str) -> tuple[str, int]:
    result = validate_manifest(manifest(text))
    assert not result.ok
    return result.error_text, result.errors[0].pos.line


@pytest.mark.parametrize(("meta", "go"), [
    ("  labels: true\n", "bool into Go struct field ObjectMeta.metadata.labels of type map[string]string"),
    ("  annotations: [a]\n", "array into Go struct field ObjectMeta.metadata.annotations of type map[string]string"),
    ("  finalizers: 5\n", "number into Go struct field ObjectMeta.metadata.finalizers of type []string"),
    ("  labels: {a: [1]}\n", "array into Go struct field ObjectMeta.metadata.labels of type string"),
    ("  ownerReferences: [{controller: 'yes'}]\n",
     "string into Go struct field OwnerReference.metadata.ownerReferences.controller of type bool"),
    ("  generation: 1.5\n", "number 1.5 into Go struct field ObjectMeta.metadata.generation of type int64"),
    ("  uid: 7\n", "number into Go struct field ObjectMeta.metadata.uid of type types.UID"),
])
def test_metadata_of_the_wrong_type_is_refused_by_kubectl_before_sending(meta: str, go: str) -> None:
    for template in (RAYJOB, CONFIGMAP):
        text, line = refused(template.format(meta=meta))
        assert text == f'unable to decode "job.yaml": json: cannot unmarshal {go}'
        assert line == 5


def test_a_timestamp_that_is_not_rfc3339_fails_with_gos_parse_error() -> None:
    text, _ = refused(CONFIGMAP.format(meta="  creationTimestamp: yesterday\n"))
    assert text == ('unable to decode "job.yaml": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot '
                    'parse "yesterday" as "2006"')


@pytest.mark.parametrize(("value", "message"), [
    ("2026-01-01T00:00:00Z", None),
    ("2026-01-01T00:00:00.5+02:00", None),
    ("2026-13-01T00:00:00Z", 'parsing time "2026-13-01T00:00:00Z": month out of range'),
    ("2026-01-01 00:00:00Z", 'parsing time "2026-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse '
                             '" 00:00:00Z" as "T"'),
    ("2026-01-01T00:00:00Zz", 'parsing time "2026-01-01T00:00:00Zz": extra text: "z"'),
])
def test_rfc3339_times_parse_as_go_parses_them(value: str, message: str | None) -> None:
    assert parse_time_error(value) == message


def test_null_label_values_become_empty_strings_as_a_round_trip_through_objectmeta_makes_them() -> None:
    result = validate_manifest(manifest(CONFIGMAP.format(meta="  labels: {a: null}\n  annotations: null\n")))
    assert result.ok
    assert result.obj["metadata"] == {"name": "c", "labels": {"a": ""}}


@pytest.mark.parametrize(("body", "go"), [
    ("data: [[[1]]]\n", "array into Go struct field ConfigMap.data of type map[string]string"),
    ("data: {a: 1}\n", "number into Go struct field ConfigMap.data of type string"),
    ("immutable: 'yes'\n", "string into Go struct field ConfigMap.immutable of type bool"),
])
def test_a_configmap_field_of_the_wrong_type_is_refused_by_the_api_server(body: str, go: str) -> None:
    text, _ = refused(CONFIGMAP.format(meta="") + body)
    assert text == f'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal {go}'


def test_binary_data_must_be_base64() -> None:
    text, _ = refused(CONFIGMAP.format(meta="") + "binaryData: {a: 'not base64!'}\n")
    assert text == 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 3'


def test_a_pod_spec_field_of_the_wrong_type_names_the_go_struct_and_type() -> None:
    text, line = refused("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: busybox\n")
    assert text == ('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct '
                    "field PodSpec.spec.containers of type []v1.Container")
    assert line == 5


def test_an_integer_field_refuses_a_number_it_cannot_hold() -> None:
    text, _ = refused("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 3000000000}]\n")
    assert text == ('Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number '
                    "3000000000 into Go struct field ServicePort.spec.ports.port of type int32")


def test_unknown_fields_inside_a_pod_spec_are_unknown_fields() -> None:
    text, _ = refused("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                      "  containers: [{name: c, image: busybox, imagee: x}]\n")
    assert text == ('Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field '
                    '"spec.containers[0].imagee"')


def test_owner_references_must_be_complete_and_name_one_controller() -> None:
    result = validate_manifest(manifest(CONFIGMAP.format(meta=(
        "  ownerReferences:\n  - {apiVersion: v1, kind: Pod, name: a, uid: u1, controller: true}\n"
        "  - {apiVersion: v1, kind: Pod, name: b, uid: u2, controller: true}\n  - {kind: Pod}\n"))))
    messages = [issue.message for issue in result.errors]
    assert messages[0].startswith('metadata.ownerReferences: Invalid value: [{"apiVersion":"v1"')
    assert messages[0].endswith('Only one reference can have Controller set to true. Found "true" in references '
                                "for Pod/a and Pod/b")
    assert 'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty' in messages
    assert 'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty' in messages


def test_finalizers_must_be_qualified_names() -> None:
    result = validate_manifest(manifest(CONFIGMAP.format(meta="  finalizers: ['not valid']\n")))
    assert result.errors[0].message.startswith('metadata.finalizers: Invalid value: "not valid": name part must '
                                               "consist of alphanumeric characters")
