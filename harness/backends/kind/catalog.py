"""The cluster catalog: pinned kind node images and KubeRay install profiles, read from the ``clusters/`` folder.

The facts that change with upstream releases (image digests, chart versions, which feature gates and
environment variables a KubeRay release knows) are data, not code: ``clusters/node-images.yaml`` and
``clusters/kuberay/<minor>.yaml``. This module reads them into frozen models, reporting any mistake at its
file:line with a hint, and answers the two questions provisioning asks: which node image for this Kubernetes
version, and which install profile for this KubeRay version. Unknown versions are refused with the list of
known ones.

Not here: kind cluster configs (:mod:`.kindconfig`), what a profile turns into on the command line
(:mod:`.install`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ...errors import ScenarioError, SourcePos
from ...scenario.source import Node, parse_yaml
from ...scenario.versions import parse_version
from .errors import ClusterInputError, config_error

Version = tuple[int, ...]

CATALOG_ENV: Final = "RAYJOB_HARNESS_CLUSTERS"
_IMAGE: Final = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/-]*):(?P<tag>v[0-9][\w.-]*)@sha256:(?P<digest>[0-9a-f]{64})$")
_GATE_NAME: Final = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_ENV_NAME: Final = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def show_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class NodeImage:
    """A kind node image for one Kubernetes release, pinned by digest, and the kind release it was built for."""

    kubernetes: Version
    image: str
    kind_release: Version
    pos: SourcePos

    @property
    def minor(self) -> str:
        return show_version(self.kubernetes[:2])


@dataclass(frozen=True)
class HelmChart:
    repository: str
    name: str
    version: str


@dataclass(frozen=True)
class GateInfo:
    """A feature gate of one KubeRay release: its default, what the chart sets, what enabling it needs."""

    name: str
    default: bool
    chart: bool | None  # None: the chart's featureGates list leaves it out
    min_kubernetes: Version | None = None
    unsupported: str | None = None  # why the harness refuses to enable it


@dataclass(frozen=True)
class InstallProfile:
    """How one KubeRay release is installed on a kind cluster, and which operator settings it accepts."""

    key: str  # "1.7"
    kuberay: Version  # (1, 7, 0)
    chart: HelmChart
    manifests: str  # a kustomize remote base
    operator_image: str
    default_kubernetes: str  # a minor, "1.35"
    min_kubernetes: Version
    gates: tuple[GateInfo, ...]
    env: tuple[str, ...]
    pos: SourcePos

    @property
    def version(self) -> str:
        return show_version(self.kuberay)

    def gate(self, name: str) -> GateInfo | None:
        return next((gate for gate in self.gates if gate.name == name), None)


@dataclass(frozen=True)
class Catalog:
    root: Path
    images: tuple[NodeImage, ...]
    profiles: tuple[InstallProfile, ...]

    def profile(self, version: str) -> InstallProfile:
        """The profile for ``1.7``, ``v1.7`` or ``1.7.0``; a refusal naming the known releases otherwise."""
        known = ", ".join(f"{p.key} (v{p.version})" for p in self.profiles)
        try:
            wanted = parse_version(version)
        except ValueError:
            raise ClusterInputError(f"kuberay version={version!r} is not a release number",
                                    hint=f"use one of: {known}") from None
        for profile in self.profiles:
            if profile.kuberay[: len(wanted)] == wanted and len(wanted) >= 2:
                return profile
        raise ClusterInputError(f"kuberay version={version!r} has no install profile",
                                hint=f"use one of: {known} (profiles live in {self.root / 'kuberay'})")

    def image(self, kubernetes: str) -> NodeImage:
        """The pinned image for ``1.35``, ``v1.35`` or ``1.35.0``; a refusal naming the pinned ones otherwise."""
        known = ", ".join(show_version(i.kubernetes) for i in self.images)
        try:
            wanted = parse_version(kubernetes)
        except ValueError:
            raise ClusterInputError(f"kubernetes version={kubernetes!r} is not a release number",
                                    hint=f"use one of: {known}") from None
        for image in self.images:
            if image.kubernetes[: len(wanted)] == wanted and len(wanted) >= 2:
                return image
        raise ClusterInputError(
            f"kubernetes version={kubernetes!r} has no pinned kind node image",
            hint=f"use one of: {known} (add an image with its digest to {self.root / 'node-images.yaml'})")


# -- reading ---------------------------------------------------------------------------------------------------


def default_root() -> Path:
    """``$RAYJOB_HARNESS_CLUSTERS``, else the ``clusters/`` folder of the source checkout the harness runs from."""
    configured = os.environ.get(CATALOG_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "clusters"


def _read(path: Path) -> Node:
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClusterInputError(f"catalog file={display!r} cannot be read: {exc.strerror or exc}",
                                pos=SourcePos(display),
                                hint=f"point --clusters (or ${CATALOG_ENV}) at the harness's clusters/ folder"
                                ) from None
    try:
        documents = parse_yaml(text, display)
    except ScenarioError as exc:
        raise ClusterInputError(exc.message, pos=exc.pos, hint=exc.hint) from None
    if len(documents) != 1 or not documents[0].is_mapping:
        raise config_error("a catalog file holds one YAML mapping", SourcePos(display, 1),
                           "see the other files in the folder for the form")
    return documents[0]


def _field(node: Node, key: str, what: str, example: str) -> Node:
    child = node.get(key)
    if child is None:
        raise config_error(f"{what} has no {key!r}", node.pos, f"add {example}")
    return child


def _keys(node: Node, allowed: tuple[str, ...], what: str) -> None:
    for key in node.fields:
        if key not in allowed:
            raise config_error(f"unknown key={key!r} in {what}", node.pos_of_key(key),
                               f"keys are: {', '.join(allowed)}")


def _text(node: Node, what: str, example: str) -> str:
    if isinstance(node.value, bool) or not isinstance(node.value, (str, int, float)) or node.value == "":
        raise config_error(f"{what}={node.value!r} is not a string", node.pos, f"write {example}")
    return str(node.value)


def _version(node: Node, what: str) -> Version:
    text = _text(node, what, '"1.35.0"')
    try:
        return parse_version(text)
    except ValueError:
        raise config_error(f"{what}={text!r} is not a release number", node.pos, 'write "1.35.0"') from None


def _bool(node: Node, what: str) -> bool:
    if not isinstance(node.value, bool):
        raise config_error(f"{what}={node.value!r} is not true or false", node.pos, "write true or false")
    return node.value


def _image_entry(node: Node) -> NodeImage:
    if not node.is_mapping:
        raise config_error("a node image entry is a mapping", node.pos,
                           "write {kubernetes: 1.35.0, image: kindest/node:v1.35.0@sha256:..., kind: 0.31.0}")
    _keys(node, ("kubernetes", "image", "kind"), "a node image entry")
    kubernetes = _version(_field(node, "kubernetes", "a node image entry", "kubernetes: 1.35.0"), "kubernetes")
    image_node = _field(node, "image", "a node image entry", "image: kindest/node:v1.35.0@sha256:<digest>")
    image = _text(image_node, "image", "kindest/node:v1.35.0@sha256:<digest>")
    match = _IMAGE.match(image)
    if match is None:
        raise config_error(f"image={image!r} is not pinned by digest", image_node.pos,
                           "write REPOSITORY:vX.Y.Z@sha256:<64 hex digits>, as in kind's release notes")
    if parse_version(match.group("tag")) != kubernetes:
        raise config_error(f"image={image!r} is tagged for another release than kubernetes="
                           f"{show_version(kubernetes)}", image_node.pos, "make the tag and kubernetes agree")
    kind_release = _version(_field(node, "kind", "a node image entry", "kind: 0.31.0"), "kind")
    return NodeImage(kubernetes, image, kind_release, node.pos)


def read_images(path: Path) -> tuple[NodeImage, ...]:
    root = _read(path)
    _keys(root, ("images",), "node-images.yaml")
    entries = _field(root, "images", "node-images.yaml", "images: [...]")
    if not entries.is_sequence or not entries.items:
        raise config_error("images is not a non-empty list", entries.pos, "list one entry per Kubernetes release")
    images = tuple(_image_entry(item) for item in entries)
    seen: dict[str, NodeImage] = {}
    for image in images:
        if image.minor in seen:
            raise config_error(f"kubernetes minor {image.minor} is pinned twice (first at line "
                               f"{seen[image.minor].pos.line})", image.pos, "keep one image per minor release")
        seen[image.minor] = image
    return tuple(sorted(images, key=lambda i: i.kubernetes, reverse=True))


def _gate(name: str, node: Node, pos: SourcePos) -> GateInfo:
    if not _GATE_NAME.match(name):
        raise config_error(f"feature gate name={name!r} is not a gate name", pos, "gates are CamelCase names")
    if not node.is_mapping:
        raise config_error(f"feature gate {name} is not a mapping", node.pos, "write {default: false}")
    _keys(node, ("default", "chart", "kubernetes", "unsupported"), f"feature gate {name}")
    default = _bool(_field(node, "default", f"feature gate {name}", "default: false"), f"{name}.default")
    chart = _bool(node.fields["chart"], f"{name}.chart") if "chart" in node.fields else None
    minimum = _version(node.fields["kubernetes"], f"{name}.kubernetes") if "kubernetes" in node.fields else None
    unsupported = _text(node.fields["unsupported"], f"{name}.unsupported", "a reason") \
        if "unsupported" in node.fields else None
    return GateInfo(name, default, chart, minimum, unsupported)


_PROFILE_KEYS: Final = ("kuberay", "helm", "manifests", "operator_image", "kubernetes", "feature_gates", "env")


def read_profile(path: Path) -> InstallProfile:
    root = _read(path)
    what = path.name
    _keys(root, _PROFILE_KEYS, what)
    kuberay = _version(_field(root, "kuberay", what, "kuberay: 1.7.0"), "kuberay")
    key = show_version(kuberay[:2])
    if path.stem != key:
        raise config_error(f"{what} describes kuberay={show_version(kuberay)}", root.pos_of_key("kuberay"),
                           f"name the file {key}.yaml")
    helm = _field(root, "helm", what, "helm: {repository: ..., chart: kuberay-operator, version: 1.7.0}")
    if not helm.is_mapping:
        raise config_error("helm is not a mapping", helm.pos, "write {repository: URL, chart: NAME, version: X}")
    _keys(helm, ("repository", "chart", "version"), "helm")
    chart = HelmChart(_text(_field(helm, "repository", "helm", "repository: URL"), "repository", "a URL"),
                      _text(_field(helm, "chart", "helm", "chart: kuberay-operator"), "chart", "kuberay-operator"),
                      _text(_field(helm, "version", "helm", "version: 1.7.0"), "version", "1.7.0"))
    if chart.version.startswith("v"):
        raise config_error(f"helm chart version={chart.version!r} has a 'v'", helm.fields["version"].pos,
                           "chart versions carry no v prefix: write 1.7.0")
    k8s = _field(root, "kubernetes", what, 'kubernetes: {default: "1.35", minimum: "1.23"}')
    if not k8s.is_mapping:
        raise config_error("kubernetes is not a mapping", k8s.pos, 'write {default: "1.35", minimum: "1.23"}')
    _keys(k8s, ("default", "minimum"), "kubernetes")
    default_k8s = _field(k8s, "default", "kubernetes", 'default: "1.35"')
    _version(default_k8s, "kubernetes.default")
    minimum = _version(_field(k8s, "minimum", "kubernetes", 'minimum: "1.23"'), "kubernetes.minimum")
    gates_node = _field(root, "feature_gates", what, "feature_gates: {RayJobDeletionPolicy: {default: true}}")
    if not gates_node.is_mapping:
        raise config_error("feature_gates is not a mapping", gates_node.pos, "map each gate name to its facts")
    gates = tuple(_gate(name, child, gates_node.pos_of_key(name)) for name, child in gates_node.fields.items())
    env_node = _field(root, "env", what, "env: [DELETE_RAYJOB_CR_AFTER_JOB_FINISHES, ...]")
    if not env_node.is_sequence:
        raise config_error("env is not a list", env_node.pos, "list the variable names the operator reads")
    env = tuple(_text(item, "env name", "DELETE_RAYJOB_CR_AFTER_JOB_FINISHES") for item in env_node)
    for item, name in zip(env_node.items, env, strict=True):
        if not _ENV_NAME.match(name):
            raise config_error(f"env name={name!r} is not an environment variable name", item.pos,
                               "write names in capitals, e.g. DELETE_RAYJOB_CR_AFTER_JOB_FINISHES")
    return InstallProfile(
        key=key, kuberay=kuberay, chart=chart,
        manifests=_text(_field(root, "manifests", what, "manifests: github.com/...?ref=v1.7.0"), "manifests",
                        "a kustomize remote base"),
        operator_image=_text(_field(root, "operator_image", what, "operator_image: quay.io/kuberay/operator:v1.7.0"),
                             "operator_image", "quay.io/kuberay/operator:v1.7.0"),
        default_kubernetes=str(default_k8s.value), min_kubernetes=minimum, gates=gates, env=env,
        pos=root.pos)


def load_catalog(root: Path | None = None) -> Catalog:
    """Read ``node-images.yaml`` and every ``kuberay/*.yaml`` under ``root`` (default: :func:`default_root`)."""
    folder = root if root is not None else default_root()
    if not folder.is_dir():
        raise ClusterInputError(f"cluster catalog folder={str(folder)!r} does not exist",
                                hint=f"pass --clusters DIR or set ${CATALOG_ENV} to the harness's clusters/ folder")
    images = read_images(folder / "node-images.yaml")
    profile_files = sorted((folder / "kuberay").glob("*.yaml"))
    if not profile_files:
        raise ClusterInputError(f"no KubeRay install profiles in {folder / 'kuberay'}",
                                hint="each release has a file such as kuberay/1.7.yaml")
    profiles = tuple(sorted((read_profile(path) for path in profile_files), key=lambda p: p.kuberay))
    catalog = Catalog(folder, images, profiles)
    for profile in profiles:
        try:
            catalog.image(profile.default_kubernetes)
        except ClusterInputError as exc:
            raise config_error(f"kubernetes default={profile.default_kubernetes!r} of KubeRay {profile.key} has "
                               "no pinned node image", profile.pos, exc.hint or "") from None
    return catalog

