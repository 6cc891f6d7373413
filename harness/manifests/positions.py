"""YAML to plain JSON data, keeping the line and column of every mapping key and sequence item.

kubectl turns YAML into JSON with go-yaml v2 (YAML 1.1) before anything reaches the API server; this converter
gives the same data: ``yes``/``no`` are booleans, timestamps stay strings, keys become strings, floats without a
fraction become integers (Go's JSON encoder writes ``2.0`` as ``2``) and a key given twice keeps its last value.
Alongside, a :class:`PositionTree` remembers where each key and item was written, so an error about
``spec.rayClusterSpec.workerGroupSpecs[0].rayStartParams`` can point at a line.

Not here: splitting files into manifests and checking kinds (:mod:`.loader`).
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from .._util.yamllimits import LimitedSafeLoader, SafeConstruction, YamlLimitError

# go-yaml v2 reads a plain scalar as a float when it looks like one, exponent without a dot included (1e3)
_GO_FLOAT: Final = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_FLOAT_TAG: Final = "tag:yaml.org,2002:float"


class JsonLoader(LimitedSafeLoader):
    """The bounded safe loader with go-yaml v2's implicit types: no timestamps or ``=``, and floats as go-yaml
    spells them."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")]
        + ([(_FLOAT_TAG, _GO_FLOAT)] if first in "+-.0123456789" else [])
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


# libyaml's parser with the same resolvers gives the same data and positions about ten times faster; PyYAML is
# built without it on some platforms, so it is optional. Its composer has no limits: the loader checks the text
# before (may_nest_deeper) and the composed graph after (check_composed), and uses JsonLoader when either fails.
FastJsonLoader: type[yaml.CSafeLoader] | None = (
    type("FastJsonLoader", (SafeConstruction, yaml.CSafeLoader),
         {"yaml_implicit_resolvers": JsonLoader.yaml_implicit_resolvers})
    if getattr(yaml, "__with_libyaml__", False) else None)


@dataclass
class PositionTree:
    """Where a node was written (1-based line and column) and where its keys or items were."""

    line: int
    column: int
    keys: dict[str, PositionTree] = field(default_factory=dict)
    items: list[PositionTree] = field(default_factory=list)

    def find(self, path: str) -> PositionTree:
        """The node at ``path``, or the nearest existing parent. Keys with dots (``ray.io/cluster``) match too."""
        node = self
        parts = split_path(path)
        i = 0
        while i < len(parts):
            if node.items and parts[i].isdigit():
                position = int(parts[i])
                if position >= len(node.items):
                    return node
                node, i = node.items[position], i + 1
                continue
            for width in range(len(parts) - i, 0, -1):  # longest key first: label keys may contain dots
                key = ".".join(parts[i:i + width])
                if key in node.keys:
                    node, i = node.keys[key], i + width
                    break
            else:
                return node
        return node


_PATH_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def split_path(path: str) -> list[str]:
    """``a.b[0].c[ray.io/x]`` -> ``["a", "b", "0", "c", "ray.io/x"]``; bracket contents stay whole."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _PATH_PART.finditer(path)]


@dataclass
class Converted:
    value: Any
    tree: PositionTree
    duplicates: list[str]


def convert(node: yaml.Node, loader: JsonLoader | Any) -> Converted:
    """Turn a composed YAML node into JSON data plus its position tree."""
    duplicates: list[str] = []
    value, tree = _convert(node, loader, "", duplicates)
    return Converted(value, tree, duplicates)


def _key_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class NotJson(YamlLimitError):
    """YAML that has no JSON form (``.inf``, ``.nan``): kubectl fails to convert it before any request."""


def _scalar(node: yaml.ScalarNode, loader: JsonLoader | Any) -> Any:
    if node.tag in _NUMBER_TAGS and ":" in node.value:
        return node.value  # YAML 1.1 base-60 numbers (10:30): go-yaml keeps them as text
    value = loader.construct_object(node, deep=True)
    if node.tag in _NUMBER_TAGS and not node.style and not isinstance(value, bool):  # plain: None, or "" (libyaml)
        value = _go_yaml_number(node, value)
    if isinstance(value, float) and not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise NotJson(f"json: unsupported value: {shown}", node.start_mark,
                      hint="Kubernetes objects are JSON, which has no infinity or NaN: write a number, or quote the "
                           "value if it is text")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, bytes):  # !!binary arrives as base64 text, as Go's []byte marshals
        return base64.b64encode(value).decode()
    return value


def _go_yaml_number(node: yaml.ScalarNode, value: Any) -> Any:
    """A plain number as go-yaml v2 resolves it: an integer beyond 64 bits becomes a float, and a number beyond
    float64 stays text (only ``.inf`` and ``.nan`` are infinite)."""
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        if not _GO_FLOAT.match(node.value.replace("_", "")):
            return node.value  # hexadecimal, octal, binary: not a float to go-yaml either
        try:
            return float(value)
        except OverflowError:
            return node.value
    if isinstance(value, float) and math.isinf(value) and "inf" not in node.value.lower():
        return node.value
    return value


def _convert(node: yaml.Node, loader: JsonLoader | Any, path: str,
             duplicates: list[str]) -> tuple[Any, PositionTree]:
    tree = PositionTree(node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve << merge keys as go-yaml does
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key_text(loader.construct_object(key_node, deep=True)) \
                if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child_path = f"{path}.{key}" if path else key
            if key in result:
                duplicates.append(child_path)
            result[key], child = _convert(value_node, loader, child_path, duplicates)
            child.line, child.column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            tree.keys[key] = child
        return result, tree
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for position, item_node in enumerate(node.value):
            item, child = _convert(item_node, loader, f"{path}[{position}]", duplicates)
            items.append(item)
            tree.items.append(child)
        return items, tree
    return _scalar(node, loader), tree  # type: ignore[arg-type]
