"""What the KubeRay operator is installed with: feature gates and environment, as Helm values or a kustomize overlay.

A scenario (or ``cluster up --feature-gates/--operator-env``) asks for operator settings; :func:`resolve_install`
checks them against the release's profile and refuses what the release would silently ignore (a gate it does
not know, a variable it never reads) or cannot run with (a gate that needs a newer Kubernetes). The result,
:class:`OperatorInstall`, renders the same operator flags two ways, so the operator behaves the same whichever
way it was installed:

- Helm values for the pinned chart. Helm replaces a list value whole, so ``featureGates`` is the chart's own
  list with the requested changes applied, plus requested gates the chart leaves out.
- A kustomize overlay over the release's manifests (used when Helm is missing), patching the same
  ``--feature-gates`` argument and environment into the operator Deployment.

:func:`operator_drift` compares a live operator Deployment with the wanted install, which is how an existing
cluster's operator is verified before it is reused.

Not here: running helm or kubectl (:mod:`.commands`, :mod:`.provision`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from .catalog import InstallProfile, Version, show_version
from .errors import ClusterInputError

OPERATOR_NAMESPACE: Final = "kuberay-system"
RELEASE_NAME: Final = "kuberay-operator"  # the Helm release, and the Deployment both install paths create
OPERATOR_CONTAINER: Final = "kuberay-operator"
# The pod label both the chart and the kustomize manifests put on the operator pod.
OPERATOR_SELECTOR: Final = "app.kubernetes.io/component=kuberay-operator"
SETTINGS_ANNOTATION: Final = "rayjob-harness.io/operator-settings"


@dataclass(frozen=True)
class OperatorSettings:
    """Operator environment and feature gates asked for (by a scenario or on the command line)."""

    env: Mapping[str, str] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"{k}={str(v).lower()}" for k, v in sorted(self.feature_gates.items())]
        parts += [f"{k}={v}" for k, v in sorted(self.env.items())]
        return ", ".join(parts) or "release defaults"


@dataclass(frozen=True)
class OperatorInstall:
    """One KubeRay release with resolved operator flags, ready to render for Helm or kustomize."""

    profile: InstallProfile
    gates: tuple[tuple[str, bool], ...]  # the --feature-gates list, in the chart's order
    env: tuple[tuple[str, str], ...]  # sorted by name
    namespace: str = OPERATOR_NAMESPACE

    @property
    def feature_gates_arg(self) -> str:
        return "--feature-gates=" + ",".join(f"{name}={str(on).lower()}" for name, on in self.gates)

    @property
    def fingerprint(self) -> str:
        """A short digest of everything that makes two installs differ (release, image, flags)."""
        text = json.dumps([self.profile.version, self.profile.operator_image, self.gates, self.env])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        changed = [f"{name}={str(on).lower()}" for name, on in self.gates
                   if (gate := self.profile.gate(name)) is not None and on != gate.default]
        changed += [f"{name}={value}" for name, value in self.env]
        return f"KubeRay v{self.profile.version}" + (f" with {', '.join(changed)}" if changed else "")


def resolve_install(profile: InstallProfile, settings: OperatorSettings, kubernetes: Version) -> OperatorInstall:
    """Check ``settings`` against the release and the cluster's Kubernetes; the flags to install with."""
    for name, enabled in settings.feature_gates.items():
        gate = profile.gate(name)
        if gate is None:
            known = ", ".join(g.name for g in profile.gates)
            raise ClusterInputError(f"feature gate={name!r} does not exist in KubeRay v{profile.version}",
                                    hint=f"the release knows: {known}")
        if not enabled:
            continue
        if gate.unsupported:
            raise ClusterInputError(f"feature gate {name} cannot be enabled on a harness kind cluster: "
                                    f"{gate.unsupported}", hint="run this scenario on the simulator only")
        if gate.min_kubernetes is not None and kubernetes[:2] < gate.min_kubernetes[:2]:
            raise ClusterInputError(
                f"feature gate {name} needs Kubernetes >= {show_version(gate.min_kubernetes)}, the cluster runs "
                f"{show_version(kubernetes)}",
                hint=f"KubeRay v{profile.version} exits at startup otherwise; use --k8s-version "
                     f"{show_version(gate.min_kubernetes[:2])} or newer")
    for name, value in settings.env.items():
        if name not in profile.env:
            raise ClusterInputError(
                f"operator env {name} is not read by KubeRay v{profile.version}; it would change nothing",
                hint=f"the release reads: {', '.join(profile.env)}")
        if not isinstance(value, str):
            raise ClusterInputError(f"operator env {name}={value!r} is not a string", hint=f'write {name}: "true"')
    gates = [(g.name, settings.feature_gates.get(g.name, bool(g.chart))) for g in profile.gates if g.chart is not None]
    gates += [(g.name, settings.feature_gates[g.name]) for g in profile.gates
              if g.chart is None and g.name in settings.feature_gates]
    return OperatorInstall(profile, tuple(gates), tuple(sorted(settings.env.items())))


