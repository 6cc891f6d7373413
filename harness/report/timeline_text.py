"""The journal as text: one compact line per entry, and the journal as JSON lines on disk.

The text timeline goes into failure messages, ``timeline.txt`` and the bottom of the HTML page, so it favours
the fields a person looks for first (deployment status, job status, cluster state, pod phase, Job conditions,
deletion) and cuts the rest short::

      12.000s  RayJob/default/rayjob-sample  MODIFIED  jobDeploymentStatus: Initializing -> Running
       0.000s  >> apply RayJob/default/rayjob-sample
       3.000s  RayJob/default/rayjob-sample  Event Normal CreatedRayCluster: Created RayCluster default/x

The JSON-lines format is :meth:`JournalEntry.to_json` (described in :mod:`harness.journal`);
:func:`read_journal_lines` reads it back so a report can be rendered again from a saved run. The picture of
the same journal is drawn by :mod:`.lanes` and :mod:`.svg`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from ..errors import InputError, SourcePos
from ..journal import JournalEntry
from ..model.enums import JobDeploymentStatus
from ._text import clean, shorten

ACTION: Final = "ACTION"
DEPLOYMENT_STATUS: Final = "status.jobDeploymentStatus"
# Shown first, in this order, because they say where an object is in its life.
_PRIORITY: Final = (
    DEPLOYMENT_STATUS, "status.jobStatus", "status.state", "status.phase", "status.conditions",
    "status.active", "status.succeeded", "status.failed", "status.reason", "status.message",
    "metadata.deletionTimestamp",
)
# Shown last: bookkeeping that rarely explains a failure.
_LATE_PREFIXES: Final = ("status.rayClusterStatus.", "metadata.labels", "metadata.annotations",
                         "metadata.ownerReferences", "metadata.finalizers", "metadata.managedFields")
_ADDED_SKIPPED: Final = ("metadata.labels", "metadata.annotations", "metadata.managedFields")
_MAX_CHANGES: Final = 6
_MAX_VALUE: Final = 48
_MAX_MESSAGE: Final = 200


def object_ref(kind: str, namespace: str, name: str) -> str:
    """``Kind/namespace/name``, or ``Kind/name`` for cluster-scoped objects."""
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _short_path(path: str) -> str:
    for prefix in ("status.", "metadata."):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _is_conditions(items: Any) -> bool:
    return isinstance(items, list) and bool(items) and all(
        isinstance(i, Mapping) and "type" in i and "status" in i for i in items)


def _container_state(item: Mapping[str, Any]) -> str:
    """``ray-head=running(ready)``, ``ray-head=waiting:ContainerCreating``, ``x=terminated:Error(1)``."""
    state = item.get("state")
    text = "unknown"
    if isinstance(state, Mapping) and state:
        phase, detail = next(iter(state.items()))
        text = str(phase)
        if isinstance(detail, Mapping) and detail.get("reason"):
            text += f":{detail['reason']}"
        if isinstance(detail, Mapping) and "exitCode" in detail:
            text += f"({detail['exitCode']})"
    if item.get("ready") is True:
        text += "(ready)"
    restarts = item.get("restartCount")
    if isinstance(restarts, int) and restarts > 0:
        text += f" restarts={restarts}"
    return f"{item.get('name')}={text}"


def _list_text(items: list[Any]) -> str | None:
    """Conditions as ``Complete=True``, container statuses as ``ray-head=running(ready)``, owner references as
    ``RayJob/x``, plain values (finalizers) joined by commas; None when no shorthand fits."""
    if _is_conditions(items):
        return ",".join(f"{i['type']}={i['status']}" for i in items)
    if items and all(isinstance(i, Mapping) and "name" in i and "state" in i for i in items):
        return ",".join(_container_state(i) for i in items)
    if items and all(isinstance(i, Mapping) and "kind" in i and "name" in i for i in items):
        return ",".join(f"{i['kind']}/{i['name']}" for i in items)
    if all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in items):
        return ",".join(str(i) for i in items) or "[]"
    return None


def _condition_change(old: Any, new: Any) -> tuple[str, str] | None:
    """Only the conditions whose status changed (``Ready=False -> Ready=True``); None if none did."""
    before = {str(c["type"]): str(c["status"]) for c in old}
    after = {str(c["type"]): str(c["status"]) for c in new}
    changed = [t for t in dict.fromkeys([*before, *after]) if before.get(t) != after.get(t)]
    if not changed:
        return None
    return (",".join(f"{t}={before.get(t, '-')}" for t in changed),
            ",".join(f"{t}={after.get(t, '-')}" for t in changed))


def format_value(path: str, value: Any) -> str:
    """A field value for a timeline line: ``New`` for an absent deployment status, ``-`` for absent values."""
    if path == DEPLOYMENT_STATUS and value in (None, JobDeploymentStatus.NEW.value):
        return "New"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # One entry, one line: multi-line values (ConfigMap scripts, Ray messages) show their line breaks as ⏎.
        return shorten(clean(value).replace("\n", "⏎"), _MAX_VALUE) if value else '""'
    if isinstance(value, list):
        text = _list_text(value)
        if text is not None:
            return shorten(text, _MAX_VALUE)
    if isinstance(value, (list, dict)):
        return shorten(json.dumps(value, separators=(",", ":"), sort_keys=True, default=str), _MAX_VALUE)
    return shorten(str(value), _MAX_VALUE)


def _order(path: str) -> tuple[int, int, str]:
    if path in _PRIORITY:
        return (0, _PRIORITY.index(path), path)
    if path.startswith(_LATE_PREFIXES):
        return (2, 0, path)
    return (1, 0, path)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def _part(entry: JournalEntry, path: str) -> str | None:
    """One change as text, or None when it says nothing a reader would miss."""
    old, new = entry.changes[path][0], entry.changes[path][1]
    if _empty(old) and _empty(new):
        return None  # ``status: {}`` giving way to ``status.state`` is flattening, not news
    if entry.type == "ADDED":
        if path.startswith(_ADDED_SKIPPED):
            return None
        return f"{_short_path(path)}={format_value(path, new)}"
    if _is_conditions(old) and _is_conditions(new):
        change = _condition_change(old, new)
        if change is None:
            return None  # only probe or transition times moved
        return f"{_short_path(path)}: {shorten(change[0], _MAX_VALUE)} -> {shorten(change[1], _MAX_VALUE)}"
    before, after = format_value(path, old), format_value(path, new)
    if before == after:
        return None  # differs only past what is shown (container ids, timestamps inside lists)
    return f"{_short_path(path)}: {before} -> {after}"


def format_changes(entry: JournalEntry) -> str:
    """The entry's changes, most telling first: ``a: old -> new`` (MODIFIED) or ``a=new`` (ADDED).

    ADDED lines leave out labels and annotations (bookkeeping the reader rarely needs to see arrive);
    condition lists show only the conditions whose status changed.
    """
    if entry.type == "DELETED":
        return ""
    parts = [part for path in sorted(entry.changes, key=_order) if (part := _part(entry, path)) is not None]
    if len(parts) > _MAX_CHANGES:
        parts = [*parts[:_MAX_CHANGES], f"+{len(parts) - _MAX_CHANGES} more"]
    return ", ".join(parts)


def _event_text(fields: Mapping[str, Any], namespace: str) -> tuple[str, str]:
    """(involved object ref, ``Event Normal Reason: message (xN)``) from an Event's accumulated fields."""
    kind = str(fields.get("involvedObject.kind") or "")
    name = str(fields.get("involvedObject.name") or "")
    namespace = str(fields.get("involvedObject.namespace") or namespace)
    ref = object_ref(kind, namespace, name) if kind and name else ""
    text = f"Event {fields.get('type') or '-'} {fields.get('reason') or '-'}: "
    text += shorten(clean(str(fields.get("message") or "")), _MAX_MESSAGE)
    count = fields.get("count")
    if isinstance(count, int) and count > 1:
        text += f" (x{count})"
    return ref, text


