"""Reading Kubernetes manifests from YAML files the way ``kubectl apply -f`` does, with positions kept.

A file holds any number of YAML documents; empty documents are skipped and a ``kind: List`` expands into its
``items``. Each object becomes a :class:`Manifest`: plain JSON data plus where it came from, so later errors can
name ``file:line``. A directory argument loads every ``*.yaml``/``*.yml`` file in it, sorted by name.

Problems kubectl itself would stop at are raised here as :class:`~harness.errors.ManifestError`: text that is
not YAML, a document that is not a mapping, a missing ``apiVersion``/``kind``/``metadata.name`` (a
``generateName`` will do), a kind the simulator does not model, and an apiVersion not served for the kind.

Not here: what the API server then does with the object (:mod:`.validate`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._util.files import kind_of, shown
from .._util.yamllimits import YamlLimitError, check_composed, may_nest_deeper
from ..errors import ManifestError, SourcePos
from ..model.kinds import ALL_TYPES, resource_type
from .positions import FastJsonLoader, JsonLoader, NotJson, PositionTree, convert


def _empty_tree() -> PositionTree:
    return PositionTree(1, 1)


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object as written in a file.

    ``line`` is the line where the object starts; :meth:`pos` finds the line and column of any dotted path.
    ``duplicate_keys`` lists keys written twice (kubectl silently keeps the last one).
    """

    obj: dict[str, Any]
    source: str
    line: int
    positions: PositionTree = field(default_factory=_empty_tree, repr=False, compare=False)
    duplicate_keys: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata")
        return str(meta.get("name") or meta.get("generateName") or "") if isinstance(meta, dict) else ""

    @property
    def namespace(self) -> str:
        meta = self.obj.get("metadata")
        return str(meta.get("namespace") or "") if isinstance(meta, dict) else ""

    def pos(self, path: str) -> SourcePos:
        """Where ``path`` (``spec.rayClusterSpec.headGroupSpec``, ``spec.workerGroupSpecs[0]``) was written.

        A path that does not exist falls back to its nearest existing parent, then to the object's start.
        """
        node = self.positions.find(path) if path and path != "<nil>" else self.positions
        return SourcePos(self.source, node.line, node.column)


def load_manifests(path: str | Path) -> list[Manifest]:
    """Every object in a file, or in every ``*.yaml``/``*.yml`` file of a directory (sorted by file name)."""
    location = Path(path)
    kind, problem = kind_of(location)
    if problem is not None:
        raise ManifestError(f"manifest path={shown(location)} cannot be used: {problem}",
                            hint="give the path of a manifest file or of a folder of them")
    if kind == "dir":
        files = sorted(p for p in location.iterdir() if kind_of(p)[0] == "file" and p.suffix in (".yaml", ".yml"))
        return [manifest for file in files for manifest in _load_file(file)]
    if kind == "missing":
        raise ManifestError(f"manifest file not found path={shown(location)}",
                            hint="check the path; relative paths are resolved from the current directory")
    return _load_file(location)


def _load_file(file: Path) -> list[Manifest]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest file cannot be read path={shown(file)}: {exc}",
                            hint="manifests are UTF-8 text files") from None
    return parse_manifests(text, str(file))


def parse_manifests(text: str, source: str, *, checked: bool = True) -> list[Manifest]:
    """Every object in a YAML text; ``source`` names the file in positions and errors.

    With ``checked=False`` the identity of each object (:func:`check_identity`) is left to the caller, which can
    then report every object's problem instead of stopping at the first.
    """
    manifests = None
    if FastJsonLoader is not None and not may_nest_deeper(text):  # libyaml: same data, ten times faster
        try:
            manifests = _documents(FastJsonLoader(text), source, check=True)
        except yaml.YAMLError:
            manifests = None  # parse again in Python, whose error messages are the ones we word
    if manifests is None:
        manifests = _documents_or_error(text, source)
    if checked:
        for manifest in manifests:
            check_identity(manifest)
    return manifests


def _documents(loader: JsonLoader | Any, source: str, *, check: bool = False) -> list[Manifest]:
    """The objects a loader composes; yaml.YAMLError for text that is not YAML. ``check`` applies the limits
    of :mod:`harness._util.yamllimits` to a graph its bounded composer did not build (libyaml's)."""
    manifests: list[Manifest] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
                continue  # an empty document, e.g. a trailing '---'
            if check:
                check_composed(node)
            converted = convert(node, loader)
            start = SourcePos(source, node.start_mark.line + 1, node.start_mark.column + 1)
            if not isinstance(converted.value, dict):
                raise ManifestError(f"document is not a mapping (found a {_yaml_kind(converted.value)})", pos=start,
                                    hint="each YAML document must be one Kubernetes object: apiVersion, kind, "
                                         "metadata, spec")
            manifest = Manifest(converted.value, source, start.line, converted.tree,
                                tuple(converted.duplicates))
            manifests.extend(_expand_list(manifest))
    finally:
        loader.dispose()
    return manifests


