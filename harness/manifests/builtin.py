"""Light API-server checks for the built-in kinds a RayJob manifest file may also hold.

Pods, Services, ConfigMaps, Secrets, batch Jobs, Namespaces, Events and NetworkPolicies are compiled into the API
server, so it decodes them into Go structs rather than against a CRD schema. This module checks what users get wrong in
practice and the server reliably rejects: unknown top-level fields, the name format per kind, ConfigMap data
that is not text, Secret data that is not base64, missing containers, images or ports, and a Job Pod template without
``restartPolicy: Never|OnFailure``.

Not here: a full PodSpec validation (that is the real API server's job); custom resources (:mod:`.structural`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._util.gofmt import dns1035_label, dns1123_label, dns1123_subdomain, regex_error
from .field_errors import FieldError, invalid, json_type, not_supported, required
from .names import NameCheck

Check = Callable[[Mapping[str, Any]], list[FieldError]]

_COMMON: Final = frozenset({"apiVersion", "kind", "metadata"})
_WITH_SPEC: Final = _COMMON | {"spec", "status"}


def _no_checks(_: Mapping[str, Any]) -> list[FieldError]:
    return []


def _containers(spec: Any, path: str) -> list[FieldError]:
    containers = spec.get("containers") if isinstance(spec, Mapping) else None
    if not isinstance(containers, list) or not containers:
        return [required(f"{path}.containers")]
    errors: list[FieldError] = []
    for position, container in enumerate(containers):
        item = f"{path}.containers[{position}]"
        if not isinstance(container, Mapping):
            continue
        if not container.get("name"):
            errors.append(required(f"{item}.name"))
        if not container.get("image"):
            errors.append(required(f"{item}.image"))
    return errors


_POD_RESTART: Final = ("Always", "OnFailure", "Never")
_JOB_RESTART: Final = ("OnFailure", "Never")


def _pod(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = obj.get("spec")
    errors = _containers(spec, "spec")
    policy = spec.get("restartPolicy") if isinstance(spec, Mapping) else None
    if policy is not None and policy not in _POD_RESTART:
        errors.append(not_supported("spec.restartPolicy", policy, _POD_RESTART))
    return errors


def _job(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    pod_spec = template.get("spec") if isinstance(template, Mapping) else None
    errors = _containers(pod_spec, "spec.template.spec")
    # the Pod defaults restartPolicy to Always, which a Job refuses
    policy = (pod_spec.get("restartPolicy") if isinstance(pod_spec, Mapping) else None) or "Always"
    if policy not in _JOB_RESTART:
        errors.append(not_supported("spec.template.spec.restartPolicy", policy, _JOB_RESTART))
    return errors


def _service(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = obj.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    headless_or_external = spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None"
    ports = spec.get("ports")
    if not headless_or_external and (not isinstance(ports, list) or not ports):
        return [required("spec.ports")]
    errors: list[FieldError] = []
    for position, port in enumerate(ports if isinstance(ports, list) else []):
        if isinstance(port, Mapping) and "port" not in port:
            errors.append(required(f"spec.ports[{position}].port"))
    return errors


_CONFIG_KEY: Final = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_MSG: Final = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"


def _configmap(obj: Mapping[str, Any]) -> list[FieldError]:
    return _config_keys(obj, ("data", "binaryData"))


def _config_keys(obj: Mapping[str, Any], blocks: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    for block in blocks:
        data = obj.get(block)
        for key in data if isinstance(data, Mapping) else ():
            if not re.fullmatch(_CONFIG_KEY, key):
                errors.append(invalid(f"{block}[{key}]", key,
                                      regex_error(_CONFIG_KEY_MSG, _CONFIG_KEY, "key.name", "KEY_NAME", "key-name")))
    return errors


_GO_JSON_TYPES: Final = {"integer": "number", "number": "number", "boolean": "bool", "array": "array",
                         "object": "object"}


def _configmap_decode(obj: Mapping[str, Any]) -> str | None:
    """ConfigMap ``data`` is ``map[string]string``: a number or boolean there fails JSON decoding (400)."""
    data = obj.get("data")
    if isinstance(data, Mapping):
        for value in data.values():
            if value is not None and not isinstance(value, str):
                found = _GO_JSON_TYPES[json_type(value)]
                return f"json: cannot unmarshal {found} into Go struct field ConfigMap.data of type string"
    return None


def _secret(obj: Mapping[str, Any]) -> list[FieldError]:
    return _config_keys(obj, ("data", "stringData"))


def _secret_decode(obj: Mapping[str, Any]) -> str | None:
    """Secret ``data`` is ``map[string][]byte``: each value must be base64 text; ``stringData`` plain strings."""
    for block in ("data", "stringData"):
        values = obj.get(block)
        for value in (values.values() if isinstance(values, Mapping) else ()):
            if value is not None and not isinstance(value, str):
                found = _GO_JSON_TYPES[json_type(value)]
                go_type = "[]uint8" if block == "data" else "string"
                return f"json: cannot unmarshal {found} into Go struct field Secret.{block} of type {go_type}"
            if block == "data" and isinstance(value, str):
                problem = _base64_problem(value)
                if problem is not None:
                    return problem
    return None


def _base64_problem(text: str) -> str | None:
    """Go's ``encoding/base64`` error for text that is not standard base64, or None."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    stripped = text.replace("\n", "").replace("\r", "")
    body = stripped.rstrip("=")
    for position, char in enumerate(body):
        if char not in alphabet:
            return f"illegal base64 data at input byte {position}"
    if len(stripped) % 4 != 0 or len(stripped) - len(body) > 2:
        return f"illegal base64 data at input byte {len(stripped) - (len(stripped) % 4 or 4)}"
    return None


def _no_decode_errors(_: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class BuiltinKind:
    """What the API server knows about one built-in kind, as far as this project checks it."""

    kind: str
    top_fields: frozenset[str]
    name_check: NameCheck
    check: Check = _no_checks
    decode: Callable[[Mapping[str, Any]], str | None] = _no_decode_errors


BUILTIN_KINDS: Final = {bk.kind: bk for bk in (
    BuiltinKind("Pod", _WITH_SPEC, dns1123_subdomain, _pod),
    BuiltinKind("Service", _WITH_SPEC, dns1035_label, _service),
    BuiltinKind("ConfigMap", _COMMON | {"data", "binaryData", "immutable"}, dns1123_subdomain, _configmap,
                _configmap_decode),
    BuiltinKind("Secret", _COMMON | {"data", "stringData", "type", "immutable"}, dns1123_subdomain, _secret,
                _secret_decode),
    BuiltinKind("Job", _WITH_SPEC, dns1123_subdomain, _job),
    BuiltinKind("Namespace", _WITH_SPEC, dns1123_label),
    BuiltinKind("NetworkPolicy", _COMMON | {"spec"}, dns1123_subdomain),
    BuiltinKind("Event", _COMMON | {"action", "count", "eventTime", "firstTimestamp", "involvedObject",
                                    "lastTimestamp", "message", "reason", "related", "reportingComponent",
                                    "reportingInstance", "series", "source", "type"}, dns1123_subdomain),
)}