def format_entry(entry: JournalEntry, event_fields: Mapping[str, Any] | None = None) -> str:
    """One timeline line. ``event_fields`` are an Event's fields accumulated up to this entry."""
    stamp = f"{entry.t:8.3f}s"
    ref = object_ref(entry.kind, entry.namespace, entry.name) if entry.kind and entry.name else ""
    if entry.type == ACTION:
        words = [">>", entry.action] + ([ref] if ref else []) + ([clean(entry.detail)] if entry.detail else [])
        return f"{stamp}  {' '.join(words)}"
    if entry.kind == "Event" and entry.type != "DELETED":
        fields = event_fields if event_fields is not None else _fields_after(entry, {})
        involved, text = _event_text(fields, entry.namespace)
        return f"{stamp}  {involved or ref}  {text}"
    changes = format_changes(entry)
    return f"{stamp}  {ref}  {entry.type}" + (f"  {changes}" if changes else "")


def _fields_after(entry: JournalEntry, before: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(before)
    for path, change in entry.changes.items():
        new = change[1]
        if new is None:
            fields.pop(path, None)
        else:
            fields[path] = new
    return fields


class TextTimeline:
    """Formats entries one at a time, in journal order, as they arrive (a run that prints as it goes).

    An Event's line needs the Event's fields so far (a MODIFIED entry only carries what changed), so they are
    accumulated here.
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], dict[str, Any]] = {}

    def line(self, entry: JournalEntry) -> str:
        return format_entry(entry, self.fields_for(entry))

    def fields_for(self, entry: JournalEntry) -> dict[str, Any] | None:
        """An Event's fields after ``entry`` (None for other kinds); call once per entry, in order."""
        if entry.kind != "Event" or entry.type == ACTION:
            return None
        key = (entry.namespace, entry.name)
        fields = _fields_after(entry, self._events.get(key, {}))
        self._events[key] = fields
        if entry.type == "DELETED":
            del self._events[key]
        return fields


def render_text_timeline(entries: Iterable[JournalEntry], *, since: float | None = None,
                         limit: int | None = None) -> str:
    """The journal as text, one line per entry (entries at or after ``since``; the last ``limit`` of them)."""
    timeline = TextTimeline()
    lines: list[str] = []
    for entry in entries:
        fields = timeline.fields_for(entry)
        if since is not None and entry.t < since:
            continue
        lines.append(format_entry(entry, fields))
    if limit is not None:
        lines = lines[-limit:] if limit > 0 else []
    return "\n".join(lines)


def write_journal_lines(entries: Iterable[JournalEntry], path: Path, *, append: bool = False) -> None:
    """Write entries as JSON lines (one ``to_json`` per line); ``append`` adds to an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as out:
        for entry in entries:
            out.write(entry.to_json() + "\n")


def _entry_from(data: Any, pos: SourcePos) -> JournalEntry:
    hint = "Each line must be one JSON object as written by write_journal_lines or Journal streaming."
    if not isinstance(data, dict):
        raise InputError(f"journal line is not a JSON object type={type(data).__name__}", hint=hint, pos=pos)
    missing = [key for key in ("t", "seq", "type") if key not in data]
    if missing:
        raise InputError(f"journal line lacks keys missing={','.join(missing)}", hint=hint, pos=pos)
    changes = data.get("changes") or {}
    if not isinstance(changes, dict) or not all(isinstance(v, list) and len(v) == 2 for v in changes.values()):
        raise InputError("journal line has malformed changes; each must be [old, new]", hint=hint, pos=pos)
    try:
        return JournalEntry(
            t=float(data["t"]), wall=float(data.get("wall", 0.0)), seq=int(data["seq"]), type=str(data["type"]),
            kind=str(data.get("kind", "")), namespace=str(data.get("namespace", "")),
            name=str(data.get("name", "")), changes={str(k): list(v) for k, v in changes.items()},
            rv=str(data.get("rv", "")), action=str(data.get("action", "")), detail=str(data.get("detail", "")))
    except (TypeError, ValueError) as exc:
        raise InputError(f"journal line has a bad value error={exc}", hint=hint, pos=pos) from None


def read_journal_lines(path: Path) -> list[JournalEntry]:
    """Entries from a JSON-lines journal file; a malformed line is an :class:`InputError` naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read journal path={path} error={exc.strerror}",
                         hint="Pass the journal.jsonl written into a scenario's report folder.") from None
    entries: list[JournalEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        pos = SourcePos(str(path), number)
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"journal line is not JSON error={exc.msg}", pos=SourcePos(str(path), number,
                             exc.colno), hint="The file may be truncated; every line must be complete JSON.") from None
        entries.append(_entry_from(data, pos))
    return entries

