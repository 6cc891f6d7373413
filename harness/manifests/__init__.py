"""Kubernetes manifests as kubectl reads them and as the API server accepts, defaults or refuses them.

Load with :func:`load_manifests` / :func:`parse_manifests` (file:line kept for every field), then ask
:func:`validate_manifest` what the API server would do with a create (KubeRay v1.7.0 CRDs, Kubernetes 1.35
wording) or :func:`validate_status_update` with a write to the status subresource, and
:func:`raise_for_errors` to turn a refusal into a :class:`~harness.errors.ManifestError` with a hint.

Not here: what the KubeRay operator rejects after admission (``harness.kuberay.validation``), nor lints on
accepted manifests.
"""

from __future__ import annotations

from .loader import Manifest, load_manifests, parse_manifests
from .schema import CRD_VERSIONS, CrdVersion, PrinterColumn, crd_version
from .validate import (
    FieldValidation,
    ManifestIssue,
    ValidationResult,
    hint_for,
    raise_for_errors,
    validate_manifest,
    validate_status_update,
)

__all__ = [
    "CRD_VERSIONS",
    "CrdVersion",
    "FieldValidation",
    "Manifest",
    "ManifestIssue",
    "PrinterColumn",
    "ValidationResult",
    "crd_version",
    "hint_for",
    "load_manifests",
    "parse_manifests",
    "raise_for_errors",
    "validate_manifest",
    "validate_status_update",
]
