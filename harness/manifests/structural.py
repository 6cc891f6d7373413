"""Pruning, defaulting and validation of JSON data against a :class:`~.schema_nodes.Schema`, as the API server
does for custom resources.

The steps and their order follow the apiextensions-apiserver request path:

1. :func:`prune` drops fields the schema does not know and returns their paths, sorted (``PruneWithOptions``);
   the caller turns them into the strict-decoding error or warnings.
2. :func:`apply_defaults` removes nulls that have no default and fills defaults (missing or null fields).
3. :func:`validate` reports type, enum, minimum, minItems and required problems (the OpenAPI validator), then
   :func:`list_map_duplicates` the list-map key clashes (``ValidateListSetsAndMaps``).
4. :func:`validate_rules` evaluates the x-kubernetes-validations rules with CEL (:mod:`.cel_rules`); transition
   rules need the stored object, so they run on updates only.

Paths use the API server's spelling: ``spec.workerGroupSpecs[0].groupName``. Errors are listed in document order
(the API server's own order among sibling fields is not specified).

Not here: metadata (:mod:`.names`), wording of whole responses (:mod:`.field_errors`, :mod:`.validate`).
"""

from __future__ import annotations

import re
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from .cel_rules import RuleError
from .field_errors import ErrorType, FieldError, invalid, json_type, not_supported, required
from .schema_nodes import Schema


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def index(path: str, position: int) -> str:
    return f"{path}[{position}]"


# -- 1. pruning --------------------------------------------------------------------------------------------------


def prune(value: Any, schema: Schema, path: str = "") -> list[str]:
    """Remove unknown fields below ``value`` in place; return the removed paths, sorted as Go sorts strings."""
    removed: list[str] = []
    _prune(value, schema, path, removed)
    return sorted(removed, key=lambda text: text.encode())


def _prune(value: Any, schema: Schema, path: str, removed: list[str]) -> None:
    if isinstance(value, dict) and schema.type == "object":
        if schema.properties is not None:
            for key in list(value):
                child = schema.properties.get(key)
                if child is None:
                    removed.append(join(path, key))  # only the top of a pruned subtree is named
                    del value[key]
                else:
                    _prune(value[key], child, join(path, key), removed)
        elif schema.additional is not None:
            for key, item in value.items():
                _prune(item, schema.additional, join(path, key), removed)
    elif isinstance(value, list) and schema.type == "array" and schema.items is not None:
        for position, item in enumerate(value):
            _prune(item, schema.items, index(path, position), removed)


# -- 2. defaulting -----------------------------------------------------------------------------------------------


def apply_defaults(value: Any, schema: Schema) -> None:
    """Drop nulls without a default, then fill defaults into missing or null fields, recursively, in place."""
    if isinstance(value, dict) and schema.type == "object":
        if schema.properties is not None:
            for key in list(value):
                child = schema.properties.get(key)
                if child is not None and value[key] is None and not child.has_default:
                    del value[key]  # PruneNonNullableNullsWithoutDefaults
            for key, child in schema.properties.items():
                if child.has_default and value.get(key) is None:
                    value[key] = deep_copy(child.default)
                if key in value:
                    apply_defaults(value[key], child)
        elif schema.additional is not None:
            for key in [k for k, item in value.items() if item is None]:
                del value[key]
            for item in value.values():
                apply_defaults(item, schema.additional)
    elif isinstance(value, list) and schema.type == "array" and schema.items is not None:
        for item in value:
            apply_defaults(item, schema.items)


# -- 3. OpenAPI validation ---------------------------------------------------------------------------------------


_RFC3339: Final = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _type_matches(value: Any, wanted: str) -> bool:
    actual = json_type(value)
    if wanted in ("", "int-or-string") or actual == wanted:
        return True
    if wanted == "number" and actual == "integer":
        return True
    # a float with no fraction is a JSON integer to the validator (isFloatInt)
    return wanted == "integer" and actual == "number" and float(value).is_integer()


