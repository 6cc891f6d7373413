"""Reading manifest files as kubectl does: documents, lists, positions, YAML 1.1 values and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ManifestError
from harness.manifests import load_manifests, parse_manifests

from .builders import manifest

DATA = Path(__file__).parent / "data"


def test_every_document_of_a_file_becomes_a_manifest_and_empty_documents_are_skipped():
    loaded = load_manifests(DATA / "configmap-and-rayjob.yaml")
    assert [(m.kind, m.name) for m in loaded] == [("ConfigMap", "code"), ("RayJob", "with-code")]


def test_a_manifest_records_its_file_and_the_line_where_the_object_starts():
    loaded = load_manifests(DATA / "configmap-and-rayjob.yaml")
    assert loaded[0].source.endswith("configmap-and-rayjob.yaml")
    assert [m.line for m in loaded] == [2, 11]


def test_a_kind_list_expands_into_its_items_with_their_own_lines():
    loaded = load_manifests(DATA / "list.yaml")
    assert [(m.name, m.line) for m in loaded] == [("first", 4), ("second", 8)]


def test_a_directory_loads_every_yaml_file_sorted_by_name():
    names = [m.name for m in load_manifests(DATA)]
    assert names == ["code", "with-code", "first", "second", "legacy-env", "train"]


def test_pos_gives_line_and_column_of_a_dotted_path():
    m = load_manifests(DATA / "rayjob-valid-v1.yaml")[0]
    pos = m.pos("spec.rayClusterSpec.headGroupSpec")
    assert (pos.line, pos.column) == (16, 5)


def test_pos_follows_list_indices_in_api_server_spelling():
    m = load_manifests(DATA / "rayjob-valid-v1.yaml")[0]
    assert m.pos("spec.rayClusterSpec.workerGroupSpecs[0].groupName").line == 27


def test_pos_of_a_missing_field_falls_back_to_its_nearest_parent():
    m = load_manifests(DATA / "rayjob-valid-v1.yaml")[0]
    assert m.pos("spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams").line == 27
    assert m.pos("nothing.here").line == 1


def test_pos_finds_keys_that_contain_dots():
    m = load_manifests(DATA / "configmap-and-rayjob.yaml")[1]
    assert m.pos("spec.clusterSelector.ray.io/cluster").line == 18


def test_yaml_1_1_booleans_timestamps_and_whole_floats_read_as_kubectl_sends_them():
    m = manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: values}
        data:
          flag: yes
          day: 2024-01-02
          count: 2.0
          start: 10:30
        """)
    assert m.obj["data"] == {"flag": True, "day": "2024-01-02", "count": 2, "start": "10:30"}


def test_a_key_written_twice_keeps_the_last_value_and_is_recorded():
    m = manifest("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: first
          name: second
        """)
    assert m.name == "second"
    assert m.duplicate_keys == ("metadata.name",)


def test_text_that_is_not_yaml_is_refused_at_the_line_of_the_problem():
    with pytest.raises(ManifestError) as caught:
        parse_manifests("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x: y\n", "bad.yaml")
    assert caught.value.pos is not None and (caught.value.pos.path, caught.value.pos.line) == ("bad.yaml", 4)
    assert "not valid YAML" in caught.value.message


def test_a_document_that_is_not_a_mapping_is_refused():
    with pytest.raises(ManifestError, match="document is not a mapping"):
        parse_manifests("- a\n- b\n", "list.yaml")


@pytest.mark.parametrize(("text", "missing"), [
    ("kind: Pod\nmetadata: {name: x}\n", "apiVersion"),
    ("apiVersion: v1\nmetadata: {name: x}\n", "kind"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n", "metadata.name"),
])
def test_an_object_without_apiversion_kind_or_name_is_refused(text, missing):
    with pytest.raises(ManifestError, match=f"has no {missing}"):
        parse_manifests(text, "x.yaml")


def test_generate_name_stands_in_for_a_name():
    m = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cm-}\n")
    assert m.name == "cm-"


def test_a_kind_the_simulator_does_not_model_is_refused_with_the_supported_kinds():
    with pytest.raises(ManifestError) as caught:
        parse_manifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n", "d.yaml")
    assert "kind='Deployment' is not modelled" in caught.value.message
    assert caught.value.hint is not None and "RayJob (ray.io/v1)" in caught.value.hint
    assert caught.value.pos is not None and caught.value.pos.line == 2


@pytest.mark.parametrize(("written", "meant"), [("Rayjob", "RayJob"), ("RayJobs", "RayJob"),
                                               ("raycluster", "RayCluster"), ("Confgmap", "ConfigMap")])
def test_a_misspelt_kind_gets_did_you_mean(written, meant):
    with pytest.raises(ManifestError) as caught:
        parse_manifests(f"apiVersion: ray.io/v1\nkind: {written}\nmetadata: {{name: j}}\n", "j.yaml")
    assert caught.value.hint == f"did you mean {meant!r}? Kinds are case-sensitive"


def test_a_kind_only_near_a_modelled_one_gets_no_did_you_mean():
    with pytest.raises(ManifestError) as caught:
        parse_manifests("apiVersion: ray.io/v1\nkind: RayService\nmetadata: {name: j}\n", "j.yaml")
    assert caught.value.hint is not None and caught.value.hint.startswith("supported kinds:")


def test_a_control_character_is_refused_at_its_place():
    with pytest.raises(ManifestError) as caught:
        parse_manifests("apiVersion: v1\nkind: ConfigMap\x1f\n", "c.yaml")
    # go-yaml's words, as kubectl prints them ("yaml: control characters are not allowed"), and the character
    assert caught.value.message == "manifest is not valid YAML: control characters are not allowed (found #x001f)"
    assert str(caught.value.pos) == "c.yaml:2:16"


def test_an_api_version_not_served_for_the_kind_is_refused_like_kubectl():
    with pytest.raises(ManifestError) as caught:
        parse_manifests("apiVersion: ray.io/v2\nkind: RayJob\nmetadata: {name: j}\n", "j.yaml")
    assert caught.value.message == 'no matches for kind "RayJob" in version "ray.io/v2"'
    assert caught.value.hint == "RayJob is served as: ray.io/v1, ray.io/v1alpha1"


def test_a_missing_file_is_an_input_error_not_a_traceback():
    with pytest.raises(ManifestError, match="manifest file not found"):
        load_manifests(DATA / "nope.yaml")
