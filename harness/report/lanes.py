"""From journal entries to lanes: which object was in which state when, what the harness did, and TTLs.

:func:`build_timeline` walks the journal once, keeping each object's tracked fields up to date from the
entries' ``changes`` (ADDED lists every field, MODIFIED the changed ones, DELETED ends the object), and turns
the state of each aspect (:mod:`.states`) into segments. Lanes are grouped under the object that owns them
(``metadata.ownerReferences``): a RayJob, then its RayCluster with its pods and Services, then its submitter
Job with its pods, then the Events about any of them. Harness ACTION entries and TTL-driven deletions become
markers across the whole picture; deletions of one object become marks on its own lane.

Nothing here knows about pixels: the axis is :mod:`.axis`, the drawing :mod:`.svg`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ..journal import JournalEntry
from ._text import clean, duration_text, shorten
from .states import KIND_ORDER, Aspect, State, Tone, aspects_for, deployment_is_terminal, is_deleting
from .timeline_text import ACTION, object_ref

DELETION: Final = "deletion"  # lane mark: deletionTimestamp set
DELETED: Final = "deleted"  # lane mark: the object is gone
EVENT: Final = "event"  # lane mark: a core/v1 Event
ACTION_MARKER: Final = "action"
TTL_MARKER: Final = "ttl"
EVENTS_ASPECT: Final = "events"
DEFAULT_MAX_LANES: Final = 300


@dataclass(frozen=True, order=True)
class ObjRef:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return object_ref(self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class Segment:
    """A stretch of virtual time ``[start, end]`` in one state; ``seq`` orders segments at the same instant."""

    start: float
    end: float
    label: str
    tone: Tone
    deleting: bool = False
    seq: int = 0
    open_end: bool = False  # still in this state when the run ended


@dataclass(frozen=True)
class LaneMark:
    t: float
    kind: str  # DELETION | DELETED | EVENT
    label: str
    title: str
    tone: Tone = Tone.NEUTRAL
    seq: int = 0


@dataclass(frozen=True)
class Lane:
    ref: ObjRef
    aspect: str
    caption: str
    depth: int
    segments: tuple[Segment, ...]
    marks: tuple[LaneMark, ...]


@dataclass(frozen=True)
class Marker:
    """A vertical line across every lane: something the harness did, or a TTL-driven deletion.

    ``target`` is the object it concerns (None for ``advance``): the picture emphasises the line over that
    object's group of lanes, so that with many objects each marker still points at its own.
    """

    t: float
    kind: str  # ACTION_MARKER | TTL_MARKER
    label: str
    title: str
    seq: int = 0
    target: ObjRef | None = None


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    markers: tuple[Marker, ...]
    t_start: float
    t_end: float
    times: tuple[float, ...]  # every instant something happened, for the axis
    hidden_lanes: int = 0


@dataclass
class _Open:
    start: float
    state: State
    deleting: bool
    seq: int


@dataclass
class _Object:
    """An object's life as the walk goes: current fields, open and closed segments, deletions."""

    ref: ObjRef
    first_seq: int
    aspects: tuple[Aspect, ...]
    fields: dict[str, Any] = field(default_factory=dict)
    owner: ObjRef | None = None
    deleting: bool = False
    open: dict[str, _Open] = field(default_factory=dict)
    closed: dict[str, list[Segment]] = field(default_factory=dict)
    marks: list[LaneMark] = field(default_factory=list)
    deletion_starts: list[float] = field(default_factory=list)
    terminal_since: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, label)
    cluster_names: set[str] = field(default_factory=set)

    def _close(self, aspect: str, t: float, *, open_end: bool = False) -> None:
        current = self.open.pop(aspect, None)
        if current is not None:
            self.closed.setdefault(aspect, []).append(Segment(
                current.start, max(t, current.start), current.state.label, current.state.tone,
                current.deleting, current.seq, open_end))

    def _track_terminal(self, t: float) -> None:
        terminal = deployment_is_terminal(self.fields)
        last = self.terminal_since[-1] if self.terminal_since else None
        if terminal and (last is None or not math.isinf(last[1])):
            label = str(self.fields.get("status.jobDeploymentStatus"))
            self.terminal_since.append((t, math.inf, label))
        elif not terminal and last is not None and math.isinf(last[1]):
            self.terminal_since[-1] = (last[0], t, last[2])

    def apply(self, entry: JournalEntry) -> None:
        if entry.type == "DELETED":
            if not self.deleting:
                self.deletion_starts.append(entry.t)
            for name in list(self.open):
                self._close(name, entry.t)
            self.marks.append(LaneMark(entry.t, DELETED, "deleted", f"{entry.t:.3f}s {self.ref} DELETED",
                                       seq=entry.seq))
            self.fields.clear()
            self.deleting = False
            if self.terminal_since and math.isinf(self.terminal_since[-1][1]):
                start, _, label = self.terminal_since[-1]
                self.terminal_since[-1] = (start, entry.t, label)
            return
        if entry.type == "ADDED":
            self.fields.clear()
        for path, change in entry.changes.items():
            if change[1] is None:
                self.fields.pop(path, None)
            else:
                self.fields[path] = change[1]
        self.owner = _controller_owner(self.fields.get("metadata.ownerReferences"), self.ref.namespace)
        cluster = self.fields.get("status.rayClusterName")
        if self.ref.kind == "RayJob" and isinstance(cluster, str) and cluster:
            self.cluster_names.add(cluster)
        deleting = is_deleting(self.fields)
        if deleting and not self.deleting:
            self.deletion_starts.append(entry.t)
            self.marks.append(LaneMark(entry.t, DELETION, "deletion",
                                       f"{entry.t:.3f}s {self.ref} deletionTimestamp set", seq=entry.seq))
        self.deleting = deleting
        for aspect in self.aspects:
            state = aspect.state(self.fields)
            if state is not None and deleting and aspect.deleting_label is not None:
                state = State(aspect.deleting_label, state.tone)
            current = self.open.get(aspect.name)
            if current is not None and state is not None and (current.state, current.deleting) == (state,
                                                                                                    deleting):
                continue
            self._close(aspect.name, entry.t)
            if state is not None:
                self.open[aspect.name] = _Open(entry.t, state, deleting, entry.seq)
        if self.ref.kind == "RayJob":
            self._track_terminal(entry.t)

    def finish(self, t_end: float) -> None:
        for name in list(self.open):
            self._close(name, t_end, open_end=True)


