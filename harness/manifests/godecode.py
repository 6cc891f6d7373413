"""Decoding JSON into Go structs: the step before validation where a wrong type fails the whole request.

Two decoders see a manifest before any controller does, and both are Go's ``encoding/json`` (or its
case-sensitive fork):

- **kubectl** decodes every object's ``metadata`` into ``metav1.ObjectMeta`` before sending anything
  (``metadataValidatingDecoder``): ``labels: true`` ends there with ``error: unable to decode "f.yaml": json:
  cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type map[string]string``;
- **the API server** decodes a built-in kind (ConfigMap, Pod...) into its Go struct: ``data: [[1]]`` is a 400,
  ``ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct
  field ConfigMap.data of type map[string]string``.

The walk follows the project's schema tables (:class:`~.schema_nodes.Schema`, with ``go`` type names) in the
order ``encoding/json`` reads the JSON kubectl sends (keys sorted): ``null`` decodes to the zero value, a type
mismatch is remembered and decoding goes on (the first one is reported), a number that does not fit an integer
field reads ``number 1.5``, and the types that decode themselves (``metav1.Time``, ``IntOrString``,
``[]byte``) fail at once with their own messages. Opaque nodes (probes, affinity...) are checked for their own
type only.

Not here: unknown fields (pruning, :mod:`.structural`), validation (422), where the walk's tables live
(:mod:`.schema_meta`, :mod:`.schema_builtin`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._util.gofmt import go_float, go_quote
from .schema_nodes import Schema, go_type

TIME: Final = "v1.Time"
BYTES: Final = "[]uint8"  # how Go prints []byte
MICRO_TIME: Final = "v1.MicroTime"
_INT_RANGES: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_RFC3339: Final = "2006-01-02T15:04:05Z07:00"
_RFC3339_MICRO: Final = "2006-01-02T15:04:05.000000Z07:00"


@dataclass(frozen=True)
class DecodeError:
    """What ``encoding/json`` says, and the path (``metadata.ownerReferences[0].uid``) of the value it is about."""

    message: str
    path: str


class _Abort(Exception):
    """A type that decodes itself failed: ``encoding/json`` returns its error at once."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _number_text(value: int | float) -> str:
    """A number as the JSON kubectl sends writes it (Go's encoder: ``1e+21``, ``0.5``)."""
    if isinstance(value, int):
        return str(value)
    text = go_float(value)
    return text.replace("e+0", "e+").replace("e-0", "e-")


