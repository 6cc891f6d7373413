"""The command lines provisioning runs, for each KubeRay profile: they name the harness's kubeconfig and context,
pin the chart, and never touch the user's Helm repositories or current context."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLUSTERS
from harness.backends.kind import commands
from harness.backends.kind.catalog import load_catalog
from harness.backends.kind.commands import Target

CATALOG = load_catalog(CLUSTERS)
TARGET = Target("rh-test", Path("/state/clusters/rh-test/kubeconfig"))


def test_kind_create_writes_only_the_harnesss_kubeconfig_and_waits_for_the_control_plane():
    command = commands.kind_create(TARGET, Path("/state/kind-config.yaml"), wait=300)
    assert command.argv == ("kind", "create", "cluster", "--name", "rh-test", "--config", "/state/kind-config.yaml",
                            "--kubeconfig", "/state/clusters/rh-test/kubeconfig", "--wait", "300s")
    assert command.timeout > 300


def test_kind_delete_names_the_cluster_and_the_harnesss_kubeconfig():
    assert commands.kind_delete(TARGET).argv == ("kind", "delete", "cluster", "--name", "rh-test", "--kubeconfig",
                                                 "/state/clusters/rh-test/kubeconfig")


def test_kind_load_names_the_image_and_the_cluster():
    assert str(commands.kind_load_image(TARGET, "rayproject/ray:2.52.0")) == \
        "kind load docker-image rayproject/ray:2.52.0 --name rh-test"


@pytest.mark.parametrize("version", ["1.5", "1.6", "1.7"])
def test_helm_installs_the_pinned_chart_from_its_repository_without_adding_a_repo(version: str):
    profile = CATALOG.profile(version)
    argv = commands.helm_upgrade_install(TARGET, profile, Path("/state/values.yaml"), "kuberay-system").argv
    assert argv[:6] == ("helm", "upgrade", "--install", "kuberay-operator", "kuberay-operator", "--repo")
    assert argv[argv.index("--repo") + 1] == "https://ray-project.github.io/kuberay-helm/"
    assert argv[argv.index("--version") + 1] == profile.version
    assert argv[argv.index("--kube-context") + 1] == "kind-rh-test"
    assert argv[argv.index("--kubeconfig") + 1] == "/state/clusters/rh-test/kubeconfig"
    assert argv[argv.index("--values") + 1] == "/state/values.yaml"
    assert "repo" not in argv[1:2]


@pytest.mark.parametrize("command", [
    commands.wait_operator(TARGET, "kuberay-system"),
    commands.get_operator(TARGET, "kuberay-system"),
    commands.operator_logs(TARGET, "kuberay-system"),
    commands.events(TARGET, None),
    commands.describe_operator(TARGET, "kuberay-system"),
    commands.apply_manifests(TARGET, Path("/state/overlay"), CATALOG.profile("1.7")),
], ids=lambda c: c.argv[5])
def test_every_kubectl_command_names_the_kubeconfig_and_context_explicitly(command: commands.Command):
    assert command.argv[:5] == ("kubectl", "--kubeconfig", "/state/clusters/rh-test/kubeconfig", "--context",
                                "kind-rh-test")


def test_the_operator_wait_is_for_the_deployment_to_be_available():
    argv = commands.wait_operator(TARGET, "kuberay-system", wait=90).argv
    assert argv[5:] == ("wait", "--namespace", "kuberay-system", "--for=condition=Available=true", "--timeout=90s",
                        "deployment/kuberay-operator")


def test_the_release_manifests_are_applied_server_side_from_the_overlay():
    argv = commands.apply_manifests(TARGET, Path("/state/overlay"), CATALOG.profile("1.6")).argv
    assert argv[5:] == ("apply", "--server-side", "--force-conflicts", "-k", "/state/overlay")


def test_operator_logs_select_the_operator_pod_by_a_label_both_install_paths_set():
    argv = commands.operator_logs(TARGET, "kuberay-system", previous=True).argv
    assert argv[argv.index("--selector") + 1] == "app.kubernetes.io/component=kuberay-operator"
    assert "--previous" in argv and argv[argv.index("--tail") + 1] == "-1"


def test_a_command_prints_as_a_shell_line_that_can_be_pasted():
    command = commands.kind_export_logs(Target("a b", Path("/x y/kubeconfig")), Path("/r/kind logs"))
    assert str(command) == "kind export logs '/r/kind logs' --name 'a b'"
