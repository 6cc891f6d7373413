"""What the Kubernetes backend has observed: the objects of its namespaces as the watches last reported them,
and a journal entry for every change.

Every watch reports into one :class:`Observed`, under one lock, so that the journal and the objects it answers
``get`` and ``list`` with never disagree: a step that sees a RayJob ``Complete`` finds the change in the journal
too. Waiting is by notification: :meth:`Observed.wait_changed` wakes on the next change, and
:meth:`Observed.wait_version` until the watch has delivered a given resourceVersion of an object (reading one's
own writes: an ``apply`` returns once the watch has the object it created).

Entries are stamped by the backend's clock when they are recorded. While the clock is held (:meth:`hold`, used
when virtual time is stepped on a simulator's server), changes are kept back and recorded together at
:meth:`release`, in resourceVersion order, at the virtual instant they happened: changes of several kinds arrive
on several watch connections, and this makes their order the server's order rather than the network's.

Not here: the watches (:mod:`.watching`), the journal format (``harness.journal``).
"""

from __future__ import annotations

import builtins
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..._util.jsoncopy import deep_copy
from ...journal import Journal
from ...model.selectors import matches, parse_selector
from .watching import ChangeSink

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _rv_number(obj: Mapping[str, Any]) -> int:
    text = str(_meta(obj).get("resourceVersion", ""))
    return int(text) if text.isdigit() else 0