def _documents_or_error(text: str, source: str) -> list[Manifest]:
    """The objects, parsed in Python; ManifestError with the place and a hint for text that is not YAML."""
    try:
        return _documents(JsonLoader(text), source)  # reading starts in JsonLoader: a control character fails there
    except NotJson as exc:
        raise ManifestError(f"manifest cannot be converted to JSON: {exc.problem}", pos=_mark_pos(source, exc),
                            hint=exc.hint) from None
    except YamlLimitError as exc:
        raise ManifestError(f"manifest is not valid YAML: {exc.problem}", pos=_mark_pos(source, exc),
                            hint=exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = SourcePos(source, mark.line + 1, mark.column + 1) if mark else SourcePos(source)
        problem = exc.problem or exc.context or "unknown problem"
        raise ManifestError(f"manifest is not valid YAML: {problem}", pos=pos,
                            hint="check indentation (spaces, not tabs) and that every 'key: value' is on its own "
                                 "line; quote values that contain ': ' or start with special characters") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"manifest is not valid YAML: {exc}", pos=SourcePos(source),
                            hint="the file must be YAML or JSON text") from None


def _mark_pos(source: str, exc: yaml.MarkedYAMLError) -> SourcePos:
    mark = exc.problem_mark
    return SourcePos(source, mark.line + 1, mark.column + 1) if mark else SourcePos(source)


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "string" if isinstance(value, str) else "scalar"


def _expand_list(manifest: Manifest) -> list[Manifest]:
    """``kind: List`` (what ``kubectl get -o yaml`` writes) holds objects in ``items``."""
    if manifest.obj.get("kind") != "List" or "items" not in manifest.obj:
        return [manifest]
    items = manifest.obj["items"]
    tree = manifest.positions.keys.get("items")
    if not isinstance(items, list) or tree is None:
        raise ManifestError("kind: List has no list of items", pos=manifest.pos("items"),
                            hint="'items:' must be a YAML list of Kubernetes objects")
    expanded = []
    for position, item in enumerate(items):
        node = tree.items[position]
        if not isinstance(item, dict):
            raise ManifestError(f"item {position} of kind: List is not a mapping",
                                pos=SourcePos(manifest.source, node.line, node.column),
                                hint="each item must be one Kubernetes object")
        prefix = f"items[{position}]."
        duplicates = tuple(d[len(prefix):] for d in manifest.duplicate_keys if d.startswith(prefix))
        expanded.append(Manifest(item, manifest.source, node.line, node, duplicates))
    return expanded


def kind_meant(kind: str) -> str | None:
    """The modelled kind a misspelt one most likely means (``Rayjob``, ``RayJobs``, ``Raycluster``), or None."""
    kinds = [rt.kind for rt in ALL_TYPES]
    folded = {k.lower(): k for k in kinds}
    if kind.lower() in folded:
        return folded[kind.lower()]
    close = difflib.get_close_matches(kind.lower(), list(folded), n=1, cutoff=0.85)
    return folded[close[0]] if close else None


_SUPPORTED = ", ".join(f"{rt.kind} ({rt.api_version})" for rt in ALL_TYPES)


def check_identity(manifest: Manifest) -> None:
    """apiVersion, kind and a name are present, and the kind is modelled and served at that apiVersion."""
    obj = manifest.obj
    for key, example in (("apiVersion", "apiVersion: ray.io/v1"), ("kind", "kind: RayJob")):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise ManifestError(f"manifest has no {key}", pos=manifest.pos(key),
                                hint=f"every Kubernetes object starts with apiVersion and kind, e.g. '{example}'")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise ManifestError(f"{manifest.kind} has no metadata", pos=manifest.pos("metadata"),
                            hint="add 'metadata:' with a 'name:' for the object")
    if not (isinstance(meta.get("name"), str) and meta["name"]) and not meta.get("generateName"):
        raise ManifestError(f"{manifest.kind} has no metadata.name", pos=manifest.pos("metadata"),
                            hint="add 'name: <lowercase-name>' under metadata (or generateName for a prefix)")
    rtype = resource_type(manifest.kind)
    if rtype is None:
        meant = kind_meant(manifest.kind)
        hint = f"did you mean {meant!r}? Kinds are case-sensitive" if meant else f"supported kinds: {_SUPPORTED}"
        raise ManifestError(f"kind={manifest.kind!r} is not modelled by the simulator", pos=manifest.pos("kind"),
                            hint=hint)
    if not rtype.serves(manifest.api_version):
        served = ", ".join(f"{rtype.group}/{v}" if rtype.group else v
                           for v in (rtype.served_versions or (rtype.version,)))
        raise ManifestError(
            f'no matches for kind "{manifest.kind}" in version "{manifest.api_version}"',
            pos=manifest.pos("apiVersion"), hint=f"{manifest.kind} is served as: {served}")
