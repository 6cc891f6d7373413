"""The requests the backend makes, as typed calls: get, list, server-side apply, merge patch, create, delete,
pod logs and the service proxy.

Objects go and come back as plain JSON dicts (the journal and assertions read them as such); list items get
their ``apiVersion`` and ``kind`` back (the API server leaves them out of list items). Lists are read in pages,
as kubectl does, so that a namespace with many Events costs several small answers instead of one huge one.

Not here: watches (:mod:`.watching`), HTTP and errors (:mod:`.transport`), paths (:mod:`.resources`).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Final

from .resources import ApiResource, ResourceMap
from .transport import APPLY_PATCH, MERGE_PATCH, ApiError, Response, Transport

Obj = dict[str, Any]

FIELD_MANAGER: Final = "rayjob-harness"
PAGE: Final = 500


class KubeApi:
    """Typed calls over one :class:`Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.resources = ResourceMap(lambda path: self.transport.request("GET", path).json())
        self._core_subresources: frozenset[str] | None = None

    # -- reading ---------------------------------------------------------------------------------------------------

    def version(self) -> Obj:
        found: Obj = self.transport.request("GET", "/version", timeout=10.0).json() or {}
        return found

    def get(self, res: ApiResource, name: str, *, namespace: str | None) -> Obj | None:
        try:
            obj: Obj = self.transport.request("GET", res.item(name, namespace=namespace)).json()
        except ApiError as exc:
            if exc.not_found:
                return None
            raise
        return obj

    def list(self, res: ApiResource, *, namespace: str | None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None) -> tuple[builtins.list[Obj], str]:
        """Every object (all pages; only the first ``limit`` when given) and the list's resourceVersion, from
        which a watch can start."""
        items: builtins.list[Obj] = []
        token: str | None = None
        version = ""
        while True:
            page = self.transport.request("GET", res.collection(namespace), query={
                "labelSelector": label_selector or None, "fieldSelector": field_selector or None,
                "limit": limit or PAGE, "continue": token}).json() or {}
            meta = page.get("metadata") or {}
            for item in page.get("items") or []:
                item.setdefault("apiVersion", res.api_version)
                item.setdefault("kind", res.kind)
                items.append(item)
            version = str(meta.get("resourceVersion", "")) or version
            token = meta.get("continue") or None
            if token is None or limit is not None:
                return items, version

    def discovery(self, path: str) -> Obj | None:
        try:
            found: Obj = self.transport.request("GET", path, timeout=10.0).json()
        except ApiError as exc:
            if exc.not_found:
                return None
            raise
        return found

    def watchable(self, *, events: ApiResource, skip_groups: tuple[str, ...] = ()) -> builtins.list[ApiResource]:
        """Every resource the server lists and watches, once per kind (its preferred version), with ``events`` as
        the one Event resource; ``skip_groups`` are left out."""
        found: dict[str, ApiResource] = {}
        versions = [f"v{v.removeprefix('v')}" for v in (self.discovery("/api") or {}).get("versions") or []]
        group_versions = [("", version) for version in versions]
        for group in (self.discovery("/apis") or {}).get("groups") or []:
            name = str(group.get("name", ""))
            preferred = (group.get("preferredVersion") or {}).get("version")
            if name and preferred and name not in skip_groups:
                group_versions.append((name, str(preferred)))
        for group, version in group_versions:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            for item in (self.discovery(path) or {}).get("resources") or []:
                name, kind = str(item.get("name", "")), str(item.get("kind", ""))
                verbs = set(item.get("verbs") or [])
                if "/" in name or not kind or kind == "Event" or not {"list", "watch"} <= verbs:
                    continue
                found.setdefault(kind, ApiResource(group, version, kind, name, bool(item.get("namespaced", True))))
        return [*found.values(), events]

    def serves_subresource(self, name: str) -> bool:
        """Whether the server lists the core subresource ``name`` (``services/proxy``, ``pods/exec``)."""
        if self._core_subresources is None:
            listed = (self.discovery("/api/v1") or {}).get("resources") or []
            self._core_subresources = frozenset(str(item.get("name", "")) for item in listed)
        return name in self._core_subresources

    # -- writing ---------------------------------------------------------------------------------------------------

    def apply(self, res: ApiResource, obj: Mapping[str, Any], *, namespace: str | None) -> Obj:
        """Server-side apply as field manager ``rayjob-harness``, taking over fields others set (``--force``), so
        that applying a changed manifest again changes the object as ``kubectl apply`` would."""
        name = str((obj.get("metadata") or {}).get("name", ""))
        applied: Obj = self.transport.request(
            "PATCH", res.item(name, namespace=namespace), body=dict(obj), content_type=APPLY_PATCH,
            query={"fieldManager": FIELD_MANAGER, "force": True, "fieldValidation": "Strict"}).json()
        return applied

    def create(self, res: ApiResource, obj: Mapping[str, Any], *, namespace: str | None) -> Obj:
        created: Obj = self.transport.request("POST", res.collection(namespace), body=dict(obj),
                                              query={"fieldManager": FIELD_MANAGER,
                                                     "fieldValidation": "Strict"}).json()
        return created

    def merge_patch(self, res: ApiResource, name: str, patch: Mapping[str, Any], *, namespace: str | None,
                    subresource: str | None = None) -> Obj:
        patched: Obj = self.transport.request(
            "PATCH", res.item(name, namespace=namespace, subresource=subresource), body=dict(patch),
            content_type=MERGE_PATCH,
            query={"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}).json()
        return patched

    def delete(self, res: ApiResource, name: str, *, namespace: str | None, propagation: str = "Background") -> None:
        """Request the deletion (kubectl's body); ApiError 404 when there is no such object."""
        self.transport.request("DELETE", res.item(name, namespace=namespace),
                               body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation})

    # -- pods and services -----------------------------------------------------------------------------------------

    def pod_log(self, pod: str, *, namespace: str, container: str | None = None) -> str:
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        return self.transport.request("GET", path, query={"container": container}, accept="text/plain, */*",
                                      timeout=60.0).text()

    def service_proxy(self, method: str, service: str, port: str | int, path: str, *, namespace: str,
                      body: Any = None, timeout: float = 30.0) -> Response:
        """A request to ``service:port`` through the API server's proxy (``kubectl get --raw`` reaches the same)."""
        base = f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy"
        return self.transport.request(method, base + "/" + path.lstrip("/"), body=body, timeout=timeout)
