"""What the server serves: one :class:`Served` per (group, version, resource), and discovery built from them.

The simulator's store keeps one :class:`~harness.model.kinds.ResourceType` per kind; the API serves some of them
under more than one version (``ray.io/v1alpha1`` next to ``ray.io/v1``, deprecated in KubeRay v1.7.0) or in
another shape (``events.k8s.io/v1`` Events are the core/v1 Events read through :mod:`.eventsv1`). Discovery comes
in both forms kubectl understands: aggregated (``apidiscovery.k8s.io/v2``, two requests) and legacy
(``APIVersions``, ``APIGroupList``, ``APIResourceList``).

Not here: the schemas (:mod:`.openapi`), printing (:mod:`.tables`), the simulator's controls (:mod:`.controls`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..manifests import CRD_VERSIONS, CrdVersion, crd_version
from ..model.kinds import (
    CONFIGMAP,
    EVENT,
    JOB,
    NAMESPACE,
    NETWORKPOLICY,
    POD,
    RAYCLUSTER,
    RAYCRONJOB,
    RAYJOB,
    SECRET,
    SERVICE,
    ResourceType,
)

Obj = dict[str, Any]
VERBS: Final = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS: Final = ("get", "patch", "update")
CONTROLS_GROUP: Final = "simulator.rayjob-harness.io"
CONTROLS_VERSION: Final = "v1alpha1"


@dataclass(frozen=True)
class Served:
    """One resource as the API serves it at one group/version."""

    rtype: ResourceType  # where the objects live in the store
    version: str
    group: str = ""  # empty: the same as the store's type
    shape: str = ""  # "" the stored shape; "events.k8s.io" the events.k8s.io/v1 view of core Events
    subresources: tuple[str, ...] = ("status",)

    @property
    def api_group(self) -> str:
        return self.group or self.rtype.group

    @property
    def api_version(self) -> str:
        return f"{self.api_group}/{self.version}" if self.api_group else self.version

    @property
    def kind(self) -> str:
        return self.rtype.kind

    @property
    def plural(self) -> str:
        return self.rtype.plural

    @property
    def singular(self) -> str:
        return self.rtype.kind.lower()

    @property
    def namespaced(self) -> bool:
        return self.rtype.namespaced

    @property
    def qualified(self) -> str:
        """``rayjobs.ray.io``, ``pods``, ``events.events.k8s.io``: how error messages name the resource."""
        return f"{self.plural}.{self.api_group}" if self.api_group else self.plural

    @property
    def crd(self) -> CrdVersion | None:
        return crd_version(self.kind, self.api_version)

    @property
    def deprecation_warning(self) -> str:
        crd = self.crd
        return crd.deprecation_warning if crd is not None else ""

    @property
    def custom(self) -> bool:
        return self.crd is not None

    @property
    def short_names(self) -> tuple[str, ...]:
        return self.rtype.short_names if not self.shape else ()

    @property
    def categories(self) -> tuple[str, ...]:
        return self.rtype.categories


def _crd_served(rtype: ResourceType) -> list[Served]:
    return [Served(rtype, cv.version) for cv in CRD_VERSIONS if cv.kind == rtype.kind]


SERVED: Final[tuple[Served, ...]] = (
    *_crd_served(RAYJOB),
    *_crd_served(RAYCLUSTER),
    *_crd_served(RAYCRONJOB),  # the CRD is installed whatever the gate; only the gate runs its controller
    Served(POD, "v1", subresources=("log", "status")),
    Served(SERVICE, "v1"),
    Served(EVENT, "v1", subresources=()),
    Served(CONFIGMAP, "v1", subresources=()),
    Served(SECRET, "v1", subresources=()),
    Served(NAMESPACE, "v1"),
    Served(JOB, "v1"),
    Served(NETWORKPOLICY, "v1", subresources=()),
    Served(EVENT, "v1", group="events.k8s.io", shape="events.k8s.io", subresources=()),
)


def find(group: str, version: str, plural: str) -> Served | None:
    return next((s for s in SERVED if s.api_group == group and s.version == version and s.plural == plural), None)


def for_type(rtype: ResourceType) -> Served:
    """The storage-version resource of a stored type (how its objects are returned by default)."""
    return next(s for s in SERVED if s.rtype == rtype and not s.shape and s.version == rtype.version)


def group_versions() -> list[tuple[str, list[str]]]:
    """Every served group (core first) with its versions, preferred (storage) version first."""
    groups: dict[str, list[str]] = {}
    for served in SERVED:
        versions = groups.setdefault(served.api_group, [])
        if served.version not in versions:
            versions.append(served.version)
    return [(group, versions) for group, versions in groups.items()]


def in_group_version(group: str, version: str) -> list[Served]:
    return [s for s in SERVED if s.api_group == group and s.version == version]


# -- discovery ---------------------------------------------------------------------------------------------------


def _legacy_resources(served: Sequence[Served]) -> list[Obj]:
    out: list[Obj] = []
    for s in served:
        entry: Obj = {"name": s.plural, "singularName": s.singular, "namespaced": s.namespaced, "kind": s.kind,
                      "verbs": list(VERBS)}
        if s.short_names:
            entry["shortNames"] = list(s.short_names)
        if s.categories:
            entry["categories"] = list(s.categories)
        out.append(entry)
        for sub in s.subresources:
            verbs = ["get"] if sub == "log" else list(STATUS_VERBS)
            kind = "Pod" if sub == "log" else s.kind
            out.append({"name": f"{s.plural}/{sub}", "singularName": "", "namespaced": s.namespaced, "kind": kind,
                        "verbs": verbs})
    return out


def api_resource_list(group: str, version: str, extra: Sequence[Obj] = ()) -> Obj:
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": _legacy_resources(in_group_version(group, version)) + list(extra)}


def api_versions(address: str) -> Obj:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}]}


def api_group_list(extra: Sequence[tuple[str, list[str]]] = ()) -> Obj:
    groups = []
    for group, versions in [*group_versions(), *extra]:
        if not group:
            continue
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _aggregated_resource(s: Served) -> Obj:
    kind = {"group": s.api_group, "version": s.version, "kind": s.kind}
    entry: Obj = {"resource": s.plural, "responseKind": kind, "scope": "Namespaced" if s.namespaced else "Cluster",
                  "singularResource": s.singular, "verbs": list(VERBS)}
    if s.short_names:
        entry["shortNames"] = list(s.short_names)
    if s.categories:
        entry["categories"] = list(s.categories)
    subresources = []
    for sub in s.subresources:
        if sub == "log":
            subresources.append({"subresource": "log", "responseKind": {"group": "", "version": "v1",
                                                                        "kind": "Pod"}, "verbs": ["get"]})
        else:
            subresources.append({"subresource": sub, "responseKind": kind, "verbs": list(STATUS_VERBS)})
    if subresources:
        entry["subresources"] = subresources
    return entry


def aggregated(core: bool, extra: Sequence[Obj] = ()) -> Obj:
    """The ``APIGroupDiscoveryList`` for ``/api`` (``core``) or ``/apis``; ``extra`` adds whole group entries."""
    items = []
    for group, versions in group_versions():
        if (group == "") != core:
            continue
        items.append({"metadata": {"name": group} if group else {},
                      "versions": [{"version": v, "freshness": "Current",
                                    "resources": [_aggregated_resource(s) for s in in_group_version(group, v)]}
                                   for v in versions]})
    if not core:
        items.extend(extra)
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": items}


AGGREGATED_CONTENT_TYPE: Final = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