class _Decoder:
    def __init__(self, where: str) -> None:
        self.first: DecodeError | None = None
        self.where = where  # the API-server path of the value being decoded

    def _type_error(self, value: Any, schema: Schema, stack: list[str], struct: str, what: str = "") -> None:
        if self.first is not None:
            return
        into = f"Go struct field {struct}.{'.'.join(stack)}" if struct and stack else "Go value"
        message = f"json: cannot unmarshal {what or _json_kind(value)} into {into} of type {go_type(schema)}"
        self.first = DecodeError(message, self.where)

    def _at(self, part: str) -> str:
        if part.startswith("["):
            return self.where + part
        return f"{self.where}.{part}" if self.where else part

    def value(self, value: Any, schema: Schema, stack: list[str], struct: str) -> None:
        if value is None:
            return  # null leaves the zero value
        if schema.go in (TIME, MICRO_TIME):
            self._time(value, schema, stack, struct)
        elif schema.type == "int-or-string":
            self._self_decoding(value, schema, stack, struct)
        elif schema.type == "string":
            if not isinstance(value, str):
                self._type_error(value, schema, stack, struct)
            elif schema.go == BYTES:
                _base64(value, self.where)
        elif schema.type == "boolean":
            if not isinstance(value, bool):
                self._type_error(value, schema, stack, struct)
        elif schema.type in ("integer", "number"):
            self._number(value, schema, stack, struct)
        elif schema.type == "array":
            if not isinstance(value, list):
                self._type_error(value, schema, stack, struct)
            elif schema.items is not None:
                outer = self.where
                for position, item in enumerate(value):
                    self.where = f"{outer}[{position}]"
                    self.value(item, schema.items, stack, struct)
                self.where = outer
        elif schema.type == "object":
            self._object(value, schema, stack, struct)

    def _number(self, value: Any, schema: Schema, stack: list[str], struct: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._type_error(value, schema, stack, struct)
            return
        if schema.type == "number":
            return
        low, high = _INT_RANGES.get(schema.int_format or "int64", _INT_RANGES["int64"])
        if not isinstance(value, int) or not low <= value <= high:
            self._type_error(value, schema, stack, struct, f"number {_number_text(value)}")

    def _object(self, value: Any, schema: Schema, stack: list[str], struct: str) -> None:
        if not isinstance(value, Mapping):
            self._type_error(value, schema, stack, struct)
            return
        outer = self.where
        if schema.properties is not None:
            inner = schema.go.rpartition(".")[2] if schema.go else struct
            for key in sorted(value, key=str.encode):
                child = schema.properties.get(key)
                if child is not None:
                    self.where = self._at(key)
                    self.value(value[key], child, [*stack, key], inner)
                    self.where = outer
        elif schema.additional is not None:
            for key in sorted(value, key=str.encode):
                self.where = self._at(key)
                self.value(value[key], schema.additional, stack, struct)
                self.where = outer

    def _self_decoding(self, value: Any, schema: Schema, stack: list[str], struct: str) -> None:
        """``IntOrString`` reads a string as text and anything else as an int32; a Quantity parses itself."""
        if schema.go == "resource.Quantity":
            text = value if isinstance(value, str) else _number_text(value) if isinstance(value, (int, float)) \
                and not isinstance(value, bool) else None
            if text is None or not _QUANTITY.fullmatch(text.strip()):
                raise _Abort("quantities must match the regular expression "
                             "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", self.where)
            return
        if isinstance(value, str):
            return
        inner = Schema("integer", int_format="int32")
        before = self.first
        self.first = None
        self._number(value, inner, stack, struct)
        if self.first is not None:
            raise _Abort(self.first.message, self.where)
        self.first = before

    def _time(self, value: Any, schema: Schema, stack: list[str], struct: str) -> None:
        if not isinstance(value, str):
            self.first = None  # the error of Time's own Unmarshal, returned at once
            self._type_error(value, Schema("string"), stack, struct)
            raise _Abort(self.first.message if self.first else "", self.where)
        problem = parse_time_error(value, micro=schema.go == MICRO_TIME)
        if problem is not None:
            raise _Abort(problem, self.where)


_QUANTITY: Final = re.compile(r"[+-]?[0-9.]+[eEinumkKMGTP]*[-+]?[0-9]*")
_B64: Final = re.compile(r"[A-Za-z0-9+/]*")


def _base64(text: str, where: str) -> None:
    """``[]byte`` from a JSON string is standard base64; Go reports the offset of the first bad quantum."""
    text = text.replace("\n", "").replace("\r", "")  # Go's decoder skips line breaks
    body = text.rstrip("=")
    bad = _B64.match(body)
    end = bad.end() if bad else 0
    if end < len(body):
        raise _Abort(f"illegal base64 data at input byte {end}", where)
    if len(text) % 4 or len(text) - len(body) > 2:
        raise _Abort(f"illegal base64 data at input byte {len(text) - len(text) % 4 if len(text) % 4 else len(body)}",
                     where)


# -- metav1.Time ----------------------------------------------------------------------------------------------------

_ELEMENTS: Final = (("2006", r"\d{4}"), ("-", "-"), ("01", r"\d{2}"), ("-", "-"), ("02", r"\d{2}"), ("T", "T"),
                    ("15", r"\d{2}"), (":", ":"), ("04", r"\d{2}"), (":", ":"), ("05", r"\d{2}"))
_RANGES: Final = {"01": ("month", 1, 12), "02": ("day", 1, 31), "15": ("hour", 0, 23), "04": ("minute", 0, 59),
                  "05": ("second", 0, 59)}


def parse_time_error(text: str, *, micro: bool = False) -> str | None:
    """What Go's ``time.Parse(time.RFC3339[Micro], text)`` says about ``text``, or None when it parses."""
    layout = _RFC3339_MICRO if micro else _RFC3339
    head = f"parsing time {go_quote(text)}"
    rest = text
    elements = [*_ELEMENTS, (".000000", r"\.\d{6}")] if micro else list(_ELEMENTS)
    for element, pattern in elements:
        match = re.match(pattern, rest)
        if match is None:
            return f"{head} as {go_quote(layout)}: cannot parse {go_quote(rest)} as {go_quote(element)}"
        if element in _RANGES:
            name, low, high = _RANGES[element]
            if not low <= int(match.group()) <= high:
                return f"{head}: {name} out of range"
        rest = rest[match.end():]
    if not micro:
        rest = re.sub(r"^\.\d+", "", rest, count=1)  # a fraction is accepted after the seconds
    zone = re.match(r"Z|[+-]\d{2}:\d{2}", rest)
    if zone is None:
        return f"{head} as {go_quote(layout)}: cannot parse {go_quote(rest)} as {go_quote('Z07:00')}"
    if rest[zone.end():]:
        return f"{head}: extra text: {go_quote(rest[zone.end():])}"
    return None


# -- entry points ---------------------------------------------------------------------------------------------------


def decode_error(value: Any, schema: Schema, *, stack: tuple[str, ...] = (), struct: str = "",
                 where: str = "") -> DecodeError | None:
    """The error ``encoding/json`` gives when decoding ``value`` into the Go type ``schema`` describes, or None.

    ``stack`` and ``struct`` say where ``value`` sits when it is one field of a larger struct (kubectl decodes
    ``metadata`` as a field of its own ``metadataOnlyObject``); ``where`` is its path, for positions.
    """
    decoder = _Decoder(where)
    try:
        decoder.value(value, schema, list(stack), struct)
    except _Abort as exc:
        return DecodeError(str(exc), exc.path)
    return decoder.first