def validate(value: Any, schema: Schema, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    _validate(value, schema, path, errors)
    return errors


def _validate(value: Any, schema: Schema, path: str, errors: list[FieldError]) -> None:
    if not _type_matches(value, schema.type):
        actual = json_type(value)
        errors.append(FieldError(ErrorType.TYPE_INVALID, path, actual,
                                 f'{path} in body must be of type {schema.type}: "{actual}"'))
        if schema.enum and value not in schema.enum:
            errors.append(not_supported(path, value, schema.enum))
        return
    if schema.enum and value not in schema.enum:
        errors.append(not_supported(path, value, schema.enum))
    if schema.format == "date-time" and isinstance(value, str) and _RFC3339.fullmatch(value) is None:
        errors.append(FieldError(ErrorType.TYPE_INVALID, path, value,
                                 f'{path} in body must be of type date-time: "{value}"'))
    if schema.minimum is not None and isinstance(value, (int, float)) and value < schema.minimum:
        errors.append(invalid(path, value, f"{path} in body should be greater than or equal to {schema.minimum}"))
    if schema.min_length is not None and isinstance(value, str) and len(value) < schema.min_length:
        errors.append(invalid(path, value, f"{path} in body should be at least {schema.min_length} chars long"))
    if isinstance(value, list):
        if schema.min_items is not None and len(value) < schema.min_items:
            errors.append(invalid(path, len(value), f"{path} in body should have at least {schema.min_items} items"))
        if schema.items is not None:
            for position, item in enumerate(value):
                _validate(item, schema.items, index(path, position), errors)
    elif isinstance(value, dict):
        for name in schema.required:
            if value.get(name) is None:
                errors.append(required(join(path, name)))
        if schema.properties is not None:
            for key, item in value.items():
                child = schema.properties.get(key)
                if child is not None:
                    _validate(item, child, join(path, key), errors)
        elif schema.additional is not None:
            for key, item in value.items():
                _validate(item, schema.additional, join(path, key), errors)


def list_map_duplicates(value: Any, schema: Schema, path: str) -> list[FieldError]:
    """``x-kubernetes-list-type: map``: two items with the same key values are a Duplicate value."""
    errors: list[FieldError] = []
    _duplicates(value, schema, path, errors)
    return errors


def _duplicates(value: Any, schema: Schema, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, list) and schema.items is not None:
        seen: list[dict[str, Any]] = []
        for position, item in enumerate(value):
            if schema.list_map_keys and isinstance(item, dict):
                key = {name: item[name] for name in schema.list_map_keys if name in item}
                if key in seen:
                    errors.append(FieldError(ErrorType.DUPLICATE, index(path, position), key))
                else:
                    seen.append(key)
            _duplicates(item, schema.items, index(path, position), errors)
    elif isinstance(value, dict) and schema.properties is not None:
        for key, item in value.items():
            if key in schema.properties:
                _duplicates(item, schema.properties[key], join(path, key), errors)


# -- 4. x-kubernetes-validations rules ---------------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()  # no old value at this place (a create, or a field the stored object lacks)


def validate_rules(value: Any, schema: Schema, path: str, old: Any = ABSENT) -> list[FieldError]:
    """Evaluate the x-kubernetes-validations rules below ``value``; ``old`` is the stored object on update.

    Old values are correlated as the API server correlates them: through object properties, map keys, and the
    key fields of ``x-kubernetes-list-type: map`` lists; items of other lists have no old value, so transition
    rules below them run only when ``optionalOldSelf`` is set.
    """
    errors: list[FieldError] = []
    _rules(value, schema, path, old, errors)
    return errors


def _rules(value: Any, schema: Schema, path: str, old: Any, errors: list[FieldError]) -> None:
    has_old = old is not ABSENT
    for rule in schema.rules:
        if not rule.applies(has_old):
            continue
        try:
            passed = rule.holds(value, old=None if not has_old else old, has_old=has_old)
        except RuleError as exc:
            errors.append(invalid(path, schema.type, f"rule evaluation error: {exc}"))
            continue
        if not passed:
            errors.append(rule.failure(path, schema.type, value, old=None if not has_old else old, has_old=has_old))
    if isinstance(value, dict) and schema.properties is not None:
        for key, item in value.items():
            if key in schema.properties:
                _rules(item, schema.properties[key], join(path, key), _child(old, key), errors)
    elif isinstance(value, dict) and schema.additional is not None:
        for key, item in value.items():
            _rules(item, schema.additional, join(path, key), _child(old, key), errors)
    elif isinstance(value, list) and schema.items is not None:
        for position, item in enumerate(value):
            _rules(item, schema.items, index(path, position), _list_item(old, item, schema.list_map_keys), errors)


def _child(old: Any, key: str) -> Any:
    return old[key] if isinstance(old, dict) and key in old else ABSENT


def _list_item(old: Any, item: Any, keys: tuple[str, ...]) -> Any:
    """The old item with the same list-map keys, or ABSENT (atomic and set lists do not correlate)."""
    if not keys or not isinstance(old, list) or not isinstance(item, dict):
        return ABSENT
    wanted = tuple(item.get(k) for k in keys)
    return next((o for o in old if isinstance(o, dict) and tuple(o.get(k) for k in keys) == wanted), ABSENT)
