"""Light API-server checks for the built-in kinds a RayJob manifest file may also hold.

Pods, Services, ConfigMaps, Secrets, batch Jobs, Namespaces, Events and NetworkPolicies are compiled into the API
server, so it decodes them into Go structs (:mod:`.schema_builtin`, :mod:`.godecode`: wrong types, unknown fields,
Secret data that is not base64) rather than against a CRD schema. This module checks what users get wrong in
practice and the server reliably rejects once decoded: the name format per kind, config keys, missing containers,
images or ports, and a Job Pod template without ``restartPolicy: Never|OnFailure``.

Not here: a full PodSpec validation (that is the real API server's job); custom resources (:mod:`.structural`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._util.gofmt import dns1035_label, dns1123_label, dns1123_subdomain, regex_error
from .field_errors import FieldError, invalid, not_supported, required
from .names import NameCheck

Check = Callable[[Mapping[str, Any]], list[FieldError]]


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


def _secret(obj: Mapping[str, Any]) -> list[FieldError]:
    return _config_keys(obj, ("data", "stringData"))


@dataclass(frozen=True)
class BuiltinKind:
    """What the API server checks on one built-in kind once it is decoded (:mod:`.schema_builtin` has its
    fields and their Go types)."""

    kind: str
    name_check: NameCheck
    check: Check = _no_checks


BUILTIN_KINDS: Final = {bk.kind: bk for bk in (
    BuiltinKind("Pod", dns1123_subdomain, _pod),
    BuiltinKind("Service", dns1035_label, _service),
    BuiltinKind("ConfigMap", dns1123_subdomain, _configmap),
    BuiltinKind("Secret", dns1123_subdomain, _secret),
    BuiltinKind("Job", dns1123_subdomain, _job),
    BuiltinKind("Namespace", dns1123_label),
    BuiltinKind("NetworkPolicy", dns1123_subdomain),
    BuiltinKind("Event", dns1123_subdomain),
)}
