"""Operator settings per KubeRay release: what is refused, the Helm values, and the kustomize overlay (rendered by
the real kubectl) that install the same flags, and how a live operator is compared with the wanted one."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CLUSTERS
from harness.backends.kind.catalog import load_catalog
from harness.backends.kind.errors import ClusterInputError
from harness.backends.kind.install import (
    OPERATOR_NAMESPACE,
    SETTINGS_ANNOTATION,
    OperatorSettings,
    helm_values,
    kustomize_files,
    operator_drift,
    resolve_install,
)

CATALOG = load_catalog(CLUSTERS)
K8S_135 = (1, 35, 0)


def _install(version: str, *, env: dict | None = None, gates: dict | None = None, kubernetes=K8S_135):
    return resolve_install(CATALOG.profile(version), OperatorSettings(env or {}, gates or {}), kubernetes)


def _gates(values: dict) -> dict[str, bool]:
    return {item["name"]: item["enabled"] for item in values["featureGates"]}


def test_helm_values_of_1_7_reproduce_the_charts_own_feature_gates():
    values = helm_values(_install("1.7"))
    assert _gates(values) == {"RayClusterStatusConditions": True, "RayJobDeletionPolicy": True,
                              "RayMultiHostIndexing": True, "RayServiceIncrementalUpgrade": True,
                              "RayCronJob": False, "RayClusterMTLS": False, "RayClusterNetworkPolicy": False,
                              "RayClusterHistoryServer": False}
    assert values["image"] == {"repository": "quay.io/kuberay/operator", "tag": "v1.7.0"}
    assert "env" not in values


def test_helm_values_of_1_5_keep_the_deletion_policy_gate_off_as_that_release_does():
    assert _gates(helm_values(_install("1.5")))["RayJobDeletionPolicy"] is False
    assert helm_values(_install("1.5"))["image"]["tag"] == "v1.5.2"


def test_helm_values_of_1_6_have_the_five_gates_of_its_chart():
    assert list(_gates(helm_values(_install("1.6")))) == [
        "RayClusterStatusConditions", "RayJobDeletionPolicy", "RayMultiHostIndexing",
        "RayServiceIncrementalUpgrade", "RayCronJob"]


def test_a_requested_gate_overrides_the_charts_value_in_place():
    values = helm_values(_install("1.5", gates={"RayJobDeletionPolicy": True}))
    assert list(_gates(values))[1] == "RayJobDeletionPolicy" and _gates(values)["RayJobDeletionPolicy"] is True


def test_a_gate_the_chart_leaves_out_is_appended_when_requested():
    install = _install("1.7", gates={"SidecarSubmitterRestart": True})
    assert list(_gates(helm_values(install)))[-1] == "SidecarSubmitterRestart"
    assert install.feature_gates_arg.endswith(",SidecarSubmitterRestart=true")


def test_operator_env_becomes_sorted_name_value_pairs():
    install = _install("1.7", env={"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60",
                                   "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"})
    assert helm_values(install)["env"] == [{"name": "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES", "value": "true"},
                                           {"name": "RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS", "value": "60"}]


def test_a_gate_the_release_does_not_know_is_refused_with_the_ones_it_knows():
    with pytest.raises(ClusterInputError) as caught:
        _install("1.5", gates={"RayCronJob": True})
    assert "feature gate='RayCronJob' does not exist in KubeRay v1.5.2" in str(caught.value)
    assert "RayJobDeletionPolicy" in str(caught.value)


def test_an_env_var_the_release_never_reads_is_refused_instead_of_ignored():
    with pytest.raises(ClusterInputError, match=r"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS is not read by KubeRay v1\.6\.2"):
        _install("1.6", env={"RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS": "60"})


def test_sidecar_submitter_restart_is_refused_below_kubernetes_1_35_where_the_operator_would_not_start():
    with pytest.raises(ClusterInputError, match=r"needs Kubernetes >= 1\.35, the cluster runs 1\.34\.3"):
        _install("1.7", gates={"SidecarSubmitterRestart": True}, kubernetes=(1, 34, 3))


def test_disabling_a_gate_needs_no_particular_kubernetes():
    install = _install("1.7", gates={"SidecarSubmitterRestart": False}, kubernetes=(1, 31, 14))
    assert ("SidecarSubmitterRestart", False) in install.gates


def test_a_gate_the_harness_clusters_cannot_run_is_refused_with_the_reason():
    with pytest.raises(ClusterInputError, match="GenericWorkload"):
        _install("1.7", gates={"KubernetesWAS": True}, kubernetes=(1, 36, 1))


def test_the_fingerprint_changes_with_settings_and_not_with_their_order():
    base = _install("1.7").fingerprint
    one = _install("1.7", env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"}).fingerprint
    assert base != one
    first = _install("1.7", env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true", "ENABLE_LOGIN_SHELL": "true"})
    second = _install("1.7", env={"ENABLE_LOGIN_SHELL": "true", "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"})
    assert first.fingerprint == second.fingerprint


# -- the kustomize overlay, rendered by the real kubectl over a base shaped like the release's -----------------------


def _release_like_base(folder: Path) -> Path:
    """A local stand-in for ray-operator/config/default: what the overlay patches, in the same shape."""
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({
        "namespace": "default", "resources": ["operator.yaml"],
        "images": [{"name": "kuberay/operator", "newName": "quay.io/kuberay/operator", "newTag": "v1.7.0"}]}))
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kuberay-operator"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "kuberay-operator"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kuberay-operator"},
         "subjects": [{"kind": "ServiceAccount", "name": "kuberay-operator"}]},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "kuberay-operator"},
         "spec": {"selector": {"matchLabels": {"app.kubernetes.io/component": "kuberay-operator"}},
                  "template": {"metadata": {"labels": {"app.kubernetes.io/component": "kuberay-operator"}},
                               "spec": {"containers": [{
                                   "name": "kuberay-operator", "image": "kuberay/operator", "command": ["/manager"],
                                   "args": ["--feature-gates=RayClusterStatusConditions=true"]}]}}}},
    ]
    (folder / "operator.yaml").write_text(yaml.safe_dump_all(objects))
    return folder


def _kustomize(install, tmp_path: Path) -> dict[str, dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    base = _release_like_base(tmp_path / "base")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    for name, text in kustomize_files(install, base=f"../{base.name}").items():
        (overlay / name).write_text(text)
    out = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
    return {f"{doc['kind']}/{doc['metadata']['name']}": doc for doc in yaml.safe_load_all(out)}


def test_the_overlay_sets_the_same_operator_flags_as_the_helm_values(tmp_path: Path):
    install = _install("1.7", gates={"RayCronJob": True}, env={"DELETE_RAYJOB_CR_AFTER_JOB_FINISHES": "true"})
    rendered = _kustomize(install, tmp_path)
    container = rendered["Deployment/kuberay-operator"]["spec"]["template"]["spec"]["containers"][0]
    helm = helm_values(install)
    assert container["args"] == ["--feature-gates=" + ",".join(
        f"{g['name']}={str(g['enabled']).lower()}" for g in helm["featureGates"])]
    assert container["env"] == helm["env"]
    assert container["image"] == "quay.io/kuberay/operator:v1.7.0"


def test_the_overlay_moves_the_operator_and_its_service_account_binding_into_the_operator_namespace(tmp_path: Path):
    rendered = _kustomize(_install("1.7"), tmp_path)
    assert rendered[f"Namespace/{OPERATOR_NAMESPACE}"]["metadata"]["name"] == OPERATOR_NAMESPACE
    assert rendered["Deployment/kuberay-operator"]["metadata"]["namespace"] == OPERATOR_NAMESPACE
    subjects = rendered["ClusterRoleBinding/kuberay-operator"]["subjects"]
    assert subjects == [{"kind": "ServiceAccount", "name": "kuberay-operator", "namespace": OPERATOR_NAMESPACE}]


def test_an_operator_installed_by_the_overlay_shows_no_drift_from_the_wanted_install(tmp_path: Path):
    install = _install("1.7", gates={"RayCronJob": True}, env={"ENABLE_LOGIN_SHELL": "true"})
    deployment = _kustomize(install, tmp_path)["Deployment/kuberay-operator"]
    assert operator_drift(deployment, install) == []
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {SETTINGS_ANNOTATION: install.fingerprint}


def test_drift_names_each_gate_env_var_and_image_that_differs(tmp_path: Path):
    install = _install("1.7")
    deployment = copy.deepcopy(_kustomize(install, tmp_path)["Deployment/kuberay-operator"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "quay.io/kuberay/operator:v1.6.2"
    container["args"] = [container["args"][0].replace("RayCronJob=false", "RayCronJob=true")]
    container["env"] = [{"name": "ENABLE_LOGIN_SHELL", "value": "true"}]
    assert operator_drift(deployment, install) == [
        "image is quay.io/kuberay/operator:v1.6.2, wanted quay.io/kuberay/operator:v1.7.0",
        "feature gate RayCronJob is true, wanted false",
        "env ENABLE_LOGIN_SHELL is 'true', wanted unset",
    ]


def test_a_deployment_without_the_operator_container_is_drift():
    assert operator_drift({"spec": {"template": {"spec": {"containers": [{"name": "other"}]}}}},
                          _install("1.7")) == ["the Deployment has no container named kuberay-operator"]
