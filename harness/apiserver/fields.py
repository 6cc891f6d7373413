"""Field selectors (``metadata.name=x,status.phase!=Running``) as the API server parses and applies them.

Each resource supports a fixed set of field labels; anything else is a 400 ``field label not supported``, as on a
real server. Custom resources support ``metadata.name`` and ``metadata.namespace`` only. Values may escape ``,``,
``=`` and ``\\`` with a backslash.

Not here: label selectors (``harness.model.selectors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._util.jsoncopy import get_path

_COMMON: Final = ("metadata.name", "metadata.namespace")
SUPPORTED: Final[Mapping[str, tuple[str, ...]]] = {
    "Pod": (*_COMMON, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    "Event": (*_COMMON, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    "Secret": (*_COMMON, "type"),
    "Namespace": (*_COMMON, "status.phase"),
    "Job": (*_COMMON, "status.successful"),
}
# events.k8s.io/v1 names the same fields differently
EVENTS_V1: Final[Mapping[str, str]] = {"regarding.kind": "involvedObject.kind",
                                       "regarding.namespace": "involvedObject.namespace",
                                       "regarding.name": "involvedObject.name",
                                       "regarding.uid": "involvedObject.uid",
                                       "regarding.apiVersion": "involvedObject.apiVersion",
                                       "reportingController": "reportingComponent",
                                       "deprecatedSource": "source"}


class FieldSelectorError(ValueError):
    """The message of a 400 for a selector the server cannot use."""


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    op: str  # "=" or "!="
    value: str

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if self.field == "source":
            found: Any = (obj.get("source") or {}).get("component", "")
        else:
            found = get_path(obj, self.field, "")
        text = "" if found is None else (str(found).lower() if isinstance(found, bool) else str(found))
        return (text == self.value) == (self.op == "=")


def _split(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unescape(text: str) -> str:
    out, escaped = "", False
    for char in text:
        if escaped:
            if char not in "\\,=":
                raise FieldSelectorError(f"invalid field selector: invalid escape sequence: \\{char}")
            out += char
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out += char
    return out


def parse(text: str | None, kind: str, *, custom: bool, events_v1: bool = False) -> tuple[FieldRequirement, ...]:
    """The requirements of ``text`` for objects of ``kind``; FieldSelectorError for what the server refuses."""
    if not text:
        return ()
    allowed = _COMMON if custom else SUPPORTED.get(kind, _COMMON)
    out = []
    for term in _split(text, ","):
        if not term:
            continue
        for op in ("!=", "==", "="):
            if op in term:
                field, value = term.split(op, 1)
                break
        else:
            raise FieldSelectorError(f"invalid field selector: invalid selector: '{text}'; can't understand "
                                     f"'{term}'")
        field = field.strip()
        if events_v1:
            field = EVENTS_V1.get(field, field)
        if field not in allowed:
            shown = next((k for k, v in EVENTS_V1.items() if v == field), field) if events_v1 else field
            raise FieldSelectorError(f'field label not supported: {shown}')
        out.append(FieldRequirement(field, "!=" if op == "!=" else "=", _unescape(value)))
    return tuple(out)


def matches(requirements: tuple[FieldRequirement, ...], obj: Mapping[str, Any]) -> bool:
    return all(req.matches(obj) for req in requirements)
