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
from .field_errors import OMIT, ErrorType, FieldError, invalid, required

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