def _controller_owner(value: Any, namespace: str) -> ObjRef | None:
    """The controller owner reference (or the first one) of an object, as a ref in the same namespace."""
    if not isinstance(value, list):
        return None
    refs = [r for r in value if isinstance(r, dict) and r.get("kind") and r.get("name")]
    chosen = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return None if chosen is None else ObjRef(str(chosen["kind"]), namespace, str(chosen["name"]))


def _action_marker(entry: JournalEntry) -> Marker:
    target = object_ref(entry.kind, entry.namespace, entry.name) if entry.kind and entry.name else ""
    words = [entry.action] + ([target] if target else []) + ([clean(entry.detail)] if entry.detail else [])
    label = entry.action if entry.action != "advance" or not entry.detail else f"advance {entry.detail}"
    return Marker(entry.t, ACTION_MARKER, shorten(clean(label), 24), f"{entry.t:.3f}s >> {' '.join(words)}",
                  entry.seq, ObjRef(entry.kind, entry.namespace, entry.name) if target else None)


def _event_mark(entry: JournalEntry, fields: dict[str, Any]) -> LaneMark:
    kind = str(fields.get("type") or "Normal")
    reason = str(fields.get("reason") or "")
    message = clean(str(fields.get("message") or ""))
    count = fields.get("count")
    involved = ObjRef(str(fields.get("involvedObject.kind") or ""),
                      str(fields.get("involvedObject.namespace") or entry.namespace),
                      str(fields.get("involvedObject.name") or ""))
    title = f"{entry.t:.3f}s Event {kind} {reason}: {shorten(message, 300)}"
    if isinstance(count, int) and count > 1:
        title += f" (x{count})"
    title += f" [{involved}]" if involved.kind else ""
    tone = Tone.FAILURE if kind == "Warning" else Tone.NEUTRAL
    return LaneMark(entry.t, EVENT, reason, title, tone, entry.seq)


def _event_target(fields: dict[str, Any], namespace: str) -> ObjRef | None:
    kind, name = fields.get("involvedObject.kind"), fields.get("involvedObject.name")
    if not kind or not name:
        return None
    return ObjRef(str(kind), str(fields.get("involvedObject.namespace") or namespace), str(name))


def _ttl_markers(objects: dict[ObjRef, _Object], deletes: list[tuple[float, ObjRef]]) -> list[Marker]:
    """Deletions of a finished RayJob or its RayCluster that no harness ``delete`` explains: TTL at work.

    The journal does not carry ``spec.ttlSecondsAfterFinished``, so the TTL is read off the picture: the time
    from the deployment status becoming Complete/Failed to the first deletion that follows within that state.
    """
    markers: list[Marker] = []
    clusters_of: dict[ObjRef, list[_Object]] = {}
    for obj in objects.values():
        if obj.ref.kind == "RayCluster" and obj.owner is not None:
            clusters_of.setdefault(obj.owner, []).append(obj)
    for job in objects.values():
        if job.ref.kind != "RayJob" or not job.terminal_since:
            continue
        clusters = list(clusters_of.get(job.ref, []))
        for name in sorted(job.cluster_names):  # clusterSelector jobs do not own the cluster they use
            cluster = objects.get(ObjRef("RayCluster", job.ref.namespace, name))
            if cluster is not None and all(c.ref != cluster.ref for c in clusters):
                clusters.append(cluster)
        candidates = sorted((t, o.ref) for o in [job, *clusters] for t in o.deletion_starts)
        for start, end, label in job.terminal_since:
            for t, ref in candidates:
                if not start <= t <= end:
                    continue
                if any(start <= at <= t and target in (ref, job.ref) for at, target in deletes):
                    break  # the harness deleted it (or its owner): not a TTL
                took = duration_text(t - start)
                title = (f"{t:.3f}s TTL: {ref} deletion began {took} after {job.ref} became {label} "
                         f"at {start:.3f}s (ttlSecondsAfterFinished / deletion rules)")
                markers.append(Marker(t, TTL_MARKER, f"TTL {took}", title, target=job.ref))
                break
    return markers


