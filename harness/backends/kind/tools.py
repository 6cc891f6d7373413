"""The command-line tools provisioning drives, found on PATH and asked for their versions.

kind (creates the cluster; it drives the ``docker`` client itself), kubectl (everything inside the cluster),
helm (the operator's chart; optional: without it the release manifests are applied with kubectl, which fetches
them with git). Each :class:`ToolSpec` knows how to ask a tool its version, the oldest version that works, and
what to tell a person who lacks it. :func:`probe` runs the real tool; the parsers are pure.

Not here: the Docker engine (:mod:`.engine`), the verdicts on memory and disk (:mod:`.preflight`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ..._util import procs
from .catalog import Version, show_version


def _first_version(pattern: str) -> Callable[[str], Version | None]:
    regex = re.compile(pattern)

    def parse(text: str) -> Version | None:
        match = regex.search(text)
        return tuple(int(part) for part in match.groups()) if match else None

    return parse


parse_kind_version = _first_version(r"\bkind v(\d+)\.(\d+)\.(\d+)")
parse_helm_version = _first_version(r"\bv(\d+)\.(\d+)\.(\d+)")
parse_docker_version = _first_version(r"Docker version (\d+)\.(\d+)\.(\d+)")
parse_git_version = _first_version(r"git version (\d+)\.(\d+)\.(\d+)")


def parse_kubectl_version(text: str) -> Version | None:
    """``kubectl version --client --output=json``: clientVersion.gitVersion (``v1.32.4``, maybe with a suffix)."""
    try:
        data = json.loads(text)
        git_version = str(data["clientVersion"]["gitVersion"])
    except (ValueError, KeyError, TypeError):
        return None
    return _first_version(r"v(\d+)\.(\d+)\.(\d+)")(git_version)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    version_args: tuple[str, ...]
    parse: Callable[[str], Version | None]
    minimum: Version
    purpose: str  # why the harness needs it, for messages
    install: str  # how to get it


KIND: Final = ToolSpec("kind", ("version",), parse_kind_version, (0, 31, 0), "creates and deletes the cluster",
                       "install kind v0.31.0 or newer: `go install sigs.k8s.io/kind@v0.31.0`, or a release binary "
                       "(https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
KUBECTL: Final = ToolSpec("kubectl", ("version", "--client", "--output=json"), parse_kubectl_version, (1, 23, 0),
                          "talks to the cluster (KubeRay needs kubectl 1.23 or newer)",
                          "install kubectl 1.23 or newer (https://kubernetes.io/docs/tasks/tools/)")
HELM: Final = ToolSpec("helm", ("version", "--short"), parse_helm_version, (3, 0, 0),
                       "installs the KubeRay Helm chart",
                       "install Helm 3 or newer (https://helm.sh/docs/intro/install/)")
DOCKER_CLI: Final = ToolSpec("docker", ("--version",), parse_docker_version, (20, 10, 0),
                             "is what kind drives to run the node containers",
                             "install the Docker command-line client 20.10 or newer (it comes with Docker Engine "
                             "and Docker Desktop)")
GIT: Final = ToolSpec("git", ("--version",), parse_git_version, (2, 0, 0),
                      "lets kubectl fetch the KubeRay release manifests (needed only when Helm is missing)",
                      "install git, or install Helm 3 to use the chart instead")


@dataclass(frozen=True)
class ToolStatus:
    spec: ToolSpec
    path: str | None
    version: Version | None
    output: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def usable(self) -> bool:
        return self.version is not None and self.version >= self.spec.minimum

    def describe(self) -> str:
        if self.path is None:
            return f"{self.spec.name}: not found on PATH"
        shown = show_version(self.version) if self.version else "unknown version"
        return f"{self.spec.name} {shown} ({self.path})"


def probe(spec: ToolSpec, env: Mapping[str, str] | None = None) -> ToolStatus:
    """Find ``spec``'s tool on PATH (of ``env``, default the process's) and read its version."""
    environ = dict(env) if env is not None else dict(os.environ)
    path = shutil.which(spec.name, path=environ.get("PATH", os.defpath))
    if path is None:
        return ToolStatus(spec, None, None)
    try:
        result = procs.run([path, *spec.version_args], env=environ, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ToolStatus(spec, path, None, f"{type(exc).__name__}: {exc}")
    output = (result.stdout or "") + (result.stderr or "")
    return ToolStatus(spec, path, spec.parse(output), output.strip())
