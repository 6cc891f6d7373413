"""The namespace controller: empties a Terminating namespace, then lets it go.

Deleting a Namespace marks it Terminating (``status.phase``, ``deletionTimestamp``; see the store); this
controller then deletes every object in it (background propagation, so finalizers such as KubeRay's
``ray.io/rayjob-finalizer`` get their turn) and, once nothing is left, clears ``spec.finalizers`` so that the store
removes the namespace. While Terminating, the store refuses new objects in the namespace, as the API server does.

Not here: the store's deletion rules (``harness.sim.store``).
"""

from __future__ import annotations

from typing import Final

from .._util.jsoncopy import deep_copy
from ..model.enums import WatchEventType
from ..model.kinds import ALL_TYPES, NAMESPACE
from ..sim.clock import PRIORITY_API, Clock
from ..sim.store import ApiError, ObjectStore, WatchEvent

RECHECK_SECONDS: Final = 1.0  # how often a Terminating namespace is looked at again while objects remain


class NamespaceController:
    def __init__(self, store: ObjectStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._queued: set[str] = set()
        store.watch(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype != NAMESPACE or event.type != WatchEventType.MODIFIED:
            return
        if event.obj["metadata"].get("deletionTimestamp") and event.name not in self._queued:
            self._queued.add(event.name)
            self.clock.call_later(0.0, lambda: self._sync(event.name), priority=PRIORITY_API,
                                  label=f"namespace {event.name}")

    def _sync(self, name: str) -> None:
        namespace = self.store.find(NAMESPACE, "", name)
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            self._queued.discard(name)
            return
        remaining = 0
        for rtype in ALL_TYPES:
            if not rtype.namespaced:
                continue
            for obj in self.store.list(rtype, name):
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.store.delete(rtype, name, obj["metadata"]["name"])
                except ApiError:
                    continue  # gone meanwhile
        if remaining:
            self.clock.call_later(RECHECK_SECONDS, lambda: self._sync(name), priority=PRIORITY_API,
                                  label=f"namespace {name}")
            return
        self._queued.discard(name)
        emptied = deep_copy(namespace)
        emptied["spec"] = {**(emptied.get("spec") or {}), "finalizers": []}
        self.store.update(emptied, owned=True)
