"""A scenario file's ``defaults:`` entry: settings every scenario of the file has unless it sets them itself.

A suite of scenarios about one topic shares its releases, executor script, operator settings and named timeouts;
writing them once at the top of the file keeps each scenario about its behaviour. The entry is the file's first
document or first list item. Merging works on the YAML nodes, so an error in a default is still reported at the
line of the ``defaults:`` entry where it is written, for every scenario that inherits it.

Not here: reading the settings themselves (:mod:`.loader`).
"""

from __future__ import annotations

from typing import Final

from .parsing import check_keys, fail, mapping, suggest
from .source import Node

# What a file's `defaults:` may give every scenario of the file; `timeouts` and `operator` merge key by key.
DEFAULT_KEYS: Final = ("kuberay", "backends", "executors", "executor", "operator", "paths", "timeouts", "markers",
                       "apply", "finally")
_MERGED: Final = {"timeouts": (), "operator": ("env", "feature_gates")}


def _merged(base: Node, own: Node, nested: tuple[str, ...] = ()) -> Node:
    """``own`` over ``base``: keys of ``own`` win; those named in ``nested`` are merged one level further."""
    fields = dict(base.fields)
    key_pos = dict(base.key_pos)
    for key, child in own.fields.items():
        if key in nested and key in fields and child.is_mapping and fields[key].is_mapping:
            child = _merged(fields[key], child)
        fields[key] = child
        key_pos[key] = own.pos_of_key(key)
    value = {key: child.value for key, child in fields.items()}
    return Node(value, own.pos, own.end_line, fields=fields, key_pos=key_pos)


def with_defaults(node: Node, defaults: Node | None) -> Node:
    """A scenario's node with the file's defaults filled in where the scenario does not say."""
    if defaults is None or not node.is_mapping:
        return node
    fields = dict(node.fields)
    key_pos = dict(node.key_pos)
    for key, child in defaults.fields.items():
        if key not in fields:
            fields[key], key_pos[key] = child, defaults.pos_of_key(key)
        elif key in _MERGED and child.is_mapping and fields[key].is_mapping:
            fields[key] = _merged(child, fields[key], _MERGED[key])
    value = {key: child.value for key, child in fields.items()}
    return Node(value, node.pos, node.end_line, fields=fields, key_pos=key_pos)


def file_defaults(node: Node) -> Node:
    """The body of a file's ``defaults:`` mapping, checked."""
    check_keys(node, ("defaults",), "the defaults entry")
    body = mapping(node.fields["defaults"], "defaults", "defaults: {kuberay: \">=1.5\", timeouts: {long: 1h}}")
    for key in body.fields:
        if key not in DEFAULT_KEYS:
            close = suggest(key, DEFAULT_KEYS)
            raise fail(f"unknown key={key!r} in defaults", body.pos_of_key(key),
                       (f"did you mean {close!r}? " if close else "") +
                       f"defaults may set: {', '.join(DEFAULT_KEYS)} (names, steps and descriptions are per scenario)")
    return body
