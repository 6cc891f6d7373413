"""An object store with Kubernetes API semantics, shared by every simulated controller and observer.

What it reproduces (see ``KUBE_API_NOTES.md``): server-set ``uid``, ``creationTimestamp``, ``generateName``;
a global, monotonically increasing ``resourceVersion`` that no-op writes do not bump; ``generation`` that moves
only when something outside ``metadata`` and ``status`` changes; the status subresource split; optimistic
concurrency (Conflict on a stale resourceVersion); finalizers and ``deletionTimestamp``; graceful deletion of
scheduled pods (finished by the kubelet model); and garbage collection of dependents through
``ownerReferences`` with Background, Foreground and Orphan propagation.

Stored objects are immutable snapshots: every write stores a fresh copy, so readers (controllers, the journal)
may keep references without copying. Callers that want to modify an object copy it first (``deep_copy``).

Watchers are called synchronously after each change, in order; they must not write to the store from inside the
callback (they schedule work on the clock instead).

Not here: validation of CRD schemas (``harness.manifests``), printing, HTTP.
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._util.jsoncopy import deep_copy, merge_patch
from .._util.names import NameGenerator
from ..errors import HarnessError
from ..model.enums import WatchEventType
from ..model.kinds import NAMESPACE, POD, ResourceType, resource_type
from ..model.selectors import matches, parse_selector
from .clock import PRIORITY_API, Clock
from .faults import PendingFailure, WriteFaults

Obj = dict[str, Any]
FOREGROUND_FINALIZER: Final = "foregroundDeletion"
ORPHAN_FINALIZER: Final = "orphan"
DEFAULT_POD_GRACE_SECONDS: Final = 30


class ApiError(HarnessError):
    """An API-server answer that is not a success; ``code`` and ``reason`` match a ``metav1.Status``."""

    code = 500
    reason = "InternalError"


class NotFound(ApiError):
    code, reason = 404, "NotFound"


class AlreadyExists(ApiError):
    code, reason = 409, "AlreadyExists"


class Conflict(ApiError):
    code, reason = 409, "Conflict"


class Invalid(ApiError):
    code, reason = 422, "Invalid"


class BadRequest(ApiError):
    code, reason = 400, "BadRequest"


class Forbidden(ApiError):
    code, reason = 403, "Forbidden"


class InjectedFailure(ApiError):
    """A refusal a scenario asked for (:mod:`.faults`); its code and reason are the ones it was set with."""

    def __init__(self, failure: PendingFailure, name: str) -> None:
        super().__init__(failure.text(name))
        self.code = failure.code
        self.reason = failure.reason


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change, as a watch stream delivers it. ``old`` is the previous state (None for ADDED)."""

    type: WatchEventType
    rtype: ResourceType
    obj: Obj
    old: Obj | None
    t: float
    resource_version: int

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace", ""))

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


Watcher = Callable[[WatchEvent], None]
# An admission check: raises an ApiError (usually Invalid) to refuse a create or update.
Admission = Callable[[ResourceType, "Obj"], None]
Key = tuple[str, str]


