"""The package's public surface is its sorted ``__all__``, and every listed name exists."""

from __future__ import annotations

import harness.manifests as manifests


def test_all_is_sorted_and_every_name_is_importable():
    assert manifests.__all__ == sorted(manifests.__all__)
    assert all(hasattr(manifests, name) for name in manifests.__all__)


def test_the_public_surface_is_the_documented_one():
    assert set(manifests.__all__) == {
        "CRD_VERSIONS", "CrdVersion", "FieldValidation", "Manifest", "ManifestIssue", "PrinterColumn",
        "ValidationResult", "crd_version", "hint_for", "load_manifests", "parse_manifests", "raise_for_errors",
        "validate_manifest", "validate_status_update"}
