"""The journal: every change the harness observes, stamped with virtual and wall time.

Transition assertions read the journal rather than polling, so transient states are never missed. Entries have
the same shape on every backend (the simulator feeds it from its store's watch; a Kubernetes backend from real
watches), so two runs can be diffed line by line.

A JSON line per entry (``to_json``)::

    {"t": 12.0, "wall": 0.0031, "seq": 17, "type": "MODIFIED", "kind": "RayJob", "namespace": "default",
     "name": "rayjob-sample", "rv": "41",
     "changes": {"status.jobDeploymentStatus": ["Initializing", "Running"], "status.dashboardURL": [null, "..."]}}

``type`` is ADDED, MODIFIED or DELETED for object changes, and ACTION for what the harness itself did (apply,
patch, delete, advance; ``action`` and ``detail`` keys), so that reports can mark them on the timeline.
``changes`` lists flattened ``status.*`` and tracked ``metadata.*`` paths (generation, labels, annotations,
finalizers, deletionTimestamp, ownerReferences) and, for kinds without status (Events), the object's own fields; values
are ``[old, new]`` with ``null`` for absent. ADDED entries list every tracked field as ``[null, value]``;
DELETED entries list them as ``[value, null]``.

Two runs of one scenario (two seeds, or the simulator against a real cluster) are compared with
:func:`comparable` / :func:`diff_runs`, which keep what the runs observed and drop what differs by nature
(wall time, resourceVersions, generated names and ids).
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final, Literal

TRACKED_METADATA = ("generation", "labels", "annotations", "finalizers", "deletionTimestamp", "ownerReferences")
# Keys of kinds without a status that still say what happened (core/v1 Event, ConfigMap data).
TOP_LEVEL_FIELDS = ("reason", "message", "type", "count", "involvedObject", "data", "spec")


def flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """Flatten nested dicts into dotted paths; lists are kept whole (they change as a unit)."""
    # Objects from the store are plain dicts: test for them first, the ABC check only for other mappings.
    if (type(value) is dict or isinstance(value, Mapping)) and value:
        for key, item in value.items():
            if type(item) is dict and item:
                flatten(item, f"{prefix}.{key}", out)
            elif type(item) in _LEAVES or not isinstance(item, Mapping) or not item:
                out[f"{prefix}.{key}"] = item
            else:
                flatten(item, f"{prefix}.{key}", out)
    else:
        out[prefix] = value


_LEAVES: Final = frozenset({str, int, float, bool, list, type(None)})


def tracked_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    meta = obj.get("metadata") or {}
    for key in TRACKED_METADATA:
        if key in meta:
            flatten(meta[key], f"metadata.{key}", out)
    if "status" in obj:
        flatten(obj["status"], "status", out)
    elif obj.get("kind") in ("Event", "ConfigMap"):
        for key in TOP_LEVEL_FIELDS:
            if key in obj:
                flatten(obj[key], key, out)
    return out


def diff_fields(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    return _diff(tracked_fields(old) if old is not None else {}, tracked_fields(new) if new is not None else {})


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path) or (path in before) != (path in after):
            changes[path] = [before.get(path), after.get(path)]
    return changes


@dataclass(frozen=True, slots=True)  # slots: a fleet's journal holds hundreds of thousands of entries
class JournalEntry:
    t: float
    wall: float
    seq: int
    type: str
    kind: str
    namespace: str
    name: str
    changes: Mapping[str, list[Any]] = field(default_factory=dict)
    rv: str = ""
    action: str = ""
    detail: str = ""
    # The object as recorded (kept by "eager" and "lazy" journals; a "stream" journal keeps nothing of it).
    obj: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def new(self, path: str) -> Any:
        """The value of ``path`` after this change, or None when the entry does not mention it."""
        return self.changes[path][1] if path in self.changes else None

    def old(self, path: str) -> Any:
        return self.changes[path][0] if path in self.changes else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": round(self.t, 6), "wall": round(self.wall, 6), "seq": self.seq,
                               "type": self.type, "kind": self.kind, "namespace": self.namespace,
                               "name": self.name}
        if self.rv:
            out["rv"] = self.rv
        if self.action:
            out["action"] = self.action
        if self.detail:
            out["detail"] = self.detail
        if self.changes:
            out["changes"] = {k: list(v) for k, v in self.changes.items()}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False, default=str)


def tracked_parts(obj: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The parts of ``obj`` that :func:`tracked_fields` reads, by reference: ``tracked_fields`` of the result equals
    ``tracked_fields(obj)``, and keeping it keeps alive neither the object's spec nor its other metadata.

    ``previous`` (the parts of the version before) lends its metadata when every tracked value is the same object,
    as after a status write, so that a run's entries share one small dict per object version of its metadata.
    """
    meta = obj.get("metadata") or {}
    tracked = {key: meta[key] for key in TRACKED_METADATA if key in meta}
    if previous is not None:
        before = previous["metadata"]
        if before.keys() == tracked.keys() and all(before[key] is value for key, value in tracked.items()):
            tracked = before
    parts: dict[str, Any] = {"metadata": tracked}
    if "status" in obj:
        parts["status"] = obj["status"]
    elif obj.get("kind") in ("Event", "ConfigMap"):
        parts["kind"] = obj["kind"]
        for key in TOP_LEVEL_FIELDS:
            if key in obj:
                parts[key] = obj[key]
    return parts


