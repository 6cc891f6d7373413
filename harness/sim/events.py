"""core/v1 Events, recorded the way client-go's event recorder does it.

An event is stored as an ``Event`` object in the involved object's namespace, named ``<object>.<hex>``, pointing
at the object's kind, name, namespace and uid. A repeat of the same (object, type, reason, message) is folded
into the existing event (``count`` +1, ``lastTimestamp`` moved), as the recorder's correlator does, so that
``kubectl describe`` shows "x3 over 9s" rather than three lines.

KubeRay v1.7 emits through ``events.k8s.io`` with an ``action`` (e.g. ``Create``); the reason, type and message
are the same, and ``kubectl describe`` shows them alike, so both are recorded as core/v1 Events carrying
``action`` and ``reportingComponent``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from ..model.kinds import EVENT
from .clock import Clock
from .store import Forbidden, NotFound, ObjectStore

NORMAL: Final = "Normal"
WARNING: Final = "Warning"


class EventRecorder:
    def __init__(self, store: ObjectStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._index: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        self._counter = 0

    def record(self, obj: Mapping[str, Any], type_: str, reason: str, message: str, *, component: str,
               action: str = "") -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key = (meta["uid"], type_, reason, message)
        now = self.clock.timestamp()
        existing_name = self._index.get(key)
        if existing_name is not None:
            current = self.store.find(EVENT, *existing_name)
            if current is not None:
                updated = deep_copy(current)
                updated["count"] = int(updated.get("count", 1)) + 1
                updated["lastTimestamp"] = now
                self.store.update(updated, owned=True)
                return
        self._counter += 1
        name = f"{meta['name']}.{(int(self.clock.origin + self.clock.now) * 1_000_000 + self._counter):x}"
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {"apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", ""),
                               "name": meta["name"], "namespace": namespace, "uid": meta["uid"],
                               "resourceVersion": meta.get("resourceVersion", "")},
            "reason": reason, "message": message, "type": type_, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now,
            "source": {"component": component}, "reportingComponent": component, "reportingInstance": "",
        }
        if action:
            event["action"] = action
        try:
            self.store.create(event, owned=True)
        except (NotFound, Forbidden):
            return  # the namespace is gone or terminating; the real recorder drops the event too
        self._index[key] = (namespace, name)

    def list_for(self, obj: Mapping[str, Any]) -> list[dict[str, Any]]:
        uid = obj["metadata"]["uid"]
        events = [e for e in self.store.list(EVENT, obj["metadata"].get("namespace"))
                  if e["involvedObject"].get("uid") == uid]
        return sorted(events, key=lambda e: (e["firstTimestamp"], e["metadata"]["resourceVersion"].zfill(12)))
