"""Finding the KubeRay operator on a cluster, its release, and its log lines about given objects.

The operator is the ``kuberay-operator`` Deployment that KubeRay's Helm chart and its kustomize manifests both
create (label ``app.kubernetes.io/component=kuberay-operator``), in whatever namespace it was installed. Its pods'
logs are the operator log; its image tag (``quay.io/kuberay/operator:v1.7.0``) is the release the cluster runs.
Looking needs permission to list Deployments in every namespace; without it the operator is "not found", which
the backend reports rather than guesses around.

The operator logs with zap: one JSON object per line by default (``--log-stdout-encoder json``), naming the
object reconciled as ``"RayJob": {"name": ..., "namespace": ...}`` (controller-runtime's convention); the console
encoder writes the same fields after the message. :func:`lines_about` understands both.

Not here: reading pod logs (:mod:`.api`); the simulator's operator log (its controls, :mod:`.controls`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ...model.featuregates import V1_7_0_DEFAULTS
from .api import KubeApi
from .resources import ApiResource
from .transport import ApiError

Obj = dict[str, Any]

DEPLOYMENTS: Final = ApiResource("apps", "v1", "Deployment", "deployments")
PODS: Final = ApiResource("", "v1", "Pod", "pods")
# How KubeRay's Helm chart and release manifests label and name the operator (v1.0 to v1.7).
OPERATOR_SELECTOR: Final = "app.kubernetes.io/component=kuberay-operator"
OPERATOR_NAME: Final = "kuberay-operator"
_VERSION: Final = re.compile(r":v?(\d+\.\d+\.\d+)(?:[-@].*)?$")
_KINDS: Final = ("RayJob", "RayCluster")


@dataclass(frozen=True)
class OperatorLocation:
    namespace: str
    deployment: str
    selector: str  # label selector of its pods
    container: str
    image: str
    env: Mapping[str, str] = field(default_factory=dict)  # the container's literal environment
    explicit_gates: Mapping[str, bool] = field(default_factory=dict)  # from its --feature-gates argument

    @property
    def release(self) -> str | None:
        """``1.7.0`` from the image tag, or None for a tag that is not a release (``nightly``, a digest)."""
        found = _VERSION.search(self.image)
        return found.group(1) if found else None

    @property
    def feature_gates(self) -> Mapping[str, bool]:
        """The gates as the operator runs them: its flag, over the release's defaults where they are known."""
        release = self.release or ""
        defaults = V1_7_0_DEFAULTS if release.startswith("1.7.") else {}
        return {**defaults, **self.explicit_gates}


def _gates_from_args(args: Sequence[str]) -> dict[str, bool]:
    """The ``--feature-gates=A=true,B=false`` argument (or ``--feature-gates A=true``), read leniently."""
    gates: dict[str, bool] = {}
    for index, arg in enumerate(args):
        value = None
        if arg.startswith("--feature-gates="):
            value = arg.partition("=")[2]
        elif arg == "--feature-gates" and index + 1 < len(args):
            value = args[index + 1]
        for item in (value or "").split(","):
            name, sep, flag = item.strip().partition("=")
            if sep and flag.strip().lower() in ("true", "false"):
                gates[name.strip()] = flag.strip().lower() == "true"
    return gates


def operator_mismatches(wanted_env: Mapping[str, str], wanted_gates: Mapping[str, bool], env: Mapping[str, str],
                        gates: Mapping[str, bool]) -> list[str]:
    """Each operator setting a scenario wants that the operator does not run with, as one phrase."""
    problems = []
    for name, value in wanted_env.items():
        if env.get(name) != value:
            have = f"{env[name]!r}" if name in env else "unset"
            problems.append(f"env {name}={value!r} (the operator has {have})")
    for gate, enabled in wanted_gates.items():
        if gates.get(gate) is not enabled:
            state = str(gates[gate]).lower() if gate in gates else "not known"
            problems.append(f"feature gate {gate}={str(enabled).lower()} (the operator has {state})")
    return problems


def find_operator(api: KubeApi) -> OperatorLocation | None:
    """The KubeRay operator's Deployment, or None when there is none (or it may not be listed)."""
    try:
        found, _ = api.list(DEPLOYMENTS, namespace=None, label_selector=OPERATOR_SELECTOR)
        if not found:
            found, _ = api.list(DEPLOYMENTS, namespace=None, field_selector=f"metadata.name={OPERATOR_NAME}")
    except ApiError as exc:
        if exc.code in (403, 404):
            return None
        raise
    if not found:
        return None
    deployment = sorted(found, key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"]))[0]
    spec = deployment.get("spec") or {}
    labels = ((spec.get("selector") or {}).get("matchLabels") or {})
    containers = (((spec.get("template") or {}).get("spec") or {}).get("containers") or [{}])
    container = next((c for c in containers if c.get("name") == OPERATOR_NAME), containers[0])
    env = {str(e["name"]): str(e["value"]) for e in container.get("env") or [] if "value" in e and "name" in e}
    args = [str(a) for a in (container.get("args") or []) + (container.get("command") or [])]
    return OperatorLocation(namespace=deployment["metadata"]["namespace"], deployment=deployment["metadata"]["name"],
                            selector=",".join(f"{k}={v}" for k, v in sorted(labels.items())) or OPERATOR_SELECTOR,
                            container=str(container.get("name", "")), image=str(container.get("image", "")),
                            env=env, explicit_gates=_gates_from_args(args))


def operator_log(api: KubeApi, where: OperatorLocation) -> list[str]:
    """Every line the operator's running pods logged, pod by pod (oldest pod first)."""
    pods, _ = api.list(PODS, namespace=where.namespace, label_selector=where.selector)
    pods.sort(key=lambda p: (str(p["metadata"].get("creationTimestamp", "")), p["metadata"]["name"]))
    lines: list[str] = []
    for pod in pods:
        try:
            text = api.pod_log(pod["metadata"]["name"], namespace=where.namespace, container=where.container or None)
        except ApiError:
            continue  # a pod not started yet, or already gone
        lines.extend(line for line in text.splitlines() if line.strip())
    return lines


def _refs(data: Any) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of every object a JSON log line names."""
    found: list[tuple[str, str, str]] = []
    if not isinstance(data, dict):
        return found
    for kind in _KINDS:
        ref = data.get(kind)
        if isinstance(ref, dict) and "name" in ref:
            found.append((kind, str(ref.get("namespace", "")), str(ref["name"])))
    return found


def _json_part(line: str) -> Any:
    start = line.find("{")
    if start < 0:
        return None
    try:
        return json.loads(line[start:])
    except ValueError:
        return None


def lines_about(lines: Sequence[str], *, namespace: str,
                objects: Sequence[tuple[str, str]] | None = None) -> list[str]:
    """The lines about ``objects`` ((kind, name) pairs) in ``namespace``, or about any RayJob or RayCluster
    there when ``objects`` is None."""
    wanted = None if objects is None else {(kind, name) for kind, name in objects}
    names = "|".join(re.escape(name) for name in sorted({name for _, name in wanted or ()})) or r"[a-z0-9][\w.-]*"
    # ns/name as a whole token: "ns/demo" is not about "ns/demo-two"
    console = re.compile(rf"(?<![\w.-]){re.escape(namespace)}/(?:{names})(?![\w.-])")
    out = []
    for line in lines:
        refs = _refs(_json_part(line))
        if refs:
            if any(ns == namespace and (wanted is None or (kind, name) in wanted) for kind, ns, name in refs):
                out.append(line)
        elif console.search(line):
            out.append(line)
    return out
