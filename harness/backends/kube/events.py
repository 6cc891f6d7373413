"""events.k8s.io/v1 Events in the core/v1 shape the journal, assertions and ``kubectl describe`` use.

The API server keeps one kind of Event and serves it through two APIs. events.k8s.io/v1 is the current one (the
KubeRay v1.7 operator records through it), with its own field names; the harness reads it and renames the fields
back, as the API server's own conversion does: ``regarding`` is ``involvedObject``, ``note`` is ``message``,
``deprecatedCount``/``deprecatedFirstTimestamp``/``deprecatedLastTimestamp``/``deprecatedSource`` are
``count``/``firstTimestamp``/``lastTimestamp``/``source``, ``reportingController`` is ``reportingComponent``.
An event recorded through events.k8s.io only (no deprecated fields) gets them from its ``eventTime`` and
``series``, as kubectl shows it. Absent fields stay absent, so an Event read either way compares equal.

Pure functions; not here: watching (:mod:`.watching`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._util.jsoncopy import deep_copy

Obj = dict[str, Any]

# events.k8s.io/v1 field -> core/v1 field, where only the name differs
_RENAMED = {
    "regarding": "involvedObject", "note": "message", "deprecatedCount": "count",
    "deprecatedFirstTimestamp": "firstTimestamp", "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedSource": "source", "reportingController": "reportingComponent",
}
_KEPT = ("metadata", "reason", "type", "action", "related", "reportingInstance", "eventTime", "series")


def core_event(event: Mapping[str, Any]) -> Obj:
    """The core/v1 Event an events.k8s.io/v1 Event stands for (a core/v1 Event is returned as it is)."""
    if event.get("apiVersion") == "v1":
        same: Obj = deep_copy(dict(event))
        return same
    out: Obj = {"apiVersion": "v1", "kind": "Event"}
    for key in _KEPT:
        if event.get(key) is not None:
            out[key] = deep_copy(event[key])
    for new, old in _RENAMED.items():
        if event.get(new) not in (None, "", {}):
            out[old] = deep_copy(event[new])
    series = event.get("series") or {}
    if "count" not in out:
        out["count"] = int(series.get("count") or 1)
    when = event.get("eventTime")
    if "firstTimestamp" not in out and when:
        out["firstTimestamp"] = _seconds(str(when))
    if "lastTimestamp" not in out and (series.get("lastObservedTime") or when):
        out["lastTimestamp"] = _seconds(str(series.get("lastObservedTime") or when))
    if "source" not in out and event.get("reportingController"):
        out["source"] = {"component": event["reportingController"]}
    return out


def _seconds(micro_time: str) -> str:
    """``2026-01-01T00:00:05.123456Z`` as a core Time, ``2026-01-01T00:00:05Z`` (whole seconds, as stored)."""
    head, dot, _ = micro_time.partition(".")
    return head + "Z" if dot else micro_time