class LazyChanges(Mapping[str, list[Any]]):
    """An entry's ``changes``, computed from the two object versions the first time they are read.

    Stored objects are immutable snapshots (see ``harness.sim.store``), so holding the parts of the two versions
    that are tracked (:func:`tracked_parts`) and diffing later gives exactly what diffing at once would; most
    entries of a run are never read field by field.
    """

    __slots__ = ("_new", "_old", "_value")

    def __init__(self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
        self._old, self._new = before, after  # tracked parts; None: nothing (before an ADDED, after a DELETED)
        self._value: dict[str, list[Any]] | None = None

    @property
    def value(self) -> dict[str, list[Any]]:
        if self._value is None:
            self._value = diff_fields(self._old, self._new)
            self._old = self._new = None
        return self._value

    def __getitem__(self, path: str) -> list[Any]:
        return self.value[path]

    def __contains__(self, path: object) -> bool:
        return path in self.value

    def __iter__(self) -> Iterator[str]:
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def items(self) -> ItemsView[str, list[Any]]:
        return self.value.items()

    def __repr__(self) -> str:
        return repr(self.value)


# How a journal keeps what it records:
# - "eager": entries kept, ``changes`` computed as each change is recorded;
# - "lazy" (the default): entries kept, ``changes`` computed when first read (the same values, later);
# - "stream": each entry goes to the stream as a JSON line (buffered; see Journal.flush) and only the entries of
#   the kinds in ``keep_kinds`` are kept (none by default), without the object they saw.
JournalMode = Literal["eager", "lazy", "stream"]
JOURNAL_MODES: Final = ("eager", "lazy", "stream")


class Journal:
    """An append-only record of entries, optionally streamed to a file as it grows (evidence survives crashes).

    The stream is written as entries come and flushed by :meth:`flush` (the simulator flushes when each run of
    its clock returns), not after every entry. Listeners see every entry in every mode, so a reader that needs a
    few facts (a RayJob's outcome) can keep them while a ``stream`` journal keeps nothing.
    """

    def __init__(self, now: Callable[[], float], *, stream: IO[str] | None = None,
                 mode: JournalMode = "lazy", keep_kinds: Iterable[str] = ()) -> None:
        if mode not in JOURNAL_MODES:
            raise ValueError(f"journal mode={mode!r} is unknown; use one of {', '.join(JOURNAL_MODES)}")
        if mode == "stream" and stream is None:
            raise ValueError("a journal in mode='stream' keeps nothing, so it needs a stream to write to")
        self._now = now
        self._wall0 = time.monotonic()
        self.mode: JournalMode = mode
        self.keep_kinds = frozenset(keep_kinds)
        self.entries: list[JournalEntry] = []
        self._by_object: dict[tuple[str, str, str], list[JournalEntry]] = {}
        self._count = 0
        self._stream = stream
        self._listeners: list[Callable[[JournalEntry], None]] = []
        # eager and stream: uid -> (resourceVersion, tracked fields) of the last version recorded
        self._fields: dict[str, tuple[str, dict[str, Any]]] = {}
        self._parts: dict[str, tuple[str, Mapping[str, Any]]] = {}  # lazy: uid -> (resourceVersion, tracked parts)

    def attach_stream(self, stream: IO[str] | None) -> None:
        self.flush()
        if stream is None and self.mode == "stream":
            raise ValueError("a journal in mode='stream' cannot be detached from its stream")
        self._stream = stream

    def stream_only(self, stream: IO[str], *, keep_kinds: Iterable[str] = ()) -> None:
        """Switch to mode ``stream``: write every entry to ``stream`` from now on, keep only ``keep_kinds``'.

        Entries already recorded are written first (and dropped unless of a kind kept), so the stream holds the
        whole run; a listener (:meth:`listen`) sees every entry as before.
        """
        self.flush()
        self.mode, self._stream, self.keep_kinds = "stream", stream, frozenset(keep_kinds)
        kept = [entry for entry in self.entries if entry.kind in self.keep_kinds]
        for entry in self.entries:
            stream.write(entry.to_json() + "\n")
        self.entries = kept
        self._by_object = {}
        for entry in kept:
            self._by_object.setdefault((entry.kind, entry.namespace, entry.name), []).append(entry)

    def flush(self) -> None:
        """Push what was streamed so far to the file (cheap when nothing is pending)."""
        if self._stream is not None:
            self._stream.flush()

    def listen(self, listener: Callable[[JournalEntry], None]) -> None:
        self._listeners.append(listener)

    def _append(self, entry: JournalEntry) -> JournalEntry:
        self._count += 1
        if self.mode != "stream" or entry.kind in self.keep_kinds:
            self.entries.append(entry)
            key = (entry.kind, entry.namespace, entry.name)
            same = self._by_object.get(key)
            if same is None:
                self._by_object[key] = [entry]
            else:
                same.append(entry)
        if self._stream is not None:
            self._stream.write(entry.to_json() + "\n")
        for listener in self._listeners:
            listener(entry)
        return entry

    def record_change(self, type_: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None, *,
                      t: float | None = None) -> JournalEntry:
        meta = obj.get("metadata") or {}
        rv = str(meta.get("resourceVersion", ""))
        changes: Mapping[str, list[Any]]
        if self.mode == "lazy":
            changes = self._lazy_changes(type_, obj, old)
        elif type_ == "DELETED":
            self._fields.pop(str(meta.get("uid", "")), None)
            changes = diff_fields(obj, None)
        else:
            uid = str(meta.get("uid", ""))
            # The previous version's fields were flattened when it was recorded: reuse them (a hot path).
            cached = self._fields.get(uid)
            if type_ == "ADDED" or old is None:
                before: Mapping[str, Any] = {}
            elif cached is not None and cached[0] == str((old.get("metadata") or {}).get("resourceVersion", "")):
                before = cached[1]
            else:
                before = tracked_fields(old)
            after = tracked_fields(obj)
            self._fields[uid] = (rv, after)
            changes = _diff(before, after)
        return self._append(JournalEntry(
            t=self._now() if t is None else t, wall=time.monotonic() - self._wall0, seq=self._count,
            type=type_, kind=str(obj.get("kind", "")), namespace=str(meta.get("namespace", "")),
            name=str(meta.get("name", "")), changes=changes, rv=rv,
            obj=obj if self.mode != "stream" else None))

    def _lazy_changes(self, type_: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> LazyChanges:
        meta = obj.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        if type_ == "DELETED":
            self._parts.pop(uid, None)
            return LazyChanges(tracked_parts(obj), None)
        before: Mapping[str, Any] | None = None
        if type_ != "ADDED" and old is not None:
            # The previous version's parts were taken when it was recorded: share them (memory, not only time).
            cached = self._parts.get(uid)
            old_rv = str((old.get("metadata") or {}).get("resourceVersion", ""))
            before = cached[1] if cached is not None and cached[0] == old_rv else tracked_parts(old)
        after = tracked_parts(obj, before)
        self._parts[uid] = (str(meta.get("resourceVersion", "")), after)
        return LazyChanges(before, after)

    def record_action(self, action: str, *, kind: str = "", namespace: str = "", name: str = "",
                      detail: str = "") -> JournalEntry:
        return self._append(JournalEntry(
            t=self._now(), wall=time.monotonic() - self._wall0, seq=self._count, type="ACTION",
            kind=kind, namespace=namespace, name=name, action=action, detail=detail))

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        """Entries recorded so far (in ``stream`` mode too, where none is kept)."""
        return self._count

    def select(self, *, kind: str | None = None, namespace: str | None = None, name: str | None = None,
               types: tuple[str, ...] | None = None) -> list[JournalEntry]:
        if kind is not None and namespace is not None and name is not None:
            # One object's entries: served from the per-object index (a fleet's outcomes would be quadratic).
            return [e for e in self._by_object.get((kind, namespace, name), ()) if types is None or e.type in types]
        return [e for e in self.entries
                if (kind is None or e.kind == kind) and (namespace is None or e.namespace == namespace)
                and (name is None or e.name == name) and (types is None or e.type in types)]

    def values(self, path: str, *, kind: str, namespace: str, name: str,
               include_initial: bool = False) -> list[tuple[float, Any]]:
        """The successive values of ``path`` on one object: ``[(t, value), ...]``, changes only, in order."""
        out: list[tuple[float, Any]] = []
        for entry in self.select(kind=kind, namespace=namespace, name=name):
            if path in entry.changes:
                value = entry.changes[path][1]
                if entry.type == "DELETED":
                    continue
                if out and out[-1][1] == value:
                    continue
                if value is None and not out and not include_initial:
                    continue
                out.append((entry.t, value))
        return out


# -- comparing two runs ----------------------------------------------------------------------------------------------

# What differs between two runs of the same scenario without meaning anything: names and ids generated with
# Kubernetes' random suffix alphabet, uids, container ids, timestamps and pod IPs. Virtual time is kept unless
# asked otherwise (a real cluster's times never repeat exactly).
_GENERATED_SUFFIX: Final = re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}(?![a-z0-9])")
_UID: Final = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TIMESTAMP: Final = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z| \+0000 UTC)?")
_IPV4: Final = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_CONTAINER_ID: Final = re.compile(r"\b(containerd|docker|cri-o)://[^\s\"']+")
# An Event's name is its object's name, a dot, and a hexadecimal stamp of when it was recorded (client-go's recorder).
_EVENT_STAMP: Final = re.compile(r"\.[0-9a-f]{8,16}(?![0-9a-z])")


