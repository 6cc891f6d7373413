"""The API server's checks on ``metadata``: object names, namespace names and labels, with its exact wording.

The checks themselves (``IsDNS1123Subdomain`` for most names, ``IsDNS1123Label`` for namespaces,
``IsDNS1035Label`` for Services, ``IsQualifiedName``/``IsValidLabelValue`` for labels) and their wording are
apimachinery's, in :mod:`harness._util.gofmt`. Each failed check is its own ``metadata.*`` error, in the order
``ValidateObjectMetaAccessor`` adds them.

Not here: KubeRay's own name rules (47 characters, DNS-1035), which the operator applies later
(``harness.kuberay.validation``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .._util.gofmt import dns1123_label, label_value, qualified_name
from .field_errors import FieldError, invalid, required

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
    return errors


OBJECT_META_FIELDS: Final = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
})
