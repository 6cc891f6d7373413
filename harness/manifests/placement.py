"""Where a field that is unknown at one level was probably meant to go: the nearest place a schema has it.

People write ``spec.headGroupSpec`` for ``spec.rayClusterSpec.headGroupSpec``, ``template.containers`` for
``template.spec.containers``, an ``image`` on a worker group instead of on its container. The API server only
says "unknown field"; :func:`placement` searches the schema for a field of the same name, first below the
level where it was written, then below each level above it, and answers the nearest one.

Array levels below the written place are shown as ``[*]`` (any item); levels above keep the written indices.
Maps with free keys and opaque nodes are not searched (any key fits there, so nothing can be meant).

Not here: the wording of the advice (:mod:`.hints`); checking the value as if it were moved (the validator).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

from .positions import split_path
from .schema_nodes import Schema

_BELOW_PARENT: Final = 4  # levels searched below the written parent (worker group -> template.spec.containers[*])
_BELOW_ANCESTOR: Final = 2  # levels searched below each level further up


@dataclass(frozen=True)
class Placement:
    """A place the schema has the field: its path (``[*]`` for any list item) and its schema node."""

    path: str
    node: Schema


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part.isdigit() or part == "*":
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _child(node: Schema, part: str) -> Schema | None:
    if node.type == "array":
        return node.items if part.isdigit() or part == "*" else None
    return node.properties.get(part) if node.properties is not None else None


def _at(root: Schema, parts: list[str]) -> Schema | None:
    node: Schema | None = root
    for part in parts:
        if node is None:
            return None
        node = _child(node, part)
    return node


def _search(start: Schema, name: str, depth: int, skip: Schema | None) -> list[str] | None:
    """Breadth first below ``start``: the relative parts of the nearest field called ``name`` (any case)."""
    wanted = name.lower()
    queue: deque[tuple[Schema, list[str]]] = deque([(start, [])])
    while queue:
        node, parts = queue.popleft()
        if sum(part != "*" for part in parts) >= depth:  # list items are not a level of their own
            continue
        if node.type == "array" and node.items is not None:
            queue.append((node.items, [*parts, "*"]))
            continue
        for key, child in (node.properties or {}).items():
            if key.lower() == wanted:
                return [*parts, key]
            if child is not skip:
                queue.append((child, [*parts, key]))
    return None


def placement(root: Schema, path: str) -> Placement | None:
    """Where the last field of ``path`` (unknown at its level) exists in ``root``, nearest first; None if nowhere."""
    parts = split_path(path)
    if not parts:
        return None
    name, parent = parts[-1], parts[:-1]
    searched: Schema | None = None
    for level in range(len(parent), -1, -1):
        base = parent[:level]
        node = _at(root, base)
        if node is None:
            continue
        depth = _BELOW_PARENT if level == len(parent) else _BELOW_ANCESTOR
        found = _search(node, name, depth, searched)
        if found is not None:
            target = _at(node, found)
            if target is not None and [*base, *found] != parts:
                return Placement(_join([*base, *found]), target)
        searched = node
    return None
