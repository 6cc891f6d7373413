"""The cluster catalog in clusters/: pinned node images and KubeRay install profiles, and how mistakes in them read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import CLUSTERS
from harness.backends.kind.catalog import load_catalog
from harness.backends.kind.errors import ClusterInputError


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "clusters"
    shutil.copytree(CLUSTERS, folder)
    return folder


def test_the_shipped_catalog_has_a_profile_for_each_release_the_simulator_models_or_will_model():
    catalog = load_catalog(CLUSTERS)
    assert [profile.version for profile in catalog.profiles] == ["1.5.2", "1.6.2", "1.7.0"]


def test_every_shipped_node_image_is_pinned_by_digest_to_its_own_kubernetes_tag():
    for image in load_catalog(CLUSTERS).images:
        tag = f"v{'.'.join(map(str, image.kubernetes))}"
        assert re.fullmatch(rf"kindest/node:{re.escape(tag)}@sha256:[0-9a-f]{{64}}", image.image), image.image


def test_kubernetes_1_35_is_the_image_kuberay_1_7_is_tested_on_upstream():
    catalog = load_catalog(CLUSTERS)
    image = catalog.image(catalog.profile("1.7").default_kubernetes)
    assert image.image.startswith("kindest/node:v1.35.0@sha256:452d707d")
    assert image.kind_release == (0, 31, 0)


@pytest.mark.parametrize("spelling", ["1.7", "v1.7", "1.7.0", "v1.7.0"])
def test_a_kuberay_release_is_found_by_minor_or_full_version(spelling: str):
    assert load_catalog(CLUSTERS).profile(spelling).version == "1.7.0"


@pytest.mark.parametrize("spelling", ["1.35", "v1.35", "1.35.0"])
def test_a_kubernetes_release_is_found_by_minor_or_full_version(spelling: str):
    assert load_catalog(CLUSTERS).image(spelling).minor == "1.35"


def test_an_unknown_kuberay_version_is_refused_with_the_known_releases():
    with pytest.raises(ClusterInputError) as caught:
        load_catalog(CLUSTERS).profile("1.4")
    assert "kuberay version='1.4' has no install profile" in str(caught.value)
    assert "1.5 (v1.5.2), 1.6 (v1.6.2), 1.7 (v1.7.0)" in str(caught.value)


def test_a_patch_release_other_than_the_pinned_one_is_refused():
    with pytest.raises(ClusterInputError, match=r"1\.7\.1"):
        load_catalog(CLUSTERS).profile("1.7.1")


def test_an_unpinned_kubernetes_version_is_refused_with_the_pinned_ones():
    with pytest.raises(ClusterInputError) as caught:
        load_catalog(CLUSTERS).image("1.29")
    assert "kubernetes version='1.29' has no pinned kind node image" in str(caught.value)
    assert "1.35.0" in str(caught.value)


def test_a_version_that_is_not_a_number_is_refused():
    with pytest.raises(ClusterInputError, match="is not a release number"):
        load_catalog(CLUSTERS).image("latest")


def test_chart_versions_carry_no_v_and_match_the_release():
    for profile in load_catalog(CLUSTERS).profiles:
        assert profile.chart.version == profile.version
        assert profile.operator_image == f"quay.io/kuberay/operator:v{profile.version}"
        assert profile.manifests.endswith(f"?ref=v{profile.version}")


def test_a_node_image_without_a_digest_is_reported_at_its_line(catalog_copy: Path):
    path = catalog_copy / "node-images.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"(kindest/node:v1\.34\.3)@sha256:[0-9a-f]+", r"\1", text))
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.strip().endswith("v1.34.3"))
    with pytest.raises(ClusterInputError) as caught:
        load_catalog(catalog_copy)
    assert f"node-images.yaml:{line}:" in str(caught.value)
    assert "is not pinned by digest" in str(caught.value)


def test_an_unknown_key_in_a_profile_is_reported_at_its_line_with_the_allowed_keys(catalog_copy: Path):
    path = catalog_copy / "kuberay" / "1.6.yaml"
    path.write_text(path.read_text().replace("operator_image:", "operator_imag:"))
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.startswith("operator_imag:"))
    with pytest.raises(ClusterInputError) as caught:
        load_catalog(catalog_copy)
    assert f"1.6.yaml:{line}:1: unknown key='operator_imag'" in str(caught.value)
    assert "Hint: keys are:" in str(caught.value)


def test_a_profile_file_named_for_another_release_is_refused(catalog_copy: Path):
    (catalog_copy / "kuberay" / "1.6.yaml").rename(catalog_copy / "kuberay" / "1.8.yaml")
    with pytest.raises(ClusterInputError, match=r"name the file 1\.6\.yaml"):
        load_catalog(catalog_copy)


def test_a_chart_version_with_a_v_is_refused(catalog_copy: Path):
    path = catalog_copy / "kuberay" / "1.5.yaml"
    path.write_text(path.read_text().replace("  version: 1.5.2", "  version: v1.5.2"))
    with pytest.raises(ClusterInputError, match="chart versions carry no v prefix"):
        load_catalog(catalog_copy)


def test_two_images_for_one_kubernetes_minor_are_refused(catalog_copy: Path):
    path = catalog_copy / "node-images.yaml"
    path.write_text(path.read_text() + "  - kubernetes: 1.35.5\n    image: kindest/node:v1.35.5@sha256:"
                    + "a" * 64 + "\n    kind: 0.32.0\n")
    with pytest.raises(ClusterInputError, match=r"kubernetes minor 1\.35 is pinned twice"):
        load_catalog(catalog_copy)


def test_a_missing_catalog_folder_says_how_to_point_at_one(tmp_path: Path):
    with pytest.raises(ClusterInputError) as caught:
        load_catalog(tmp_path / "nowhere")
    assert "RAYJOB_HARNESS_CLUSTERS" in str(caught.value)


def test_yaml_syntax_errors_in_a_profile_are_reported_at_their_position(catalog_copy: Path):
    path = catalog_copy / "kuberay" / "1.7.yaml"
    path.write_text("kuberay: 1.7.0\nhelm: [unclosed\n")
    with pytest.raises(ClusterInputError, match=r"1\.7\.yaml:\d+:\d+: YAML syntax error"):
        load_catalog(catalog_copy)
