"""Fast deep copy and structural helpers for JSON-shaped data (dicts, lists, scalars).

``copy.deepcopy`` handles arbitrary objects and pays for it; the simulator copies Kubernetes objects on every
write, so a copier that knows the data is plain JSON is several times faster.
"""

from __future__ import annotations

from typing import Any


def deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [deep_copy(item) for item in value]
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: returns a new value; ``None`` in the patch deletes a key."""
    if not isinstance(patch, dict):
        return deep_copy(patch)
    result = deep_copy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def get_path(obj: Any, path: str, default: Any = None) -> Any:
    """Read a dotted path (``status.jobStatus``, ``spec.containers.0.name``) from JSON data."""
    current = obj
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return default
            current = current[index]
        else:
            return default
    return current