def build_timeline(entries: Iterable[JournalEntry], *, t_end: float | None = None,
                   max_lanes: int = DEFAULT_MAX_LANES) -> Timeline:
    """Lanes, markers and the instants of a journal; ``t_end`` extends the picture past the last entry."""
    ordered = sorted(entries, key=lambda e: (e.t, e.seq))
    t_start = min([0.0, *(e.t for e in ordered[:1])])
    end = max([t_start, *(e.t for e in ordered[-1:]), *([t_end] if t_end is not None else [])])
    objects: dict[ObjRef, _Object] = {}
    markers: list[Marker] = []
    deletes: list[tuple[float, ObjRef]] = []
    event_fields: dict[ObjRef, dict[str, Any]] = {}
    event_marks: list[tuple[ObjRef | None, LaneMark]] = []
    for entry in ordered:
        if entry.type == ACTION:
            markers.append(_action_marker(entry))
            if entry.action == "delete" and entry.kind and entry.name:
                deletes.append((entry.t, ObjRef(entry.kind, entry.namespace, entry.name)))
            continue
        ref = ObjRef(entry.kind, entry.namespace, entry.name)
        if entry.kind == "Event":
            fields = event_fields.setdefault(ref, {})
            for path, change in entry.changes.items():
                fields[path] = change[1]
            if entry.type == "DELETED":
                del event_fields[ref]
            else:
                event_marks.append((_event_target(fields, entry.namespace), _event_mark(entry, fields)))
            continue
        if entry.kind not in KIND_ORDER:
            continue
        obj = objects.get(ref)
        if obj is None:
            obj = objects[ref] = _Object(ref, entry.seq, aspects_for(entry.kind))
        obj.apply(entry)
    for obj in objects.values():
        obj.finish(end)
    markers.extend(_ttl_markers(objects, deletes))
    markers.sort(key=lambda m: (m.t, m.seq))
    lanes = _arrange(objects, event_marks)
    times = sorted({t_start, end, *(e.t for e in ordered)})
    return Timeline(tuple(lanes[:max_lanes]), tuple(markers), t_start, end, tuple(times),
                    max(0, len(lanes) - max_lanes))


def _arrange(objects: dict[ObjRef, _Object], event_marks: list[tuple[ObjRef | None, LaneMark]]) -> list[Lane]:
    """Lanes in reading order: each owner tree depth-first, children by kind then first appearance."""
    children: dict[ObjRef, list[_Object]] = {}
    roots: list[_Object] = []
    for obj in objects.values():
        if obj.owner is not None and obj.owner in objects and obj.owner != obj.ref:
            children.setdefault(obj.owner, []).append(obj)
        else:
            roots.append(obj)

    def root_of(ref: ObjRef) -> ObjRef:
        seen: set[ObjRef] = set()
        while ref in objects and (owner := objects[ref].owner) is not None and owner in objects \
                and ref not in seen:
            seen.add(ref)
            ref = owner
        return ref

    events_by_root: dict[ObjRef | None, list[LaneMark]] = {}
    for target, mark in event_marks:
        events_by_root.setdefault(None if target is None else root_of(target), []).append(mark)

    lanes: list[Lane] = []
    placed: set[ObjRef] = set()

    def place(obj: _Object, depth: int) -> None:
        if obj.ref in placed:  # an ownership cycle: draw each object once
            return
        placed.add(obj.ref)
        for index, aspect in enumerate(obj.aspects):
            segments = tuple(obj.closed.get(aspect.name, ()))
            marks = tuple(obj.marks) if index == 0 else ()
            lanes.append(Lane(obj.ref, aspect.name, aspect.caption, depth, segments, marks))
        kids = sorted(children.get(obj.ref, []), key=lambda o: (KIND_ORDER.index(o.ref.kind), o.first_seq))
        for kid in kids:
            place(kid, depth + 1)

    def events_lane(root: ObjRef | None) -> None:
        marks = events_by_root.pop(root, [])
        if marks:
            lanes.append(Lane(root or ObjRef("Event", "", ""), EVENTS_ASPECT, "events", 0, (), tuple(marks)))

    for root in sorted(roots, key=lambda o: o.first_seq):
        place(root, 0)
        events_lane(root.ref)
    for obj in objects.values():  # members of ownership cycles have no root; draw them anyway
        if obj.ref not in placed:
            place(obj, 0)
    for target in list(events_by_root):
        events_lane(target)
    return lanes