class _Placeholders:
    """Replaces each distinct generated suffix by ``-<n>`` and each Event stamp by ``.<e n>``, numbered in order
    of first appearance."""

    def __init__(self, namespace: str | None) -> None:
        self.namespace = namespace
        self.suffixes: dict[str, str] = {}
        self.stamps: dict[str, str] = {}

    def text(self, value: str) -> str:
        if self.namespace:
            value = value.replace(self.namespace, "<namespace>")
        value = _UID.sub("<uid>", value)
        value = _CONTAINER_ID.sub(r"\1://<id>", value)
        value = _TIMESTAMP.sub("<time>", value)
        value = _IPV4.sub("<ip>", value)
        value = _EVENT_STAMP.sub(lambda m: self.stamps.setdefault(m.group(0), f".<e{len(self.stamps) + 1}>"), value)
        return _GENERATED_SUFFIX.sub(lambda m: self.suffixes.setdefault(m.group(0), f"-<{len(self.suffixes) + 1}>"),
                                     value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def _versionless(path: str, change: list[Any]) -> list[Any]:
    """A resourceVersion (an Event's ``involvedObject.resourceVersion``) is the server's count of writes."""
    if path.endswith("resourceVersion"):
        return [None if value is None else "<rv>" for value in change]
    return change


def comparable(entries: Iterable[JournalEntry], *, namespace: str | None = None,
               times: bool = True) -> list[dict[str, Any]]:
    """The entries as two runs of one scenario share them, for diffing (see :func:`diff_runs`).

    Wall times, sequence numbers and resourceVersions are dropped (also those an object holds, such as an Event's
    ``involvedObject.resourceVersion``); ``namespace`` (a run's own namespace), generated name suffixes, Event name
    stamps, uids, timestamps and IPs become placeholders. With ``times=False`` the virtual
    time is dropped too (for comparing against a backend whose time is real).

    Changes of the same type to several objects of one kind at one instant (a garbage collector deleting a
    RayCluster's pods) are listed by name: which of them went first follows their generated names, which differ
    between runs, and no observer can tell anyway. Each object's own changes keep their order.
    """
    names = _Placeholders(namespace)
    out: list[dict[str, Any]] = []
    groups: list[tuple[Any, ...]] = []
    for entry in entries:
        item: dict[str, Any] = {"type": entry.type, "kind": entry.kind,
                                "namespace": names.text(entry.namespace), "name": names.text(entry.name)}
        if times:
            item = {"t": round(entry.t, 3), **item}
        if entry.action:
            item["action"] = entry.action
        if entry.detail:
            item["detail"] = names.text(entry.detail)
        if entry.changes:
            item["changes"] = {names.text(path): _versionless(path, names.value(list(change)))
                               for path, change in entry.changes.items()}
        out.append(item)
        groups.append((round(entry.t, 3) if times else None, entry.type, entry.kind))
    return _siblings_by_name(out, groups)


def _siblings_by_name(items: list[dict[str, Any]], groups: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Each run of consecutive items of one group (instant, type, kind) sorted by name, stably."""
    ordered: list[dict[str, Any]] = []
    start = 0
    for end in range(1, len(items) + 1):
        if end == len(items) or groups[end] != groups[start]:
            run = items[start:end]
            ordered.extend(sorted(run, key=lambda item: str(item["name"])) if groups[start][1] != "ACTION" else run)
            start = end
    return ordered


def diff_runs(first: Iterable[JournalEntry], second: Iterable[JournalEntry], *, first_namespace: str | None = None,
              second_namespace: str | None = None, times: bool = True) -> list[str]:
    """A unified diff of two runs' comparable journals: empty when they observed the same changes."""
    a = [json.dumps(item, sort_keys=True, default=str)
         for item in comparable(first, namespace=first_namespace, times=times)]
    b = [json.dumps(item, sort_keys=True, default=str)
         for item in comparable(second, namespace=second_namespace, times=times)]
    return list(difflib.unified_diff(a, b, "first", "second", lineterm="", n=2))