# -- Helm ------------------------------------------------------------------------------------------------------


def helm_values(install: OperatorInstall) -> dict[str, Any]:
    """The values file passed to ``helm upgrade --install`` for the pinned chart."""
    repository, _, tag = install.profile.operator_image.rpartition(":")
    values: dict[str, Any] = {
        "image": {"repository": repository, "tag": tag},
        "featureGates": [{"name": name, "enabled": on} for name, on in install.gates],
        "annotations": {SETTINGS_ANNOTATION: install.fingerprint},
    }
    if install.env:
        values["env"] = [{"name": name, "value": value} for name, value in install.env]
    return values


# -- kustomize (the release manifests, when Helm is missing) -------------------------------------------------------


def kustomize_files(install: OperatorInstall, base: str | None = None) -> dict[str, str]:
    """The files of an overlay directory for ``kubectl apply --server-side -k``: file name → YAML text.

    ``base`` replaces the release's remote base (tests point it at a local folder).
    """
    patch_ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "/spec/template/spec/containers/0/args", "value": [install.feature_gates_arg]},
        {"op": "add", "path": "/spec/template/metadata/annotations",
         "value": {SETTINGS_ANNOTATION: install.fingerprint}},
    ]
    if install.env:
        patch_ops.append({"op": "add", "path": "/spec/template/spec/containers/0/env",
                          "value": [{"name": name, "value": value} for name, value in install.env]})
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": install.namespace,
        "resources": ["namespace.yaml", base or install.profile.manifests],
        "patches": [{"path": "operator-patch.yaml", "target": {"kind": "Deployment", "name": RELEASE_NAME}}],
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": install.namespace}}
    return {"kustomization.yaml": yaml.safe_dump(kustomization, sort_keys=False),
            "namespace.yaml": yaml.safe_dump(namespace, sort_keys=False),
            "operator-patch.yaml": yaml.safe_dump(patch_ops, sort_keys=False)}


# -- verifying a live operator ---------------------------------------------------------------------------------------


def operator_drift(deployment: Mapping[str, Any], install: OperatorInstall) -> list[str]:
    """How a live operator Deployment (as ``kubectl get -o json`` shows it) differs from ``install``; [] if not."""
    spec = deployment.get("spec") or {}
    template = spec.get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    container = next((c for c in containers if c.get("name") == OPERATOR_CONTAINER), None)
    if container is None:
        return [f"the Deployment has no container named {OPERATOR_CONTAINER}"]
    found: list[str] = []
    image = container.get("image", "")
    if image != install.profile.operator_image:
        found.append(f"image is {image}, wanted {install.profile.operator_image}")
    gate_args = [a for a in container.get("args") or [] if str(a).startswith("--feature-gates=")]
    live_gates = _parse_gates(gate_args[-1]) if gate_args else {}
    wanted_gates = dict(install.gates)
    for name in sorted(set(live_gates) | set(wanted_gates)):
        live, wanted = live_gates.get(name), wanted_gates.get(name)
        if live != wanted:
            found.append(f"feature gate {name} is {_shown(live)}, wanted {_shown(wanted)}")
    live_env = {e.get("name"): e.get("value") for e in container.get("env") or [] if "valueFrom" not in e}
    wanted_env = dict(install.env)
    for name in sorted(set(live_env) | set(wanted_env)):
        if live_env.get(name) != wanted_env.get(name):
            found.append(f"env {name} is {_shown(live_env.get(name))}, wanted {_shown(wanted_env.get(name))}")
    return found


def _parse_gates(arg: str) -> dict[str, bool]:
    gates: dict[str, bool] = {}
    for item in arg.partition("=")[2].split(","):
        name, _, value = item.partition("=")
        if name:
            gates[name.strip()] = value.strip().lower() == "true"
    return gates


def _shown(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
