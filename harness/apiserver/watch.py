"""Watch streams: ``?watch=true`` as newline-delimited JSON events, for kubectl, client-go and the Python client.

What a watch does (``KUBE_API_NOTES.md`` §6):
- ``resourceVersion`` unset or ``0``: an ``ADDED`` event per current object, then every change. Any other value:
  every change after it, replayed from the store's history ring; a value older than the ring answers one ERROR
  event (410 ``Expired``) and ends, so that clients re-list.
- ``sendInitialEvents=true`` (a streaming list, client-go's WatchList): the current objects as ``ADDED``, then a
  BOOKMARK annotated ``k8s.io/initial-events-end``; it needs ``allowWatchBookmarks=true`` and
  ``resourceVersionMatch=NotOlderThan``, as on a real server (422 otherwise).
- Label and field selectors are applied per event: an object that starts matching arrives as ``ADDED``, one that
  stops matching as ``DELETED``. ``DELETED`` carries the last state with the deletion's resourceVersion.
- ``timeoutSeconds`` ends the stream (default 30 minutes); with ``allowWatchBookmarks`` a BOOKMARK is sent every
  few seconds of quiet and before the end. Asked with a Table ``Accept``, each object is a one-row Table.

The subscription is made on the world thread together with the replay, so no change is lost or sent twice. The
stream yields an empty chunk once a second of quiet, which lets the HTTP layer notice a client that went away; the
generator's ``finally`` then unsubscribes (no thread or queue outlives its client).

Not here: the store's history (``harness.sim.store``), fan-out (:class:`.world.WatchHub`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ..model.enums import WatchEventType
from ..model.selectors import Requirement, matches
from ..sim.store import WatchEvent
from . import fields, tables
from .request import Request, Response
from .rest import Rest, Target
from .status import StatusError, status_body
from .world import Subscription

Obj = dict[str, Any]
DEFAULT_TIMEOUT: Final = 1800.0
BOOKMARK_EVERY: Final = 5.0  # seconds of quiet between bookmarks
TICK: Final = 1.0  # seconds between liveness checks of an idle stream
INITIAL_EVENTS_END: Final = "k8s.io/initial-events-end"


@dataclass(frozen=True)
class _Filter:
    target: Target
    labels: tuple[Requirement, ...]
    fields: tuple[fields.FieldRequirement, ...]

    def selects(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.target.namespace and self.target.served.namespaced and meta.get("namespace") != self.target.namespace:
            return False
        return matches(self.labels, meta.get("labels")) and fields.matches(self.fields, obj)

    def event_type(self, event: WatchEvent) -> str | None:
        """The type this watch sees for a store change, or None when the change is not for it."""
        if event.rtype != self.target.served.rtype:
            return None
        if event.type == WatchEventType.DELETED:
            return "DELETED" if self.selects(event.obj) else None
        now, before = self.selects(event.obj), self.selects(event.old)
        if now and before:
            return str(event.type.value)
        if now:
            return "ADDED"
        return "DELETED" if before else None


class WatchStream:
    """One watch request, from its parameters to the lines it sends."""

    def __init__(self, rest: Rest, req: Request, target: Target) -> None:
        self.rest = rest
        self.req = req
        self.target = target
        labels, field_reqs = rest.selection(req, target.served)
        self.filter = _Filter(target, labels, field_reqs)
        timeout = req.integer("timeoutSeconds")
        self.timeout = float(timeout) if timeout is not None and timeout > 0 else DEFAULT_TIMEOUT
        self.bookmarks = req.flag("allowWatchBookmarks")
        self.initial = req.flag("sendInitialEvents") if "sendInitialEvents" in req.query else None
        self.table = req.wants_table()
        self.include = req.query.get("includeObject") or "Metadata"
        self._columns_sent = False
        rv = req.query.get("resourceVersion", "")
        if self.initial is not None:
            if not self.bookmarks:
                raise StatusError(422, "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: Forbidden: "
                                       "allowWatchBookmarks must be set to true when sendInitialEvents is set")
            if req.query.get("resourceVersionMatch") != "NotOlderThan":
                raise StatusError(422, "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
                                       "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
        elif req.query.get("resourceVersionMatch"):
            raise StatusError(422, "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
                                   "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
        if rv and not rv.isdigit():
            raise StatusError(400, f"invalid resource version: {rv}")
        self.since = int(rv) if rv else 0
        self.from_snapshot = self.initial is True or (self.initial is None and self.since == 0)

    # -- setting up, on the world thread ---------------------------------------------------------------------------

    def _open(self) -> tuple[Subscription, list[tuple[str, Obj, int]], int, Obj | None]:
        world = self.rest.world
        store = world.sim.store
        current = store.resource_version
        subscription = world.hub.subscribe()
        if self.from_snapshot:
            served = self.target.served
            objs = store.list(served.rtype, self.target.namespace if served.namespaced else None)
            initial = [("ADDED", o, int(o["metadata"]["resourceVersion"])) for o in objs if self.filter.selects(o)]
            return subscription, initial, current, None
        history = store.history
        oldest = history[0].resource_version if history else current + 1
        if len(history) == history.maxlen and self.since < oldest - 1:
            world.hub.unsubscribe(subscription)
            gone = status_body(410, f"too old resource version: {self.since} ({oldest - 1})", "Expired")
            return subscription, [], current, gone
        replay = []
        for event in history:
            if event.resource_version <= self.since:
                continue
            kind = self.filter.event_type(event)
            if kind is not None:
                replay.append((kind, self._obj(event), event.resource_version))
        return subscription, replay, current, None

    @staticmethod
    def _obj(event: WatchEvent) -> Obj:
        if event.type == WatchEventType.DELETED:
            return {**event.obj, "metadata": {**event.obj["metadata"],
                                               "resourceVersion": str(event.resource_version)}}
        return event.obj

    # -- the stream ------------------------------------------------------------------------------------------------

    def response(self) -> Response:
        subscription, first, rv, gone = self.rest.world.call(self._open)
        return Response(stream=self._lines(subscription, first, rv, gone))

    def _line(self, kind: str, obj: Obj) -> bytes:
        shown: Obj = self.rest.present(self.target.served, obj)
        if self.table and kind in ("ADDED", "MODIFIED", "DELETED"):
            shown = tables.table(self.target.served, [shown], self.rest.now(),
                                 resource_version=obj["metadata"]["resourceVersion"], include=self.include,
                                 with_columns=not self._columns_sent)
            self._columns_sent = True
        return json.dumps({"type": kind, "object": shown}, separators=(",", ":")).encode() + b"\n"

    def _bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        served = self.target.served
        meta: Obj = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        obj = {"kind": served.kind, "apiVersion": served.api_version, "metadata": meta}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

    def _lines(self, subscription: Subscription, first: list[tuple[str, Obj, int]], rv: int,
               gone: Obj | None) -> Iterator[bytes]:
        world = self.rest.world
        try:
            if gone is not None:
                yield json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n"
                return
            last = rv
            for kind, obj, event_rv in first:
                last = max(last, event_rv)
                yield self._line(kind, obj)
            if self.initial:
                yield self._bookmark(rv, initial_end=True)
            deadline = time.monotonic() + self.timeout
            next_bookmark = time.monotonic() + BOOKMARK_EVERY
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    event = subscription.events.get(timeout=min(TICK, left))
                except queue.Empty:
                    if self.bookmarks and time.monotonic() >= next_bookmark:
                        next_bookmark = time.monotonic() + BOOKMARK_EVERY
                        yield self._bookmark(last)
                    else:
                        yield b""
                    continue
                if event is None:
                    return  # the server is stopping
                if event.resource_version <= last:
                    continue
                last = event.resource_version
                seen = self.filter.event_type(event)
                if seen is None:
                    continue
                if self.table:
                    yield self._line(seen, self._obj(event))
                else:
                    key = (event.resource_version, seen, self.target.served.api_version, self.target.served.shape)
                    yield world.hub.encoded(key, functools.partial(self._line, seen, self._obj(event)))
            if self.bookmarks:
                yield self._bookmark(last)
        finally:
            if world.running:
                # a world that is stopping closes every subscription anyway
                with contextlib.suppress(Exception):
                    world.call(lambda: world.hub.unsubscribe(subscription), timeout=5)
