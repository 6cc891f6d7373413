"""Inline and patched manifests, validated as the API server would, with the scenario file's own positions.

A manifest file is validated with its own file:line when the scenario is loaded (:mod:`.steps`). An object
written inline in a scenario, or a file's object changed by ``patch:``, exists only in the scenario, so what the
API server would refuse must be reported there: this module builds a :class:`~harness.manifests.Manifest`
whose positions are those of the scenario's YAML and asks :func:`~harness.manifests.validate_manifest`, raising
:class:`~harness.errors.ManifestError` at the offending field, with the API server's text and a hint.

An object holding ``${bindings}`` cannot be judged before the bindings have values; the runner calls
:func:`check_manifest_object` on it when the step runs, with the same positions. Nothing else is left for run
time.

Not here: reading manifest files (``harness.manifests``), the step parsers (:mod:`.steps`), applying objects
(``harness.runner.steps``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from ..errors import ManifestError
from ..manifests import Manifest, raise_for_errors, validate_manifest
from ..manifests.loader import check_identity
from ..manifests.positions import PositionTree
from .model import ManifestObject
from .source import Node
from .templates import references, render_value, strings_in

INLINE: Final = "inline"  # the origin of an object written in the scenario itself


def positions_of(node: Node) -> PositionTree:
    """Where each key and item of a scenario YAML node is written, in the form manifests keep positions."""
    tree = PositionTree(node.pos.line, node.pos.column)
    for key, child in node.fields.items():
        sub = positions_of(child)
        where = node.pos_of_key(key)
        sub.line, sub.column = where.line, where.column  # a field is reported where its key is, as in manifests
        tree.keys[key] = sub
    tree.items = [positions_of(item) for item in node.items]
    return tree


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(json_value(key))


def json_value(value: Any) -> Any:
    """YAML data as kubectl sends it: string keys, ``2.0`` as ``2``, dates as the text written."""
    if isinstance(value, Mapping):
        return {_key_text(key): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)  # Go's JSON encoder writes 2.0 as 2, so an integer field accepts it
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()  # go-yaml leaves timestamps as strings
    return value


def has_bindings(value: Any) -> bool:
    """True when ``value`` refers to a binding (``${name}``; a literal ``$${`` does not count)."""
    return any(references(text) for text in strings_in(value) if "${" in text)


def _no_binding(name: str) -> Any:
    raise KeyError(name)  # never called: objects without references are rendered only to turn $${ into ${


def manifest_object(value: Mapping[str, Any], node: Node, origin: str = INLINE) -> ManifestObject:
    """A :class:`ManifestObject` for an inline object (``origin`` "inline") or a file's object with a patch
    (``origin`` the file's ``path:line``, ``node`` the patch), validated now unless it holds bindings.

    ``node`` gives the positions: the inline object's own YAML, or the patch's (fields the patch does not
    write are reported at the patch, which made the object what it is).
    """
    data = json_value(value)
    deferred = has_bindings(data)
    obj = ManifestObject(data, origin, node.pos, inline=True, positions=positions_of(node), checked_at_run=deferred)
    if not deferred:
        check_manifest_object(obj, render_value(data, _no_binding))
    return obj


def check_manifest_object(obj: ManifestObject, body: Mapping[str, Any]) -> None:
    """Raise :class:`ManifestError` at the scenario's line when the API server would refuse ``body``.

    ``body`` is ``obj`` as it is applied (bindings filled in). ``metadata.namespace`` is left out, because the
    runner replaces it with the scenario's namespace.
    """
    data: dict[str, Any] = deep_copy(dict(body))
    meta = data.get("metadata")
    if isinstance(meta, dict):
        meta.pop("namespace", None)
    positions = obj.positions if obj.positions is not None else PositionTree(obj.pos.line, obj.pos.column)
    manifest = Manifest(data, obj.pos.path, obj.pos.line, positions)
    try:
        check_identity(manifest)
        raise_for_errors(validate_manifest(manifest), manifest)
    except ManifestError as exc:
        # The API server's text may span lines (a 422 lists its causes), so what was refused comes first.
        what = "inline manifest" if obj.origin == INLINE else f"{obj.origin} with this patch"
        raise ManifestError(f"{what}: {exc.message}", hint=exc.hint, pos=exc.pos) from None
