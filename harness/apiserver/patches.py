"""The three patch formats a Kubernetes API server applies: JSON merge, JSON patch, strategic merge.

- ``application/merge-patch+json`` (RFC 7386): maps merge, ``null`` deletes, lists are replaced.
- ``application/json-patch+json`` (RFC 6902): add, remove, replace, move, copy and test on JSON pointers.
- ``application/strategic-merge-patch+json``, for built-in kinds only (custom resources answer 415): lists whose
  Go field carries a patch merge key (containers by ``name``, container ports by ``containerPort``, Service ports
  by ``port``...) are merged element by element, primitive lists with the merge strategy (``finalizers``) are
  unions, and the directives kubectl sends on a second ``apply`` are honoured (``$patch``, ``$retainKeys``,
  ``$setElementOrder/<field>``, ``$deleteFromPrimitiveList/<field>``).

Server-side apply (``application/apply-patch+yaml``) is handled by :mod:`.rest` as create-or-merge.

Not here: validating the result (the same path as a create).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy, merge_patch

Obj = dict[str, Any]


class PatchError(ValueError):
    """A patch that cannot be applied; ``code`` is the HTTP status the API server answers with."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


# -- RFC 6902 ------------------------------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'add operation does not apply: doc is missing path: "{path}": missing value')
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], op: str, path: str) -> tuple[Any, str]:
    current = doc
    for part in parts[:-1]:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return current, parts[-1]


def _index(container: list[Any], key: str, op: str, path: str, *, inserting: bool) -> int:
    if key == "-" and inserting:
        return len(container)
    if not key.isdigit() or int(key) > len(container) or (int(key) == len(container) and not inserting):
        raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return int(key)


def _get(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent, key = _parent(doc, parts, op, path)
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    if isinstance(parent, list):
        return parent[_index(parent, key, op, path, inserting=False)]
    raise PatchError(f'{op} operation does not apply: doc is missing key: "{path}": missing value')


def _remove(doc: Any, path: str, op: str) -> Any:
    parent, key = _parent(doc, _pointer(path), op, path)
    if isinstance(parent, dict):
        if key not in parent:
            raise PatchError(f'{op} operation does not apply: doc is missing key: "{path}": missing value')
        return parent.pop(key)
    if isinstance(parent, list):
        return parent.pop(_index(parent, key, op, path, inserting=False))
    raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')


def _add(doc: Any, path: str, value: Any, op: str, *, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent, key = _parent(doc, parts, op, path)
    if isinstance(parent, dict):
        if replace and key not in parent:
            raise PatchError(f'replace operation does not apply: doc is missing key: {path}: missing value')
        parent[key] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(parent, key, op, path, inserting=False)] = value
        else:
            parent.insert(_index(parent, key, op, path, inserting=True), value)
    else:
        raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """Apply RFC 6902 ``operations`` to a copy of ``target``."""
    if not isinstance(operations, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", code=400)
    doc = deep_copy(target)
    for operation in operations:
        if not isinstance(operation, Mapping) or "op" not in operation:
            raise PatchError("Unexpected kind: <nil>", code=400)
        op, path = str(operation["op"]), str(operation.get("path", ""))
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"{op} operation has no value", code=400)
        if op == "add":
            doc = _add(doc, path, deep_copy(operation["value"]), op)
        elif op == "replace":
            doc = _add(doc, path, deep_copy(operation["value"]), op, replace=True)
        elif op == "remove":
            _remove(doc, path, op)
        elif op in ("move", "copy"):
            source = str(operation.get("from", ""))
            value = _remove(doc, source, op) if op == "move" else deep_copy(_get(doc, source, op))
            doc = _add(doc, path, value, op)
        elif op == "test":
            if _get(doc, path, op) != operation["value"]:
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {op}", code=400)
    return doc


# -- strategic merge patch -----------------------------------------------------------------------------------------

# field name -> patch merge key, from the Go types' struct tags (patchStrategy:"merge" patchMergeKey:"...")
MERGE_KEYS: Final[Mapping[str, str]] = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "ownerReferences": "uid", "hostAliases": "ip", "conditions": "type", "resourceClaims": "name",
    "ports": "containerPort",
}
PRIMITIVE_MERGE: Final = frozenset({"finalizers"})


def _merge_key(field: str, path: str, kind: str) -> str | None:
    if field == "ports" and kind == "Service" and path == "spec":
        return "port"
    return MERGE_KEYS.get(field)


def strategic_merge(target: Any, patch: Any, *, kind: str, path: str = "") -> Any:
    """Apply a strategic merge patch to a copy of ``target`` (an object of built-in ``kind``)."""
    if not isinstance(patch, Mapping):
        raise PatchError("json: cannot unmarshal array into Go value of type map[string]interface {}", code=400)
    if patch.get("$patch") == "replace":
        return {k: deep_copy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result: Obj = deep_copy(target) if isinstance(target, Mapping) else {}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.partition("/")[2]] = list(value or [])
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.partition("/")[2]
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in (value or [])]
            continue
        child_path = f"{path}.{key}" if path else key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            merged = strategic_merge(result.get(key), value, kind=kind, path=child_path)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key, path, kind)
        else:
            result[key] = deep_copy(value)
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _ordered(result[field], order, _merge_key(field, path, kind))
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(current: Any, patch: list[Any], field: str, path: str, kind: str) -> list[Any]:
    key = _merge_key(field, path, kind)
    if field in PRIMITIVE_MERGE and all(not isinstance(item, (dict, list)) for item in patch):
        base = list(current) if isinstance(current, list) else []
        return base + [item for item in patch if item not in base]
    if key is None or not all(isinstance(item, Mapping) for item in patch):
        return [item for item in deep_copy(patch) if not (isinstance(item, Mapping) and "$patch" in item)]
    if any(item.get("$patch") == "replace" for item in patch):
        return [deep_copy(dict(item)) for item in patch if "$patch" not in item]
    result = [deep_copy(item) for item in current] if isinstance(current, list) else []
    child_path = f"{path}.{field}" if path else field
    for item in patch:
        position = next((i for i, old in enumerate(result) if isinstance(old, Mapping) and key in item
                         and old.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if position is not None:
                result.pop(position)
            continue
        if position is None:
            result.append({k: deep_copy(v) for k, v in item.items() if not k.startswith("$")})
        else:
            result[position] = strategic_merge(result[position], item, kind=kind, path=child_path)
    return result


def _ordered(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    if key is None:
        return items
    rank = {entry.get(key): i for i, entry in enumerate(order) if isinstance(entry, Mapping)}
    return sorted(items, key=lambda item: rank.get(item.get(key) if isinstance(item, Mapping) else None,
                                                  len(rank)))


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386; a patch that is not an object is refused as the API server refuses it."""
    if not isinstance(patch, Mapping):
        raise PatchError("json: cannot unmarshal array into Go value of type map[string]interface {}", code=400)
    return merge_patch(target, dict(patch))
