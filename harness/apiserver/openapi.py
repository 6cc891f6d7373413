"""OpenAPI v3 documents for every served group/version, generated from the project's own schema models.

kubectl 1.32 needs them on every ``apply``, ``create``, ``replace`` and ``edit``: it looks for a PATCH operation
carrying the kind's ``x-kubernetes-group-version-kind`` and a ``fieldValidation`` query parameter, and then
leaves validation to the server (``fieldValidation=Strict``). ``kubectl explain rayjob.spec`` reads
``components.schemas``. The RayJob and RayCluster schemas are built from :mod:`harness.manifests.schema` (the
same tables the server validates with); built-in kinds get an open object schema (the server checks them with
:mod:`harness.manifests.builtin`).

The PATCH operations never list ``application/strategic-merge-patch+json``: kubectl would then compute strategic
patches from these schemas, which do not carry patch merge keys; without it kubectl sends merge patches for custom
resources and uses its compiled-in types for built-in kinds. Each document's ``hash`` is a content hash, so
kubectl's cache stays valid across restarts of the same release.

Not here: discovery (:mod:`.resources`).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any, Final

from ..manifests.schema_nodes import Schema
from .resources import Served, group_versions, in_group_version

Obj = dict[str, Any]
_PATCH_TYPES: Final = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
_BUILTIN_PACKAGES: Final = {"": "io.k8s.api.core", "batch": "io.k8s.api.batch", "events.k8s.io": "io.k8s.api.events",
                            "networking.k8s.io": "io.k8s.api.networking"}


def schema_json(node: Schema) -> Obj:
    """One structural-schema node as OpenAPI v3 (the subset a CRD's ``openAPIV3Schema`` uses)."""
    if node.type == "int-or-string":
        out: Obj = {"x-kubernetes-int-or-string": True,
                    "anyOf": [{"type": "integer"}, {"type": "string"}]}
    else:
        out = {"type": node.type}
    if node.int_format:
        out["format"] = node.int_format
    if node.properties is not None:
        out["properties"] = {name: schema_json(child) for name, child in sorted(node.properties.items())}
    elif node.additional is not None:
        out["additionalProperties"] = schema_json(node.additional)
    elif node.type == "object":
        out["x-kubernetes-preserve-unknown-fields"] = True
    if node.items is not None:
        out["items"] = schema_json(node.items)
    if node.list_map_keys:
        out["x-kubernetes-list-type"] = "map"
        out["x-kubernetes-list-map-keys"] = list(node.list_map_keys)
    if node.required:
        out["required"] = list(node.required)
    if node.has_default:
        out["default"] = node.default
    if node.enum:
        out["enum"] = list(node.enum)
    if node.minimum is not None:
        out["minimum"] = node.minimum
    if node.min_items is not None:
        out["minItems"] = node.min_items
    return out


def schema_name(served: Served) -> str:
    if served.custom:
        reversed_group = ".".join(reversed(served.api_group.split(".")))
        return f"{reversed_group}.{served.version}.{served.kind}"
    return f"{_BUILTIN_PACKAGES[served.api_group]}.{served.version}.{served.kind}"


def _gvk(served: Served) -> Obj:
    return {"group": served.api_group, "version": served.version, "kind": served.kind}


def _object_schema(served: Served) -> Obj:
    crd = served.crd
    if crd is not None:
        body = schema_json(crd.root)
        body["properties"]["metadata"] = {"type": "object"}
        body["properties"]["status"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        body["description"] = f"{served.kind} is the Schema for the {served.plural} API"
    else:
        body = {"type": "object", "description": f"{served.kind} ({served.api_version}), served by the simulator",
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"type": "object"}},
                "x-kubernetes-preserve-unknown-fields": True}
    body["x-kubernetes-group-version-kind"] = [_gvk(served)]
    return body


def _parameter(name: str, where: str = "query") -> Obj:
    return {"name": name, "in": where, "schema": {"type": "string"}, "uniqueItems": True}


def _operations(served: Served, ref: Obj) -> tuple[Obj, Obj]:
    """(collection path item, object path item) for one resource."""
    gvk = _gvk(served)
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
    write_params = [_parameter("dryRun"), _parameter("fieldManager"), _parameter("fieldValidation")]
    collection = {
        "get": {"operationId": f"list{served.kind}", "x-kubernetes-action": "list",
                "x-kubernetes-group-version-kind": gvk, "responses": ok,
                "parameters": [_parameter(p) for p in ("labelSelector", "fieldSelector", "limit", "continue",
                                                       "resourceVersion", "watch", "timeoutSeconds")]},
        "post": {"operationId": f"create{served.kind}", "x-kubernetes-action": "post",
                 "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                 "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": ok},
    }
    item = {
        "get": {"operationId": f"read{served.kind}", "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk, "responses": ok},
        "put": {"operationId": f"replace{served.kind}", "x-kubernetes-action": "put",
                "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": ok},
        "patch": {"operationId": f"patch{served.kind}", "x-kubernetes-action": "patch",
                  "x-kubernetes-group-version-kind": gvk, "parameters": [*write_params, _parameter("force")],
                  "requestBody": {"content": {t: {"schema": {"type": "object"}} for t in _PATCH_TYPES}},
                  "responses": ok},
        "delete": {"operationId": f"delete{served.kind}", "x-kubernetes-action": "delete",
                   "x-kubernetes-group-version-kind": gvk, "parameters": [_parameter("dryRun"),
                                                                          _parameter("propagationPolicy"),
                                                                          _parameter("gracePeriodSeconds")],
                   "responses": ok},
    }
    return collection, item


def _prefix(served: Served) -> str:
    return f"/apis/{served.api_group}/{served.version}" if served.api_group else "/api/v1"


@cache
def document(group: str, version: str) -> Obj:
    """The OpenAPI v3 document of one group/version."""
    paths: Obj = {}
    schemas: Obj = {}
    for served in in_group_version(group, version):
        name = schema_name(served)
        schemas[name] = _object_schema(served)
        ref = {"$ref": f"#/components/schemas/{name}"}
        collection, item = _operations(served, ref)
        base = _prefix(served)
        if served.namespaced:
            paths[f"{base}/namespaces/{{namespace}}/{served.plural}"] = collection
            paths[f"{base}/namespaces/{{namespace}}/{served.plural}/{{name}}"] = item
            paths[f"{base}/{served.plural}"] = {"get": collection["get"]}
        else:
            paths[f"{base}/{served.plural}"] = collection
            paths[f"{base}/{served.plural}/{{name}}"] = item
    title = f"{group or 'core'}/{version}"
    return {"openapi": "3.0.0", "info": {"title": "rayjob-harness simulator", "version": title},
            "paths": paths, "components": {"schemas": schemas}}


def _key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@cache
def document_hash(group: str, version: str) -> str:
    text = json.dumps(document(group, version), sort_keys=True).encode()
    return hashlib.sha512(text).hexdigest()[:128].upper()


def index() -> Obj:
    """``/openapi/v3``: where each group/version's document is, with its content hash."""
    paths = {}
    for group, versions in group_versions():
        for version in versions:
            key = _key(group, version)
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={document_hash(group, version)}"}
    return {"paths": paths}


def lookup(path: str) -> Obj | None:
    """The document served at ``/openapi/v3/<path>``, or None."""
    for group, versions in group_versions():
        for version in versions:
            if _key(group, version) == path:
                return document(group, version)
    return None