def _meta(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _held(rtype: ResourceType, meta: Mapping[str, Any], obj: Obj) -> bool:
    """Whether something still holds an object being deleted: its finalizers, or for a Namespace the
    ``spec.finalizers`` the namespace controller clears once the namespace is empty."""
    if meta.get("finalizers"):
        return True
    return rtype == NAMESPACE and bool((obj.get("spec") or {}).get("finalizers"))


def _outside_meta_and_status(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class ObjectStore:
    """The simulated API server's storage and watch fan-out."""

    def __init__(self, clock: Clock, names: NameGenerator, *, history: int = 20_000) -> None:
        self.clock = clock
        self.names = names
        self._objects: dict[ResourceType, dict[Key, Obj]] = {}
        self._by_uid: dict[str, tuple[ResourceType, str, str]] = {}
        self._dependents: dict[str, set[tuple[ResourceType, str, str]]] = {}
        self._watchers: list[Watcher] = []
        self.admission: list[Admission] = []
        self.faults = WriteFaults()  # refusals a scenario injected, checked before each create and delete
        self._gc_failures: dict[str, int] = {}  # owner uid -> refused deletions of its dependents in a row
        self._rv = 0
        self.history: deque[WatchEvent] = deque(maxlen=history)
        self.writes = 0

    # -- watching --------------------------------------------------------------------------------------------------

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Subscribe to every change; returns the function that unsubscribes."""
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher) if watcher in self._watchers else None

    @property
    def resource_version(self) -> int:
        return self._rv

    def _emit(self, kind: WatchEventType, rtype: ResourceType, obj: Obj, old: Obj | None) -> None:
        self.clock.touch()
        event = WatchEvent(kind, rtype, obj, old, self.clock.now, self._rv)
        self.history.append(event)
        for watcher in list(self._watchers):
            watcher(event)

    def _next_rv(self) -> str:
        self._rv += 1
        self.writes += 1
        return str(self._rv)

    # -- reading ---------------------------------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        """The stored snapshot (do not modify it). Raises NotFound as the API server words it."""
        found = self._objects.get(rtype, {}).get((namespace if rtype.namespaced else "", name))
        if found is None:
            raise NotFound(f'{rtype.qualified} "{name}" not found')
        return found

    def find(self, rtype: ResourceType, namespace: str, name: str) -> Obj | None:
        return self._objects.get(rtype, {}).get((namespace if rtype.namespaced else "", name))

    def get_by_uid(self, uid: str) -> Obj | None:
        where = self._by_uid.get(uid)
        if where is None:
            return None
        return self.find(*where)

    def list(self, rtype: ResourceType, namespace: str | None = None,
             selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        """Objects of a type, sorted by namespace then name, optionally filtered by a label selector."""
        requirements = parse_selector(selector)
        items = self._objects.get(rtype, {})
        keys = sorted(key for key in items if namespace is None or key[0] == namespace)
        return [items[key] for key in keys if matches(requirements, _meta(items[key]).get("labels"))]

    def owned_by(self, owner_uid: str, rtype: ResourceType | None = None) -> builtins.list[Obj]:
        """The objects whose ownerReferences name ``owner_uid`` (optionally of one type), sorted by name.

        Served from the garbage collector's owner index, so controllers find their pods without scanning
        every pod of the namespace (what a label-indexed informer cache gives the real controllers).
        """
        entries = sorted((e for e in self._dependents.get(owner_uid, ()) if rtype is None or e[0] == rtype),
                         key=lambda e: (e[0].kind, e[1], e[2]))
        found = (self.find(*entry) for entry in entries)
        return [obj for obj in found if obj is not None]

    # -- writing ---------------------------------------------------------------------------------------------------

    def _type_of(self, obj: Obj) -> ResourceType:
        kind = obj.get("kind")
        rtype = resource_type(str(kind)) if kind else None
        if rtype is None:
            raise BadRequest(f'no matches for kind "{kind}" in version "{obj.get("apiVersion")}"')
        return rtype

    def create(self, obj: Obj, *, namespace: str | None = None, owned: bool = False) -> Obj:
        """Create an object; fills server-set metadata. Raises AlreadyExists or NotFound (namespace).

        ``owned=True`` hands ``obj`` over to the store, as for :meth:`update`: the caller built it fresh (its
        ``metadata`` too), keeps no reference and never modifies it again; it is stored without a copy.
        """
        rtype = self._type_of(obj)
        new: Obj = obj if owned else deep_copy(obj)
        new["apiVersion"] = rtype.api_version
        meta = new.setdefault("metadata", {})
        if rtype.namespaced:
            ns = namespace or meta.get("namespace") or "default"
            if namespace and meta.get("namespace") and meta["namespace"] != namespace:
                raise BadRequest("the namespace of the provided object does not match the namespace sent on "
                                 "the request")
            meta["namespace"] = ns
            namespace_obj = self.find(NAMESPACE, "", ns)
            if namespace_obj is None:
                raise NotFound(f'namespaces "{ns}" not found')
            if namespace_obj["metadata"].get("deletionTimestamp"):
                raise Forbidden(f'{rtype.qualified} "{meta.get("name") or meta.get("generateName", "")}" is '
                                f"forbidden: unable to create new content in namespace {ns} because it is being "
                                "terminated")
        else:
            ns = ""
            meta.pop("namespace", None)
        if not meta.get("name"):
            prefix = meta.get("generateName")
            if not prefix:
                raise Invalid(f"{rtype.kind}.{rtype.group or 'core'} is invalid: metadata.name: Required value: "
                              "name or generateName is required")
            meta["name"] = prefix + self.names.suffix()
        key = (ns, meta["name"])
        if self.faults and (failure := self.faults.take("create", rtype, ns)) is not None:
            self.clock.touch()  # one refusal fewer: the next identical request is answered differently
            raise InjectedFailure(failure, meta["name"])
        table = self._objects.setdefault(rtype, {})
        if key in table:
            raise AlreadyExists(f'{rtype.qualified} "{meta["name"]}" already exists')
        for server_field in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"):
            meta.pop(server_field, None)
        meta["uid"] = self.names.uid()
        meta["creationTimestamp"] = self.clock.timestamp()
        meta["generation"] = 1
        meta["resourceVersion"] = self._next_rv()
        if rtype.status_subresource:
            new.pop("status", None)
        if rtype == NAMESPACE:  # the namespace strategy's PrepareForCreate
            new["spec"] = {**(new.get("spec") or {}), "finalizers": ["kubernetes"]}
            new["status"] = {"phase": "Active"}
        for check in self.admission:
            check(rtype, new)
        table[key] = new
        self._by_uid[meta["uid"]] = (rtype, ns, meta["name"])
        for ref in meta.get("ownerReferences") or []:
            self._dependents.setdefault(ref["uid"], set()).add((rtype, ns, meta["name"]))
        self._emit(WatchEventType.ADDED, rtype, new, None)
        return new

    def _check_rv(self, rtype: ResourceType, current: Obj, incoming: Obj) -> None:
        wanted = _meta(incoming).get("resourceVersion")
        if wanted and str(wanted) != current["metadata"]["resourceVersion"]:
            raise Conflict(f'Operation cannot be fulfilled on {rtype.qualified} "{current["metadata"]["name"]}": '
                           "the object has been modified; please apply your changes to the latest version and "
                           "try again")

    def update(self, obj: Obj, *, owned: bool = False) -> Obj:
        """Replace everything but ``status`` (for kinds with a status subresource) and server-set metadata.

        ``owned=True`` hands ``obj`` over to the store (the caller built it fresh and keeps no reference), which
        saves a deep copy on the controllers' hot paths.
        """
        rtype = self._type_of(obj)
        meta = _meta(obj)
        current = self.get(rtype, meta.get("namespace", "default"), meta.get("name", ""))
        self._check_rv(rtype, current, obj)
        new = obj if owned else deep_copy(obj)
        new["apiVersion"] = rtype.api_version
        new_meta = new.setdefault("metadata", {})
        cur_meta = current["metadata"]
        for server_field in ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "generation", "resourceVersion"):
            if server_field in cur_meta:
                new_meta[server_field] = cur_meta[server_field]
            else:
                new_meta.pop(server_field, None)
        if rtype.status_subresource:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        if cur_meta.get("deletionTimestamp"):
            # Kubernetes forbids adding finalizers to an object being deleted.
            added = set(new_meta.get("finalizers") or []) - set(cur_meta.get("finalizers") or [])
            if added:
                raise Invalid(f"metadata.finalizers: Forbidden: no new finalizers can be added if the object is "
                              f"being deleted, found new finalizers {sorted(added)}")
        for check in self.admission:
            check(rtype, new)
        return self._replace(rtype, current, new)

    def update_status(self, obj: Obj, *, owned: bool = False) -> Obj:
        """Write only ``status`` (the ``/status`` subresource); ``owned`` as for :meth:`update`."""
        rtype = self._type_of(obj)
        meta = _meta(obj)
        current = self.get(rtype, meta.get("namespace", "default"), meta.get("name", ""))
        self._check_rv(rtype, current, obj)
        new = dict(current)
        new["metadata"] = dict(current["metadata"])
        if obj.get("status") is None:
            new.pop("status", None)
        else:
            new["status"] = obj["status"] if owned else deep_copy(obj["status"])
        return self._replace(rtype, current, new)

    def patch(self, rtype: ResourceType, namespace: str, name: str, patch: Obj, *,
              subresource: str | None = None) -> Obj:
        """Apply an RFC 7386 merge patch to the main resource or to ``status``."""
        current = self.get(rtype, namespace, name)
        self._check_rv(rtype, current, patch)
        merged = merge_patch(current, patch)
        merged["metadata"].pop("resourceVersion", None)
        if subresource == "status":
            return self.update_status(merged, owned=True)
        return self.update(merged, owned=True)

    def _replace(self, rtype: ResourceType, current: Obj, new: Obj) -> Obj:
        cur_meta, new_meta = current["metadata"], new["metadata"]
        comparable_new = {**new, "metadata": {k: v for k, v in new_meta.items() if k != "resourceVersion"}}
        comparable_cur = {**current, "metadata": {k: v for k, v in cur_meta.items() if k != "resourceVersion"}}
        if comparable_new == comparable_cur:
            return current  # a no-op write does not bump resourceVersion
        if _outside_meta_and_status(new) != _outside_meta_and_status(current):
            new_meta["generation"] = int(cur_meta.get("generation", 1)) + 1
        new_meta["resourceVersion"] = self._next_rv()
        key = (new_meta.get("namespace", ""), new_meta["name"])
        self._objects[rtype][key] = new
        old_owners = {ref["uid"] for ref in cur_meta.get("ownerReferences") or []}
        new_owners = {ref["uid"] for ref in new_meta.get("ownerReferences") or []}
        entry = (rtype, key[0], key[1])
        for uid in old_owners - new_owners:
            self._dependents.get(uid, set()).discard(entry)
        for uid in new_owners - old_owners:
            self._dependents.setdefault(uid, set()).add(entry)
        self._emit(WatchEventType.MODIFIED, rtype, new, current)
        if new_meta.get("deletionTimestamp") and not _held(rtype, new_meta, new):
            self._remove(rtype, new)
            return self.find(rtype, key[0], key[1]) or new
        return new

    # -- deleting --------------------------------------------------------------------------------------------------

    def delete(self, rtype: ResourceType, namespace: str, name: str, *, propagation: str = "Background",
               grace_period: int | None = None) -> Obj:
        """Delete as the API server does; returns the object as last seen (with deletionTimestamp if held).

        Pods that were scheduled (``spec.nodeName``) are deleted gracefully: they get a deletionTimestamp and
        the kubelet model finishes the deletion once the containers have stopped (``grace_period=0`` forces).
        """
        current = self.get(rtype, namespace, name)
        if self.faults and (failure := self.faults.take("delete", rtype, current["metadata"].get("namespace", ""))):
            self.clock.touch()
            raise InjectedFailure(failure, name)
        meta = current["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if rtype == NAMESPACE and (current.get("spec") or {}).get("finalizers"):
            return self._terminate_namespace(current)
        if propagation == "Foreground" and FOREGROUND_FINALIZER not in finalizers and self._has_dependents(meta):
            finalizers.append(FOREGROUND_FINALIZER)
        if propagation == "Orphan":
            self._orphan_dependents(meta["uid"])
        graceful = (rtype == POD and grace_period != 0 and (current.get("spec") or {}).get("nodeName")
                    and not meta.get("deletionTimestamp"))
        if meta.get("deletionTimestamp") and not finalizers and not graceful:
            if rtype == POD and grace_period == 0:
                self._remove(rtype, current)
            return current
        if finalizers or graceful:
            if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
                return current
            new = dict(current)
            new["metadata"] = dict(meta)
            new["metadata"]["finalizers"] = finalizers
            if not finalizers:
                new["metadata"].pop("finalizers", None)
            if not meta.get("deletionTimestamp"):
                grace = (grace_period if grace_period is not None else
                         int((current.get("spec") or {}).get("terminationGracePeriodSeconds",
                                                             DEFAULT_POD_GRACE_SECONDS))) if graceful else 0
                new["metadata"]["deletionTimestamp"] = self.clock.timestamp(self.clock.now + grace)
                new["metadata"]["deletionGracePeriodSeconds"] = grace
            new["metadata"]["resourceVersion"] = self._next_rv()
            self._objects[rtype][(meta.get("namespace", ""), meta["name"])] = new
            self._emit(WatchEventType.MODIFIED, rtype, new, current)
            if FOREGROUND_FINALIZER in finalizers:
                self._schedule_gc(meta["uid"])
            return new
        self._remove(rtype, current)
        return current

    def _terminate_namespace(self, current: Obj) -> Obj:
        """A Namespace is deleted in two steps: Terminating now, gone once the namespace controller emptied it."""
        if current["metadata"].get("deletionTimestamp"):
            return current
        new = dict(current)
        new["metadata"] = {**current["metadata"], "deletionTimestamp": self.clock.timestamp(),
                           "deletionGracePeriodSeconds": 0}
        new["status"] = {**(current.get("status") or {}), "phase": "Terminating"}
        new["metadata"]["resourceVersion"] = self._next_rv()
        self._objects[NAMESPACE][("", current["metadata"]["name"])] = new
        self._emit(WatchEventType.MODIFIED, NAMESPACE, new, current)
        return new

    def _has_dependents(self, meta: Mapping[str, Any]) -> bool:
        return bool(self._dependents.get(meta["uid"]))

    def _orphan_dependents(self, uid: str) -> None:
        for rtype, ns, name in sorted(self._dependents.get(uid, set()), key=lambda e: (e[0].kind, e[1], e[2])):
            dependent = self.find(rtype, ns, name)
            if dependent is None:
                continue
            patched = deep_copy(dependent)
            refs = [r for r in patched["metadata"].get("ownerReferences") or [] if r["uid"] != uid]
            patched["metadata"]["ownerReferences"] = refs
            if not refs:
                patched["metadata"].pop("ownerReferences")
            self.update(patched, owned=True)

    def _remove(self, rtype: ResourceType, obj: Obj) -> None:
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if self._objects.get(rtype, {}).get(key) is None:
            return
        del self._objects[rtype][key]
        self._by_uid.pop(meta["uid"], None)
        for ref in meta.get("ownerReferences") or []:
            self._dependents.get(ref["uid"], set()).discard((rtype, key[0], key[1]))
            self.dependents_changed(ref["uid"])
        self._rv += 1
        self.writes += 1
        self._emit(WatchEventType.DELETED, rtype, obj, obj)
        if self._dependents.get(meta["uid"]):
            self._schedule_gc(meta["uid"])
        else:
            self._dependents.pop(meta["uid"], None)

    # -- garbage collection ----------------------------------------------------------------------------------------

    def _schedule_gc(self, uid: str) -> None:
        self.clock.call_later(0.0, lambda: self._collect(uid), priority=PRIORITY_API, label=f"gc {uid}")

    def _collect(self, owner_uid: str) -> None:
        """The garbage collector's pass for one owner: delete dependents whose owners are all gone."""
        owner = self.get_by_uid(owner_uid)
        entries = sorted(self._dependents.get(owner_uid, set()), key=lambda e: (e[0].kind, e[1], e[2]))
        foreground = owner is not None and FOREGROUND_FINALIZER in (owner["metadata"].get("finalizers") or [])
        for rtype, ns, name in entries:
            dependent = self.find(rtype, ns, name)
            if dependent is None or dependent["metadata"].get("deletionTimestamp"):
                continue
            refs = dependent["metadata"].get("ownerReferences") or []
            alive = [ref for ref in refs if ref["uid"] != owner_uid and self.get_by_uid(ref["uid"]) is not None]
            if foreground or not alive:
                try:
                    self.delete(rtype, ns, name, propagation="Foreground" if foreground else "Background")
                except NotFound:
                    continue
                except ApiError:
                    # The garbage collector's queue retries a refused deletion with client-go's back-off.
                    failures = self._gc_failures.get(owner_uid, 0)
                    self._gc_failures[owner_uid] = failures + 1
                    self.clock.call_later(min(0.005 * 2 ** failures, 1000.0), lambda: self._collect(owner_uid),
                                          priority=PRIORITY_API, label=f"gc retry {owner_uid}")
                    return
        self._gc_failures.pop(owner_uid, None)
        if foreground and owner is not None:
            remaining = [e for e in self._dependents.get(owner_uid, set()) if self.find(*e) is not None]
            if not remaining:
                patched = deep_copy(owner)
                patched["metadata"]["finalizers"] = [
                    f for f in patched["metadata"].get("finalizers", []) if f != FOREGROUND_FINALIZER]
                self.update(patched, owned=True)
        elif owner is None and not any(self.find(*e) is not None for e in self._dependents.get(owner_uid, set())):
            self._dependents.pop(owner_uid, None)

    def dependents_changed(self, owner_uid: str) -> None:
        """Re-run foreground collection for an owner after one of its dependents went away."""
        owner = self.get_by_uid(owner_uid)
        if owner is not None and FOREGROUND_FINALIZER in (owner["metadata"].get("finalizers") or []):
            self._schedule_gc(owner_uid)

    # -- conveniences for built-in controllers ---------------------------------------------------------------------

    def ensure_namespace(self, name: str) -> Obj:
        existing = self.find(NAMESPACE, "", name)
        if existing is not None:
            return existing
        return self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                            "spec": {"finalizers": ["kubernetes"]}})

    def all_objects(self) -> Iterable[tuple[ResourceType, Obj]]:
        for rtype, table in self._objects.items():
            for key in sorted(table):
                yield rtype, table[key]
