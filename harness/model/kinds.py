"""The resource types the simulated API knows, with the facts an API server keeps about each.

One :class:`ResourceType` per kind: group, served versions, plural, scope, and whether ``status`` is a
subresource (writes to the main resource then ignore ``.status``, and ``create`` drops it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, eq=False)
class ResourceType:
    """Compared and hashed by value, as a frozen dataclass would be, but with the hash computed once: every watch
    event and store lookup hashes or compares one (the generated methods build a tuple of all fields each time)."""

    group: str
    version: str  # the storage version; objects are stored and returned with this apiVersion
    kind: str
    plural: str
    namespaced: bool = True
    status_subresource: bool = True
    served_versions: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def _key(self) -> tuple[object, ...]:
        return (self.group, self.version, self.kind, self.plural, self.namespaced, self.status_subresource,
                self.served_versions, self.short_names, self.categories)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._key()))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, ResourceType):
            return NotImplemented
        return self._hash == other._hash and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    @functools.cached_property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @functools.cached_property
    def qualified(self) -> str:
        """``rayjobs.ray.io`` / ``pods``: the resource name used in API error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def serves(self, api_version: str) -> bool:
        group, _, version = api_version.rpartition("/")
        return group == self.group and version in (self.served_versions or (self.version,))


RAYJOB: Final = ResourceType("ray.io", "v1", "RayJob", "rayjobs", served_versions=("v1", "v1alpha1"),
                             categories=("all",))
RAYCLUSTER: Final = ResourceType("ray.io", "v1", "RayCluster", "rayclusters",
                                 served_versions=("v1", "v1alpha1"), categories=("all",))
# Served whenever the KubeRay CRDs are installed (v1.6+ ship ray.io_raycronjobs); only the RayCronJob gate starts
# its controller.
RAYCRONJOB: Final = ResourceType("ray.io", "v1", "RayCronJob", "raycronjobs", categories=("all",))
POD: Final = ResourceType("", "v1", "Pod", "pods", short_names=("po",), categories=("all",))
SERVICE: Final = ResourceType("", "v1", "Service", "services", short_names=("svc",), categories=("all",))
CONFIGMAP: Final = ResourceType("", "v1", "ConfigMap", "configmaps", status_subresource=False,
                                short_names=("cm",))
SECRET: Final = ResourceType("", "v1", "Secret", "secrets", status_subresource=False)
EVENT: Final = ResourceType("", "v1", "Event", "events", status_subresource=False, short_names=("ev",))
NAMESPACE: Final = ResourceType("", "v1", "Namespace", "namespaces", namespaced=False, short_names=("ns",))
JOB: Final = ResourceType("batch", "v1", "Job", "jobs", categories=("all",))
# Created by KubeRay's NetworkPolicy controller (v1.7, RayClusterNetworkPolicy gate); it has no status.
NETWORKPOLICY: Final = ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies",
                                    status_subresource=False, short_names=("netpol",))

ALL_TYPES: Final = (RAYJOB, RAYCLUSTER, RAYCRONJOB, POD, SERVICE, CONFIGMAP, SECRET, EVENT, NAMESPACE, JOB,
                    NETWORKPOLICY)
_BY_KIND: Final = {rt.kind: rt for rt in ALL_TYPES}


def resource_type(kind: str) -> ResourceType | None:
    """The type for a Kind name (``RayJob``), or None when the simulator does not model it."""
    return _BY_KIND.get(kind)


def resource_type_for(api_version: str, kind: str) -> ResourceType | None:
    """The type for an ``apiVersion``/``kind`` pair, or None if that pair is not served."""
    rt = _BY_KIND.get(kind)
    return rt if rt is not None and rt.serves(api_version) else None


def resolve_kind(name: str) -> ResourceType | None:
    """A type from how people name it: ``RayJob``, ``rayjob``, ``rayjobs``, ``svc``, ``rayjobs.ray.io``."""
    wanted = name.strip().lower()
    for rt in ALL_TYPES:
        if wanted in (rt.kind.lower(), rt.plural, rt.qualified, *rt.short_names):
            return rt
    return None
