"""The command lines provisioning runs: kind, helm and kubectl, built as data before anything runs.

Every external command is a :class:`Command`: the argv, a title for progress output, and a time limit. Building
them here, as pure functions, keeps them easy to read, log, test and show (``cluster up --dry-run``). Every
kubectl and helm command names the harness's own kubeconfig file and the cluster's context explicitly, so
nothing depends on (or changes) the user's current context; kind writes its kubeconfig only to that file.

Not here: running them (:mod:`.toolrun`, ``harness._util.procs``), deciding which to run (:mod:`.provision`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .catalog import InstallProfile
from .install import OPERATOR_SELECTOR, RELEASE_NAME

CREATE_WAIT: Final = 300.0  # kind's --wait for the control plane; KubeRay's CI allows 900 s on shared runners
OPERATOR_WAIT: Final = 180.0  # KubeRay's CI waits 90 s (180 s with a retry for the Python client job)


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    title: str
    timeout: float = 120.0

    def __str__(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Target:
    """A kind cluster as the tools address it: its name, the harness's kubeconfig file for it, its context."""

    name: str
    kubeconfig: Path

    @property
    def context(self) -> str:
        return f"kind-{self.name}"  # kind's naming of the context (and cluster, and user) it writes


# -- kind ------------------------------------------------------------------------------------------------------


def kind_create(target: Target, config: Path, *, wait: float = CREATE_WAIT) -> Command:
    return Command(("kind", "create", "cluster", "--name", target.name, "--config", str(config),
                    "--kubeconfig", str(target.kubeconfig), "--wait", f"{int(wait)}s"),
                   f"Creating kind cluster {target.name}", timeout=wait + 300)


def kind_delete(target: Target) -> Command:
    return Command(("kind", "delete", "cluster", "--name", target.name, "--kubeconfig", str(target.kubeconfig)),
                   f"Deleting kind cluster {target.name}", timeout=300)


def kind_export_kubeconfig(target: Target) -> Command:
    return Command(("kind", "export", "kubeconfig", "--name", target.name, "--kubeconfig", str(target.kubeconfig)),
                   f"Writing the kubeconfig of {target.name}", timeout=60)


def kind_load_image(target: Target, image: str) -> Command:
    return Command(("kind", "load", "docker-image", image, "--name", target.name),
                   f"Loading {image} into {target.name}", timeout=900)


def kind_export_logs(target: Target, folder: Path) -> Command:
    return Command(("kind", "export", "logs", str(folder), "--name", target.name),
                   f"Exporting the node logs of {target.name}", timeout=300)


# -- helm ------------------------------------------------------------------------------------------------------


def helm_upgrade_install(target: Target, profile: InstallProfile, values: Path, namespace: str) -> Command:
    """Install the pinned chart, or upgrade an existing release to it; the chart comes straight from its
    repository (``--repo``), so the user's Helm repository list is left alone."""
    chart = profile.chart
    return Command(("helm", "upgrade", "--install", RELEASE_NAME, chart.name, "--repo", chart.repository,
                    "--version", chart.version, "--namespace", namespace, "--create-namespace",
                    "--values", str(values), "--kubeconfig", str(target.kubeconfig),
                    "--kube-context", target.context),
                   f"Installing KubeRay v{profile.version} (Helm chart {chart.name} {chart.version})", timeout=600)


# -- kubectl ---------------------------------------------------------------------------------------------------


def kubectl(target: Target, *args: str, title: str, timeout: float = 120.0) -> Command:
    return Command(("kubectl", "--kubeconfig", str(target.kubeconfig), "--context", target.context, *args),
                   title, timeout)


def apply_manifests(target: Target, overlay: Path, profile: InstallProfile) -> Command:
    """The release's kustomize manifests with the harness's overlay; server-side, because the CRDs are too large
    for client-side apply's last-applied annotation."""
    return kubectl(target, "apply", "--server-side", "--force-conflicts", "-k", str(overlay),
                   title=f"Installing KubeRay v{profile.version} (release manifests)", timeout=600)


def wait_operator(target: Target, namespace: str, *, wait: float = OPERATOR_WAIT) -> Command:
    return kubectl(target, "wait", "--namespace", namespace, "--for=condition=Available=true",
                   f"--timeout={int(wait)}s", f"deployment/{RELEASE_NAME}",
                   title="Waiting for the KubeRay operator to be Available", timeout=wait + 30)


def get_operator(target: Target, namespace: str) -> Command:
    return kubectl(target, "get", "deployment", RELEASE_NAME, "--namespace", namespace, "--output", "json",
                   "--ignore-not-found", title="Reading the KubeRay operator Deployment", timeout=60)


def operator_logs(target: Target, namespace: str, *, previous: bool = False) -> Command:
    args = ["logs", "--namespace", namespace, "--selector", OPERATOR_SELECTOR, "--tail", "-1",
            "--all-containers", "--prefix"]
    if previous:
        args.append("--previous")
    return kubectl(target, *args, title="Reading the KubeRay operator logs", timeout=120)


def events(target: Target, namespace: str | None) -> Command:
    scope = ["--namespace", namespace] if namespace else ["--all-namespaces"]
    return kubectl(target, "get", "events", *scope, "--sort-by=.lastTimestamp", "--output", "wide",
                   title="Reading events", timeout=60)


def describe_operator(target: Target, namespace: str) -> Command:
    return kubectl(target, "describe", "deployment,pods", "--namespace", namespace, "--selector",
                   OPERATOR_SELECTOR, title="Describing the KubeRay operator", timeout=60)
