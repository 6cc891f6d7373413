"""kind cluster configs: the shipped ones, the rendered file kind is given, and mistakes reported at their line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import CLUSTERS
from harness.backends.kind.catalog import load_catalog
from harness.backends.kind.errors import ClusterInputError
from harness.backends.kind.kindconfig import parse_kind_config, read_kind_config, render_kind_config
from harness.backends.kind.ownership import OWNER_LABEL, OWNER_VALUE

IMAGE = load_catalog(CLUSTERS).image("1.35")


def _rendered(text: str) -> dict:
    return yaml.safe_load(render_kind_config(parse_kind_config(text, "test.yaml"), IMAGE))


def test_the_default_config_is_a_single_control_plane_node():
    config = read_kind_config(CLUSTERS / "kind" / "single-node.yaml")
    assert config.roles == ("control-plane",)


@pytest.mark.parametrize("path", sorted((CLUSTERS / "kind").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_kind_config_is_valid_and_leaves_the_image_to_the_harness(path: Path):
    config = read_kind_config(path)
    assert "control-plane" in config.roles
    assert config.pinned_images == ()


def test_the_rendered_config_pins_the_image_by_digest_and_labels_every_node_as_the_harnesss():
    rendered = _rendered("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"
                         "- role: worker\n")
    assert [node["image"] for node in rendered["nodes"]] == [IMAGE.image, IMAGE.image]
    assert all(node["labels"] == {OWNER_LABEL: OWNER_VALUE} for node in rendered["nodes"])


def test_the_rendered_config_keeps_the_users_labels_fields_and_own_image():
    text = ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking: {apiServerPort: 6443}\nnodes:\n"
            "- role: control-plane\n  image: kindest/node:v1.33.7@sha256:" + "d" * 64 + "\n"
            "  labels: {tier: ray}\n  extraPortMappings: [{containerPort: 30080, hostPort: 8080}]\n")
    rendered = _rendered(text)
    node = rendered["nodes"][0]
    assert node["image"].startswith("kindest/node:v1.33.7@")
    assert node["labels"] == {"tier": "ray", OWNER_LABEL: OWNER_VALUE}
    assert node["extraPortMappings"] == [{"containerPort": 30080, "hostPort": 8080}]
    assert rendered["networking"] == {"apiServerPort": 6443}


def test_the_name_in_a_config_is_dropped_because_the_cluster_is_named_by_its_flag():
    rendered = _rendered("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: fixed\nnodes:\n"
                         "- role: control-plane\n")
    assert "name" not in rendered


def test_a_config_without_nodes_gets_kinds_default_single_control_plane():
    rendered = _rendered("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n")
    assert [node["role"] for node in rendered["nodes"]] == ["control-plane"]


def test_a_misspelled_node_field_is_reported_at_its_line_with_a_suggestion():
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  lables: {a: b}\n"
    with pytest.raises(ClusterInputError) as caught:
        parse_kind_config(text, "mine.yaml")
    assert str(caught.value).startswith("mine.yaml:5:3: unknown node field='lables' in nodes[0]")
    assert "did you mean 'labels'?" in str(caught.value)


def test_a_misspelled_top_level_field_is_reported_at_its_line():
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworkin: {}\n"
    with pytest.raises(ClusterInputError, match=r"^mine\.yaml:3:1: unknown kind config field='networkin'"):
        parse_kind_config(text, "mine.yaml")


def test_a_config_of_another_api_version_is_refused():
    with pytest.raises(ClusterInputError, match=r"write apiVersion: kind\.x-k8s\.io/v1alpha4"):
        parse_kind_config("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n", "mine.yaml")


def test_a_config_without_a_control_plane_is_refused():
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: worker\n"
    with pytest.raises(ClusterInputError, match="no control-plane node"):
        parse_kind_config(text, "mine.yaml")


def test_an_unknown_node_role_is_refused_at_its_line():
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: master\n"
    with pytest.raises(ClusterInputError, match=r"mine\.yaml:4:9: nodes\[0\] role='master'"):
        parse_kind_config(text, "mine.yaml")


def test_node_labels_that_are_not_strings_are_refused():
    text = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  labels: {gpu: true}\n"
    with pytest.raises(ClusterInputError, match="quote values"):
        parse_kind_config(text, "mine.yaml")


def test_an_unreadable_config_path_is_an_input_error(tmp_path: Path):
    with pytest.raises(ClusterInputError, match="cannot be read"):
        read_kind_config(tmp_path / "missing.yaml")