class Observed:
    """The watched objects by kind, and the journal they feed."""

    def __init__(self, journal: Journal, now: Callable[[], float]) -> None:
        self.journal = journal
        self._now = now
        self._cond = threading.Condition()
        self._objects: dict[str, dict[Key, Obj]] = {}
        self._first_seen: dict[str, int] = {}  # uid -> resourceVersion when first seen (Event order)
        self._followed: set[str] = set()  # the namespaces whose changes are kept and journaled
        self._kinds: set[str] = set()  # the kinds the watches deliver
        self._held: list[tuple[str, Obj, Obj | None]] | None = None
        self._pending: list[tuple[str, str, Key, Obj]] | None = None  # changes not shown yet (see replaying)
        self.changes = 0  # how many changes were recorded so far

    # -- what is followed ------------------------------------------------------------------------------------------

    def follow(self, namespace: str, kinds: tuple[str, ...] = ()) -> None:
        """Keep and journal the changes in ``namespace`` (of ``kinds``, and of those already watched)."""
        with self._cond:
            self._followed.add(namespace)
            self._kinds.update(kinds)

    def watch_kinds(self, kinds: tuple[str, ...]) -> None:
        with self._cond:
            self._kinds.update(kinds)

    def unfollow(self, namespace: str) -> None:
        with self._cond:
            self._followed.discard(namespace)
            for table in self._objects.values():
                for key in [key for key in table if key[0] == namespace]:
                    del table[key]

    def covers(self, kind: str, namespace: str | None) -> bool:
        """Whether ``kind`` in ``namespace`` is watched (so that reads can be answered here)."""
        return namespace is not None and namespace in self._followed and kind in self._kinds

    def record_action(self, action: str, *, kind: str = "", namespace: str = "", name: str = "",
                      detail: str = "") -> None:
        """A journal entry for what the harness did (under the lock the watches record under)."""
        with self._cond:
            self.journal.record_action(action, kind=kind, namespace=namespace, name=name, detail=detail)

    def sink(self, kind: str) -> ChangeSink:
        def receive(type_: str, obj: Obj, old: Obj | None) -> None:
            self._receive(kind, type_, obj, old)

        return receive

    def _receive(self, kind: str, type_: str, obj: Obj, old: Obj | None) -> None:
        with self._cond:
            meta = _meta(obj)
            key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
            if key[0] not in self._followed:
                return  # another namespace (the simulator's server is watched whole)
            if self._pending is not None:
                self._pending.append((kind, type_, key, obj))
            else:
                self._show(kind, type_, key, obj)
            if self._held is not None:
                self._held.append((type_, obj, old))
            else:
                self.journal.record_change(type_, obj, old, t=self._now())
            self.changes += 1
            self._cond.notify_all()

    def _show(self, kind: str, type_: str, key: Key, obj: Obj) -> None:
        table = self._objects.setdefault(kind, {})
        if type_ == "DELETED":
            table.pop(key, None)
        else:
            table[key] = obj
            self._first_seen.setdefault(str(_meta(obj).get("uid", "")), _rv_number(obj))

    # -- replaying changes one at a time while a wait checks its condition ---------------------------------------

    @contextlib.contextmanager
    def replaying(self) -> Iterator[None]:
        """Within the block, changes that arrive are not shown at once: :meth:`show_next` shows them one by one,
        in resourceVersion order, so that a condition can be checked against every state an object passed
        through (as ``kubectl wait`` checks every watch event), not only the latest. Leaving shows the rest."""
        with self._cond:
            self._pending = []
        try:
            yield
        finally:
            with self._cond:
                pending, self._pending = self._pending or [], None
                for item in sorted(pending, key=lambda change: _rv_number(change[3])):
                    self._show(*item)

    def show_next(self) -> bool:
        """Show the earliest change held back by :meth:`replaying`; False when there is none."""
        with self._cond:
            if not self._pending:
                return False
            first = min(range(len(self._pending)), key=lambda i: _rv_number(self._pending[i][3]))  # type: ignore[index]
            self._show(*self._pending.pop(first))
            return True

    # -- holding back while virtual time is stepped ----------------------------------------------------------------

    def hold(self) -> None:
        with self._cond:
            if self._held is None:
                self._held = []

    def release(self, t: float | None = None) -> None:
        """Record what was held back, in resourceVersion order, stamped ``t`` (default: now)."""
        with self._cond:
            held, self._held = self._held, None
            if not held:
                return
            when = self._now() if t is None else t
            for type_, obj, old in sorted(held, key=lambda change: _rv_number(change[1])):
                self.journal.record_change(type_, obj, old, t=when)

    # -- reading ---------------------------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        with self._cond:
            found = self._objects.get(kind, {}).get((namespace, name))
            return deep_copy(found) if found is not None else None

    def list(self, kind: str, namespace: str, selector: str | Mapping[str, str] | None = None) -> builtins.list[Obj]:
        requirements = parse_selector(selector)
        with self._cond:
            table = self._objects.get(kind, {})
            return [deep_copy(table[key]) for key in sorted(table)
                    if key[0] == namespace and matches(requirements, _meta(table[key]).get("labels"))]

    def events(self, namespace: str) -> builtins.list[Obj]:
        """core/v1 Events of ``namespace``, oldest first (in the order they were created)."""
        with self._cond:
            table = self._objects.get("Event", {})
            found = [obj for key, obj in table.items() if key[0] == namespace]
            found.sort(key=lambda e: (self._first_seen.get(str(_meta(e).get("uid", "")), 0),
                                      str(_meta(e).get("name", ""))))
            return [deep_copy(obj) for obj in found]

    # -- waiting ---------------------------------------------------------------------------------------------------

    def wait_changed(self, seen: int, timeout: float) -> int:
        """Block until more than ``seen`` changes were recorded, or ``timeout`` seconds pass; the count now."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.changes <= seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self.changes

    def wait_version(self, kind: str, namespace: str, name: str, resource_version: str, *, gone: bool = False,
                     timeout: float = 30.0) -> bool:
        """Block until the watch delivered ``resource_version`` of the object (or a later one), or its deletion
        when ``gone``; False after ``timeout`` seconds."""
        wanted = int(resource_version) if resource_version.isdigit() else None
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                current = self._objects.get(kind, {}).get((namespace, name))
                if gone and current is None:
                    return True
                if not gone and current is not None:
                    have = str(_meta(current).get("resourceVersion", ""))
                    if have == resource_version or (wanted is not None and have.isdigit() and int(have) >= wanted):
                        return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
