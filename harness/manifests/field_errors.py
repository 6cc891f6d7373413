"""Field errors as the Kubernetes API server words them, and kubectl's rendering of a 422 response.

The API server reports every schema or metadata problem as a ``field.Error`` (k8s.io/apimachinery
``util/validation/field``, as served by Kubernetes 1.35): a dotted field path, an error type and a body such as
``Invalid value: "string": spec.suspend in body must be of type boolean: "string"``. This module reproduces those
texts, including Go's way of printing the offending value, so that messages match a real cluster byte for byte.

Not here: deciding what is wrong (:mod:`.structural`, :mod:`.builtin`), positions in files (:mod:`.loader`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from .._util.gofmt import go_float, go_json, go_quote


class ErrorType(str, Enum):
    """``field.ErrorType``: the value is the cause ``reason`` of a Status; ``label`` starts the body."""

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    TYPE_INVALID = "FieldValueTypeInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    TOO_MANY = "FieldValueTooMany"
    TOO_LONG = "FieldValueTooLong"
    DUPLICATE = "FieldValueDuplicate"
    FORBIDDEN = "FieldValueForbidden"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def blocks_cel(self) -> bool:
        """``hasBlockingErr``: these errors stop the API server from evaluating x-kubernetes-validations rules."""
        return self in (ErrorType.NOT_SUPPORTED, ErrorType.REQUIRED, ErrorType.TOO_MANY, ErrorType.TOO_LONG,
                        ErrorType.TYPE_INVALID)


_LABELS: Final = {
    ErrorType.REQUIRED: "Required value", ErrorType.INVALID: "Invalid value",
    ErrorType.TYPE_INVALID: "Invalid value", ErrorType.NOT_SUPPORTED: "Unsupported value",
    ErrorType.TOO_MANY: "Too many", ErrorType.TOO_LONG: "Too long", ErrorType.DUPLICATE: "Duplicate value",
    ErrorType.FORBIDDEN: "Forbidden",
}


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()  # a field error that prints no value (Required, Forbidden)
NIL_PATH: Final = "<nil>"  # how Go prints the path of an error that belongs to no field

CEL_SKIPPED: Final = ("some validation rules were not checked because the object was invalid; "
                      "correct the existing errors to complete validation")


@dataclass(frozen=True)
class FieldError:
    """One ``field.Error``; ``str()`` gives ``<path>: <body>`` exactly as the API server joins them."""

    type: ErrorType
    field: str
    bad_value: Any = OMIT
    detail: str = ""

    @property
    def body(self) -> str:
        """``ErrorBody()``: the cause message of a Status, without the field path."""
        text = self.type.label
        valueless = (ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG)
        if self.type not in valueless and self.bad_value is not OMIT:
            text += ": " + go_value(self.bad_value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, field, OMIT, detail)


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, field, value, detail)


def not_supported(field: str, value: Any, allowed: tuple[str, ...]) -> FieldError:
    return FieldError(ErrorType.NOT_SUPPORTED, field, value,
                      "supported values: " + ", ".join(go_quote(v) for v in allowed) if allowed else "")


def go_value(value: Any) -> str:
    """How ``ErrorBody`` prints a bad value: ``%q`` for strings, ``%v`` for numbers and booleans, JSON otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    return go_json(value)


def json_type(value: Any) -> str:
    """The JSON type name the OpenAPI validator reports for a value (``"string"``, ``"integer"``, ``"null"``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def kubectl_invalid_lines(kind: str, name: str, causes: list[str]) -> str:
    """What ``kubectl`` prints for a 422, from the ``<field>: <message>`` text of each cause.

    One cause stays on the first line; several become a ``* `` list (``MultilineError``). kubectl drops causes
    whose text repeats (``statusCausesToAggrError``).
    """
    lines = list(dict.fromkeys(causes))
    head = f"The {kind} {go_quote(name)} is invalid: "
    if len(lines) == 1:
        return head + lines[0]
    return head + "\n" + "\n".join(f"* {line}" for line in lines)
