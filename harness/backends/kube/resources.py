"""Where each kind lives on an API server: group, version, plural and scope, and the paths built from them.

The kinds a scenario names by kind alone (RayJob, RayCluster, Pod, Service, Job, ConfigMap, Event, Namespace,
NetworkPolicy...) are known in advance (:mod:`harness.model.kinds`). A manifest's object is looked up in the
server's discovery documents by its apiVersion and kind, once per group-version, as kubectl does: so any kind the
server serves can be applied (a Secret, a PVC, a Deployment), and one it does not serve is refused saying so.

Not here: requests (:mod:`.transport`, :mod:`.api`).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ...errors import InputError
from ...model.kinds import ALL_TYPES, ResourceType, resolve_kind


@dataclass(frozen=True)
class ApiResource:
    """One resource at one version: enough to build its paths."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{_quote(namespace)}"
        return f"{base}/{self.plural}"

    def item(self, name: str, *, namespace: str | None, subresource: str | None = None) -> str:
        path = f"{self.collection(namespace)}/{_quote(name)}"
        return f"{path}/{subresource}" if subresource else path

    @classmethod
    def of(cls, rtype: ResourceType, version: str | None = None) -> ApiResource:
        return cls(rtype.group, version or rtype.version, rtype.kind, rtype.plural, rtype.namespaced)


# events.k8s.io/v1 holds the same Events as core/v1, in another shape (see :mod:`.events`).
EVENTS_V1: Final = ApiResource("events.k8s.io", "v1", "Event", "events")


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def known(kind: str) -> ApiResource:
    """A kind a scenario may name (``RayJob``, ``rayjobs``, ``svc``); InputError naming them otherwise."""
    rtype = resolve_kind(kind)
    if rtype is None:
        raise InputError(f"kind={kind!r} is not one the harness reads",
                         hint="use " + ", ".join(t.kind for t in ALL_TYPES))
    return ApiResource.of(rtype)


class ResourceMap:
    """Resolves (apiVersion, kind) to a resource through the server's discovery (once per group-version): what
    the server does not serve is said so before anything is sent (a RayCronJob where its CRD is not installed)."""

    def __init__(self, discover: Callable[[str], Any]) -> None:
        self._discover = discover  # GET a discovery path, returning the decoded APIResourceList
        self._lists: dict[str, dict[str, ApiResource]] = {}
        self._lock = threading.Lock()

    def for_object(self, api_version: str, kind: str) -> ApiResource:
        """The resource of an object with this ``apiVersion`` and ``kind``; InputError if the server has none."""
        found = self._group_version(api_version).get(kind)
        if found is None:
            raise InputError(f"the API server does not serve kind={kind} in apiVersion={api_version}",
                             hint="check the manifest's apiVersion and kind (kubectl api-resources lists what the "
                                  "cluster serves); a custom resource needs its CRD installed first")
        return found

    def _group_version(self, api_version: str) -> dict[str, ApiResource]:
        with self._lock:
            cached = self._lists.get(api_version)
        if cached is not None:
            return cached
        path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        group, _, version = api_version.rpartition("/")
        try:
            document = self._discover(path)
        except Exception as exc:  # the transport's errors: a group-version the server lacks is simply empty
            if getattr(exc, "code", None) != 404:
                raise
            document = {}
        found: dict[str, ApiResource] = {}
        for item in (document or {}).get("resources") or []:
            name = str(item.get("name", ""))
            if "/" in name or not item.get("kind"):
                continue  # subresources (pods/log, rayjobs/status)
            found.setdefault(str(item["kind"]), ApiResource(group, version, str(item["kind"]), name,
                                                           bool(item.get("namespaced", True))))
        with self._lock:
            self._lists[api_version] = found
        return found

    def serves(self, api_version: str, kind: str) -> bool:
        """Whether discovery lists ``kind`` in ``api_version`` (for optional APIs such as events.k8s.io/v1)."""
        return kind in self._group_version(api_version)
