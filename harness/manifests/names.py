"""The API server's checks on ``metadata``: object names, namespace names and labels, with its exact wording.

Texts are those of k8s.io/apimachinery v0.35 (Kubernetes 1.35, the node image KubeRay v1.7.0 tests on):
``IsDNS1123Subdomain`` for most names, ``IsDNS1123Label`` for namespaces, ``IsDNS1035Label`` for Services,
``IsQualifiedName``/``IsValidLabelValue`` for labels. Each failed check is its own ``metadata.*`` error, in the
order ``ValidateObjectMetaAccessor`` adds them.

Not here: KubeRay's own name rules (47 characters, DNS-1035), which the operator applies later
(``harness.kuberay.validation``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from .field_errors import OMIT, ErrorType, FieldError, invalid, required

_LABEL: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN: Final = _LABEL + r"(\." + _LABEL + ")*"
_DNS1035: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
_KEY_NAME: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE: Final = "(" + _KEY_NAME + ")?"

_SUBDOMAIN_MSG: Final = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                         "'.', and must start and end with an alphanumeric character")
_LABEL_MSG: Final = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                     "must start and end with an alphanumeric character")
_DNS1035_MSG: Final = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                       "alphabetic character, and end with an alphanumeric character")
_KEY_MSG: Final = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                   "alphanumeric character")
_VALUE_MSG: Final = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character")


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """``RegexError``: examples joined by ``" or "`` after a ``", "``, hence the double space Go prints."""
    if not examples:
        return f"{message} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def dns1123_subdomain(value: str, *, unit: str = "characters") -> list[str]:
    errors = []
    if len(value.encode()) > 253:
        errors.append(f"must be no more than 253 {unit}")
    if not _full(_SUBDOMAIN, value):
        errors.append(regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN, "example.com"))
    return errors


def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 characters")
    if not _full(_LABEL, value):
        errors.append("must not contain dots" if _full(_SUBDOMAIN, value)
                      else regex_error(_LABEL_MSG, _LABEL, "my-name", "123-abc"))
    return errors


def dns1035_label(value: str) -> list[str]:
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 characters")
    if not _full(_DNS1035, value):
        errors.append(regex_error(_DNS1035_MSG, _DNS1035, "my-name", "abc-123"))
    return errors


def qualified_name(value: str) -> list[str]:
    """``IsQualifiedName`` (label and annotation keys): an optional DNS-subdomain prefix and a name part."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return ["a valid label key " + regex_error(_KEY_MSG, _KEY_NAME, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain(parts[0], unit="bytes"))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errors.append("name part must be no more than 63 bytes")
    if not _full(_KEY_NAME, name):
        errors.append("name part " + regex_error(_KEY_MSG, _KEY_NAME, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value: str) -> list[str]:
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 bytes")
    if not _full(_LABEL_VALUE, value):
        errors.append(regex_error(_VALUE_MSG, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errors


NameCheck = Callable[[str], list[str]]


def validate_object_meta(meta: Mapping[str, Any], name_check: NameCheck, *, namespaced: bool) -> list[FieldError]:
    """``ValidateObjectMetaAccessor`` for a create: generateName, name, namespace, labels (sorted by key)."""
    errors: list[FieldError] = []
    generate_name = meta.get("generateName")
    if isinstance(generate_name, str) and generate_name:
        # checked as a prefix (maskTrailingDash): a trailing '-' is completed by the random suffix
        candidate = generate_name[:-2] + "a" if len(generate_name) > 1 and generate_name.endswith("-") \
            else generate_name
        errors.extend(invalid("metadata.generateName", generate_name, msg) for msg in name_check(candidate))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        if not generate_name:
            errors.append(required("metadata.name", "name or generateName is required"))
    else:
        errors.extend(invalid("metadata.name", name, msg) for msg in name_check(name))
    namespace = meta.get("namespace")
    if namespaced and isinstance(namespace, str) and namespace:
        errors.extend(invalid("metadata.namespace", namespace, msg) for msg in dns1123_label(namespace))
    labels = meta.get("labels")
    if isinstance(labels, Mapping):
        for key in sorted(labels):
            errors.extend(invalid("metadata.labels", key, msg) for msg in qualified_name(key))
            if isinstance(labels[key], str):
                errors.extend(invalid("metadata.labels", labels[key], msg) for msg in label_value(labels[key]))
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping):
        for key in sorted(annotations):
            errors.extend(invalid("metadata.annotations", key, msg) for msg in qualified_name(key.lower()))
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
        if size > TOTAL_ANNOTATION_SIZE:
            errors.append(FieldError(ErrorType.TOO_LONG, "metadata.annotations", OMIT,
                                     f"may not be more than {TOTAL_ANNOTATION_SIZE} bytes"))
    owners = meta.get("ownerReferences")
    if isinstance(owners, list):
        errors.extend(owner_reference_errors([o for o in owners if isinstance(o, Mapping)]))
    finalizers = meta.get("finalizers")
    if isinstance(finalizers, list):
        errors.extend(finalizer_errors([str(f) for f in finalizers]))
    return errors


TOTAL_ANNOTATION_SIZE: Final = 262144  # TotalAnnotationSizeLimitB: 256 kB for keys and values together


def owner_reference_errors(owners: list[Mapping[str, Any]]) -> list[FieldError]:
    """``ValidateOwnerReferences``: each reference complete, and at most one of them the controller."""
    path = "metadata.ownerReferences"
    errors: list[FieldError] = []
    first_controller = ""
    for ref in owners:
        api_version, kind = str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
        if not api_version.rpartition("/")[2]:
            errors.append(invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        if not kind:
            errors.append(invalid(f"{path}.kind", kind, "kind must not be empty"))
        if not ref.get("name"):
            errors.append(invalid(f"{path}.name", str(ref.get("name") or ""), "name must not be empty"))
        if not ref.get("uid"):
            errors.append(invalid(f"{path}.uid", str(ref.get("uid") or ""), "uid must not be empty"))
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if first_controller:
                errors.append(invalid(path, list(owners), "Only one reference can have Controller set to true. Found "
                                      f'"true" in references for {first_controller} and {current}'))
            else:
                first_controller = current
    return errors


def finalizer_errors(finalizers: list[str]) -> list[FieldError]:
    """``ValidateFinalizers``: each one a qualified name, and not both orphan and foregroundDeletion."""
    errors = [invalid("metadata.finalizers", name, msg) for name in finalizers for msg in qualified_name(name)]
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        errors.append(invalid("metadata.finalizers", finalizers,
                              "finalizer orphan and foregroundDeletion cannot be both set"))
    return errors


OBJECT_META_FIELDS: Final = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
})
