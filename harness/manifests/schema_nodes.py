"""The building blocks of the project's own structural schemas: one :class:`Schema` node per field.

A node says what the API server needs to prune, default and validate a custom resource: type, properties,
required names, default, enum, minimum, minItems, list-map keys and x-kubernetes-validations rules (CEL, as the
CRD writes them: :mod:`.cel_rules`). A node built with ``properties=None`` is *opaque*: its type is
checked, but its content is kept as given and never pruned, because this project does not model it.

Not here: the tables themselves (:mod:`.schema`, :mod:`.schema_pod`), the walk over an object
(:mod:`.structural`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .cel_rules import Rule


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()


@dataclass(frozen=True, eq=False)
class Schema:
    """A structural-schema node. ``type`` is an OpenAPI type, or ``int-or-string`` for quantities."""

    type: str
    properties: Mapping[str, Schema] | None = None
    additional: Schema | None = None  # additionalProperties: a map whose values all follow this node
    items: Schema | None = None
    required: tuple[str, ...] = ()
    default: Any = NO_DEFAULT
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    min_items: int | None = None
    min_length: int | None = None
    rules: tuple[Rule, ...] = ()
    list_map_keys: tuple[str, ...] = ()
    int_format: str = ""  # "int32" / "int64", as the CRD declares
    format: str = ""  # a string's format the API server checks: "date-time" (RFC 3339)

    @property
    def modelled(self) -> bool:
        """True when unknown keys below this object node are pruned (and reported)."""
        return self.properties is not None

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def has_rules(self) -> bool:
        """Whether this node or anything below it carries an x-kubernetes-validations rule."""
        if self.rules:
            return True
        children = list((self.properties or {}).values())
        children += [node for node in (self.items, self.additional) if node is not None]
        return any(child.has_rules() for child in children)


def obj(properties: Mapping[str, Schema] | None = None, *, required: tuple[str, ...] = (),
        rules: tuple[Rule, ...] = ()) -> Schema:
    return Schema("object", properties=properties, required=required, rules=rules)


def opaque() -> Schema:
    """An object this project does not model field by field (probes, affinity, volumes...)."""
    return Schema("object")


def string(*, enum: tuple[str, ...] = (), default: Any = NO_DEFAULT, rules: tuple[Rule, ...] = (),
           min_length: int | None = None) -> Schema:
    return Schema("string", enum=enum, default=default, rules=rules, min_length=min_length)


def date_time() -> Schema:
    """A ``format: date-time`` string (RFC 3339), as metav1.Time fields are declared."""
    return Schema("string", format="date-time")


def boolean() -> Schema:
    return Schema("boolean")


def number() -> Schema:
    return Schema("number")


def int32(*, default: Any = NO_DEFAULT, minimum: int | None = None) -> Schema:
    return Schema("integer", default=default, minimum=minimum, int_format="int32")


def int64(*, default: Any = NO_DEFAULT, minimum: int | None = None) -> Schema:
    return Schema("integer", default=default, minimum=minimum, int_format="int64")


def str_map() -> Schema:
    """``map[string]string``: an object whose values must all be strings."""
    return Schema("object", additional=string())


def any_map() -> Schema:
    """A map with values this project does not model (``overhead``: quantities)."""
    return Schema("object", additional=Schema("int-or-string"))


def array(items: Schema, *, min_items: int | None = None, list_map_keys: tuple[str, ...] = ()) -> Schema:
    return Schema("array", items=items, min_items=min_items, list_map_keys=list_map_keys)


def objects(*, list_map_keys: tuple[str, ...] = ()) -> Schema:
    """A list of objects this project does not model."""
    return array(opaque(), list_map_keys=list_map_keys)


def strings() -> Schema:
    return array(string())
