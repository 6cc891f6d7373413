"""kind cluster configs: read one (``clusters/kind/*.yaml`` or the user's), check it, render what kind is given.

kind rejects unknown fields only once the cluster is being created; checking the config's shape here reports
a typo at its file:line before anything starts. The rendered config is the file as written plus what the
harness owns: every node gets the digest-pinned image for the chosen Kubernetes version (unless the file pins
its own) and the ownership label (:mod:`.ownership`). The cluster's name comes from ``--name``, not the file.

Not here: where the config file is written or how kind is run (:mod:`.provision`, :mod:`.commands`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from ...errors import ScenarioError, SourcePos
from ...scenario.source import Node, parse_yaml
from .catalog import NodeImage
from .errors import config_error
from .ownership import OWNER_LABEL, OWNER_VALUE

API_VERSION: Final = "kind.x-k8s.io/v1alpha4"
# The fields of kind's v1alpha4 Cluster and Node (pkg/apis/config/v1alpha4/types.go, kind v0.31.0).
CLUSTER_FIELDS: Final = ("kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig",
                         "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches",
                         "containerdConfigPatchesJSON6902")
NODE_FIELDS: Final = ("role", "image", "labels", "extraMounts", "extraPortMappings", "kubeadmConfigPatches",
                      "kubeadmConfigPatchesJSON6902")
ROLES: Final = ("control-plane", "worker")
DEFAULT_CONFIG: Final = "single-node.yaml"


@dataclass(frozen=True)
class KindConfig:
    """A checked kind Cluster config: the document as written, and where it came from."""

    document: dict[str, Any]
    source: str
    pinned_images: tuple[str, ...]  # images the file sets itself (then --k8s-version does not apply)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(str(node.get("role")) for node in self.document["nodes"])


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _check_node(node: Node, index: int) -> None:
    if not node.is_mapping:
        raise config_error(f"nodes[{index}] is not a mapping", node.pos, "write - role: control-plane")
    for key in node.fields:
        if key not in NODE_FIELDS:
            raise config_error(f"unknown node field={key!r} in nodes[{index}]", node.pos_of_key(key),
                               f"{_suggest(key, NODE_FIELDS)}node fields are: {', '.join(NODE_FIELDS)}")
    role = node.get("role")
    if role is None or role.value not in ROLES:
        raise config_error(f"nodes[{index}] role={role.value if role else None!r} is not a kind node role",
                           role.pos if role else node.pos, "write role: control-plane or role: worker")
    labels = node.get("labels")
    if labels is not None and (not labels.is_mapping or not all(isinstance(v, str) for v in labels.value.values())):
        raise config_error(f"nodes[{index}] labels is not a mapping of strings", labels.pos,
                           'write labels: {tier: "ray"} (quote values such as "true")')


def read_kind_config(path: Path) -> KindConfig:
    """Read and check a kind config file; every mistake is a ClusterInputError at its file:line."""
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise config_error(f"kind config={display!r} cannot be read: {exc.strerror or exc}", SourcePos(display),
                           "check the path given to --config") from None
    return parse_kind_config(text, display)


def parse_kind_config(text: str, display: str) -> KindConfig:
    try:
        documents = parse_yaml(text, display)
    except ScenarioError as exc:
        raise config_error(exc.message, exc.pos, exc.hint or "") from None
    if len(documents) != 1 or not documents[0].is_mapping:
        raise config_error("a kind config is one YAML mapping", SourcePos(display, 1),
                           "start with kind: Cluster and apiVersion: kind.x-k8s.io/v1alpha4")
    root = documents[0]
    for key in root.fields:
        if key not in CLUSTER_FIELDS:
            raise config_error(f"unknown kind config field={key!r}", root.pos_of_key(key),
                               f"{_suggest(key, CLUSTER_FIELDS)}fields are: {', '.join(CLUSTER_FIELDS)}")
    if root.value.get("kind") != "Cluster":
        where = root.fields["kind"].pos if "kind" in root.fields else root.pos
        raise config_error(f"kind={root.value.get('kind')!r} is not a kind cluster config", where,
                           "write kind: Cluster")
    if root.value.get("apiVersion") != API_VERSION:
        where = root.fields["apiVersion"].pos if "apiVersion" in root.fields else root.pos
        raise config_error(f"apiVersion={root.value.get('apiVersion')!r} is not supported", where,
                           f"write apiVersion: {API_VERSION}")
    nodes = root.get("nodes")
    if nodes is None:  # kind's default: one control-plane node
        document = dict(root.value)
        document["nodes"] = [{"role": "control-plane"}]
        return KindConfig(document, display, ())
    if not nodes.is_sequence or not nodes.items:
        raise config_error("nodes is not a non-empty list", nodes.pos, "write nodes: [{role: control-plane}]")
    for index, node in enumerate(nodes.items):
        _check_node(node, index)
    if not any(node.value.get("role") == "control-plane" for node in nodes.items):
        raise config_error("the config has no control-plane node", nodes.pos, "add - role: control-plane")
    pinned = tuple(str(node.value["image"]) for node in nodes.items if node.value.get("image"))
    return KindConfig(dict(root.value), display, pinned)


def render_kind_config(config: KindConfig, image: NodeImage) -> str:
    """The YAML given to ``kind create cluster --config``: the file plus the pinned image and the owner label."""
    document = copy.deepcopy(config.document)
    document.pop("name", None)  # the cluster's name is --name: one config file serves many clusters
    for node in document["nodes"]:
        node.setdefault("image", image.image)
        labels = dict(node.get("labels") or {})
        labels[OWNER_LABEL] = OWNER_VALUE
        node["labels"] = labels
    header = (f"# Rendered by rayjob-harness from {config.source} for Kubernetes {image.minor}.\n"
              f"# The {OWNER_LABEL} label marks the cluster as the harness's own (cluster down --all removes only"
              " those).\n")
    return header + yaml.safe_dump(document, sort_keys=False)


def default_config_path(root: Path) -> Path:
    return root / "kind" / DEFAULT_CONFIG
