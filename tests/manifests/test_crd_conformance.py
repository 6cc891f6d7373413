"""The project's own schema tables agree with KubeRay v1.7.0's published CRDs, node by modelled node.

The CRDs are reference data outside the project; this test reads them when present and skips otherwise.
Every node the tables model is compared: field names (unknown-field pruning), types, int formats, defaults,
enums, minimums, minItems, required lists, list-map keys and x-kubernetes-validations rules (expression and every
field of the rule). Opaque nodes are compared by type.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.manifests import CRD_VERSIONS, CrdVersion
from harness.manifests.cel_rules import Rule
from harness.manifests.schema_nodes import Schema
from harness.model.kinds import resource_type

# shared/ sits beside the checkout (CI) or at /work/shared (a development machine).
_SHARED = next((p for p in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared")) if p.is_dir()),
               Path("/work/shared"))
CRDS = _SHARED / "kuberay" / "crds"
FILES = {"RayJob": "v1.7.0-ray.io_rayjobs.yaml", "RayCluster": "v1.7.0-ray.io_rayclusters.yaml"}

pytestmark = pytest.mark.skipif(not CRDS.is_dir(), reason="the KubeRay CRDs are not available")
# The reference folder holds the RayJob and RayCluster CRDs; the RayCronJob table reuses the RayJob spec table.
SHARED_VERSIONS = [v for v in CRD_VERSIONS if v.kind in FILES]


@functools.cache
def crd(kind: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRDs are large: libyaml when available
    loaded: dict[str, Any] = yaml.load((CRDS / FILES[kind]).read_text(), Loader=loader)
    return loaded


def served(kind: str, version: str) -> dict[str, Any]:
    return next(v for v in crd(kind)["spec"]["versions"] if v["name"] == version)


def crd_type(node: dict[str, Any]) -> str:
    return "int-or-string" if node.get("x-kubernetes-int-or-string") else node.get("type", "")


def rule_fields(rule: Rule) -> tuple[str, str, str, str, str, bool]:
    return (rule.rule, rule.message, rule.message_expression, rule.reason, rule.field_path, rule.optional_old_self)


def crd_rule_fields(rule: dict[str, Any]) -> tuple[str, str, str, str, str, bool]:
    return (rule["rule"], rule.get("message", ""), rule.get("messageExpression", ""), rule.get("reason", ""),
            rule.get("fieldPath", ""), bool(rule.get("optionalOldSelf", False)))


def mismatches(mine: Schema, theirs: dict[str, Any], path: str) -> list[str]:
    """Every difference between a modelled node and the CRD's node at the same path."""
    found: list[str] = []

    def differ(what: str, ours: Any, upstream: Any) -> None:
        if ours != upstream:
            found.append(f"{path}: {what} is {ours!r} here, {upstream!r} in the CRD")

    differ("type", mine.type, crd_type(theirs))
    if mine.int_format:
        differ("format", mine.int_format, theirs.get("format"))
    differ("default", mine.default if mine.has_default else None, theirs.get("default"))
    differ("enum", mine.enum, tuple(theirs.get("enum", ())))
    differ("minimum", mine.minimum, theirs.get("minimum"))
    differ("minItems", mine.min_items, theirs.get("minItems"))
    rules = tuple(rule_fields(r) for r in mine.rules)
    differ("rules", rules, tuple(crd_rule_fields(r) for r in theirs.get("x-kubernetes-validations", ())))
    if mine.list_map_keys:
        differ("list-map keys", mine.list_map_keys, tuple(theirs.get("x-kubernetes-list-map-keys", ())))
    if mine.properties is not None:
        differ("required", sorted(mine.required), sorted(theirs.get("required", ())))
        differ("fields", sorted(mine.properties), sorted(theirs.get("properties", {})))
        for name, child in mine.properties.items():
            if name in theirs.get("properties", {}):
                found += mismatches(child, theirs["properties"][name], f"{path}.{name}")
    if mine.additional is not None:
        found += mismatches(mine.additional, theirs.get("additionalProperties", {}), f"{path}{{}}")
    if mine.items is not None:
        found += mismatches(mine.items, theirs.get("items", {}), f"{path}[]")
    return found


@pytest.mark.parametrize("version", SHARED_VERSIONS, ids=lambda v: f"{v.kind}-{v.version}")
def test_every_modelled_spec_node_matches_the_crd(version: CrdVersion) -> None:
    upstream = served(version.kind, version.version)["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert mismatches(version.spec, upstream, "spec") == []


@pytest.mark.parametrize("version", SHARED_VERSIONS, ids=lambda v: f"{v.kind}-{v.version}")
def test_the_whole_object_has_the_crds_top_level_fields(version: CrdVersion) -> None:
    upstream = served(version.kind, version.version)["schema"]["openAPIV3Schema"]
    assert sorted(version.root.properties or {}) == sorted(upstream["properties"])


@pytest.mark.parametrize("version", SHARED_VERSIONS, ids=lambda v: f"{v.kind}-{v.version}")
def test_storage_flag_and_deprecation_warning_match_the_crd(version: CrdVersion) -> None:
    upstream = served(version.kind, version.version)
    assert upstream["served"] is True
    assert version.storage == upstream["storage"]
    assert version.deprecation_warning == upstream.get("deprecationWarning", "")
    assert bool(version.deprecation_warning) == upstream.get("deprecated", False)


@pytest.mark.parametrize("version", SHARED_VERSIONS, ids=lambda v: f"{v.kind}-{v.version}")
def test_printer_columns_match_the_crd(version: CrdVersion) -> None:
    upstream = served(version.kind, version.version).get("additionalPrinterColumns", [])
    assert [(c.name, c.type, c.json_path, c.priority) for c in version.printer_columns] == [
        (c["name"], c["type"], c["jsonPath"], c.get("priority", 0)) for c in upstream]


@pytest.mark.parametrize("kind", sorted(FILES))
def test_every_served_version_is_modelled_and_known_to_the_resource_registry(kind: str) -> None:
    versions = [v["name"] for v in crd(kind)["spec"]["versions"] if v["served"]]
    assert sorted(v.version for v in CRD_VERSIONS if v.kind == kind) == sorted(versions)
    rtype = resource_type(kind)
    assert rtype is not None and sorted(rtype.served_versions) == sorted(versions)
    assert rtype.plural == crd(kind)["spec"]["names"]["plural"]


def test_the_crds_have_no_conversion_webhook() -> None:
    """Conversion strategy None is why a v1alpha1 object is stored as v1 with only apiVersion changed."""
    for kind in FILES:
        assert crd(kind)["spec"].get("conversion", {"strategy": "None"})["strategy"] == "None"
