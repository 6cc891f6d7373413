"""Which kind clusters the harness made, and therefore may reuse or delete; and whose API server a context names.

The harness labels every node of a cluster it creates with ``rayjob-harness.io/managed-by=rayjob-harness``
(a kind config ``nodes[].labels`` entry). kind writes those labels into each node's ``/kind/kubeadm.conf``
before the node joins, so the mark exists from the cluster's first moment and can be read from the Docker
engine even when the API server is down. A cluster is the harness's only when every control-plane node
carries the mark; a cluster whose config cannot be read is not proven to be ours and is left alone.

Everything here is pure: it reads facts gathered by :mod:`.engine` and a kubeconfig's contents, and returns
verdicts (:func:`plan_teardown`, :func:`context_problem`). Nothing here deletes anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

from .engine import KindNode

OWNER_LABEL: Final = "rayjob-harness.io/managed-by"
OWNER_VALUE: Final = "rayjob-harness"
CONTROL_PLANE: Final = "control-plane"
LOAD_BALANCER: Final = "external-load-balancer"
_LOOPBACK: Final = ("127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]")


def labels_from_kubeadm_config(text: str) -> dict[str, str]:
    """The ``node-labels`` kubelet argument of a kind node's kubeadm config, as a mapping.

    kind writes ``kubeletExtraArgs`` as a mapping (kubeadm v1beta3) or as a list of name/value pairs (v1beta4);
    both are read. A config that does not parse yields no labels.
    """
    labels: dict[str, str] = {}
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return labels
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") not in ("InitConfiguration", "JoinConfiguration"):
            continue
        registration = document.get("nodeRegistration") or {}
        extra = registration.get("kubeletExtraArgs") if isinstance(registration, dict) else None
        value: Any = None
        if isinstance(extra, dict):
            value = extra.get("node-labels")
        elif isinstance(extra, list):
            value = next((arg.get("value") for arg in extra if isinstance(arg, dict)
                          and arg.get("name") == "node-labels"), None)
        if isinstance(value, str):
            for pair in value.split(","):
                key, sep, item = pair.strip().partition("=")
                if sep and key:
                    labels[key] = item
    return labels


@dataclass(frozen=True)
class ClusterFacts:
    """A kind cluster as the engine shows it: its nodes, whether the harness made it, where its API server is."""

    name: str
    nodes: tuple[KindNode, ...]

    @property
    def control_planes(self) -> tuple[KindNode, ...]:
        return tuple(node for node in self.nodes if node.role == CONTROL_PLANE)

    @property
    def owned(self) -> bool:
        planes = self.control_planes
        return bool(planes) and all(
            node.kubeadm_config is not None
            and labels_from_kubeadm_config(node.kubeadm_config).get(OWNER_LABEL) == OWNER_VALUE
            for node in planes)

    @property
    def running(self) -> bool:
        return bool(self.nodes) and all(node.state == "running" for node in self.nodes)

    @property
    def node_image(self) -> str:
        return self.control_planes[0].image if self.control_planes else ""

    @property
    def api_server(self) -> tuple[str, int] | None:
        """Where the API server is published: the load balancer of an HA cluster, else the control plane."""
        for role in (LOAD_BALANCER, CONTROL_PLANE):
            for node in self.nodes:
                if node.role == role and node.api_server is not None:
                    return node.api_server
        return None

    def ownership_note(self) -> str:
        if self.owned:
            return "created by rayjob-harness"
        if any(node.kubeadm_config is None for node in self.control_planes):
            return "not created by rayjob-harness (its node config cannot be read, so it is not proven ours)"
        return f"not created by rayjob-harness (its nodes lack the label {OWNER_LABEL}={OWNER_VALUE})"


def group_clusters(nodes: Iterable[KindNode]) -> list[ClusterFacts]:
    by_name: dict[str, list[KindNode]] = {}
    for node in nodes:
        by_name.setdefault(node.cluster, []).append(node)
    return [ClusterFacts(name, tuple(found)) for name, found in sorted(by_name.items())]


@dataclass(frozen=True)
class TeardownPlan:
    """What ``cluster down`` will do: delete these, leave those (with why), and names that match nothing."""

    delete: tuple[str, ...]
    left_alone: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


def plan_teardown(clusters: Sequence[ClusterFacts], *, names: Sequence[str] = (), everything: bool = False
                  ) -> TeardownPlan:
    """Only clusters the harness made are ever put in ``delete``; the rest go to ``left_alone`` with a reason."""
    by_name = {cluster.name: cluster for cluster in clusters}
    wanted = [cluster.name for cluster in clusters] if everything else list(dict.fromkeys(names))
    delete, left, missing = [], [], []
    for name in wanted:
        cluster = by_name.get(name)
        if cluster is None:
            missing.append(name)
        elif cluster.owned:
            delete.append(name)
        else:
            left.append((name, cluster.ownership_note()))
    return TeardownPlan(tuple(delete), tuple(left), tuple(missing))


def context_problem(kubeconfig: Mapping[str, Any], context: str, api_server: tuple[str, int] | None) -> str | None:
    """Why ``context`` in ``kubeconfig`` does not lead to the API server published at ``api_server``, or None.

    kind writes ``https://127.0.0.1:<port>`` for the port Docker publishes for the node's 6443; a context whose
    server is anything else belongs to another cluster, and the harness must not act through it.
    """
    if api_server is None:
        return "the cluster publishes no API server port (is its control-plane container running?)"
    contexts = {c.get("name"): c.get("context") or {} for c in kubeconfig.get("contexts") or [] if isinstance(c, dict)}
    if context not in contexts:
        return f"the kubeconfig has no context {context!r}"
    cluster_name = contexts[context].get("cluster")
    clusters = {c.get("name"): c.get("cluster") or {} for c in kubeconfig.get("clusters") or [] if isinstance(c, dict)}
    server = str((clusters.get(cluster_name) or {}).get("server", ""))
    if not server:
        return f"context {context!r} names cluster {cluster_name!r}, which has no server in the kubeconfig"
    parts = urlsplit(server)
    host, port = parts.hostname or "", parts.port
    want_host, want_port = api_server
    if port != want_port or (host not in _LOOPBACK and host != want_host):
        return (f"context {context!r} points at {server}, but the kind cluster's API server is published at "
                f"{want_host}:{want_port}")
    return None
