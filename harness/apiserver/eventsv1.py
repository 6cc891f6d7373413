"""``events.k8s.io/v1`` Events: the same stored Events as core/v1, in the newer shape.

The API server keeps one Event resource and converts on the way in and out (``regarding`` is ``involvedObject``,
``note`` is ``message``, ``deprecatedCount`` is ``count``...). The simulator records core/v1 Events, so this view
is how a client of the newer API (the Kubernetes backend, ``kubectl events``) reads them.

Not here: recording events (``harness.sim.events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

Obj = dict[str, Any]
API_VERSION: Final = "events.k8s.io/v1"
_RENAMED: Final = (("involvedObject", "regarding"), ("message", "note"), ("reportingComponent", "reportingController"),
                   ("source", "deprecatedSource"), ("firstTimestamp", "deprecatedFirstTimestamp"),
                   ("lastTimestamp", "deprecatedLastTimestamp"), ("count", "deprecatedCount"))
_KEPT: Final = ("metadata", "eventTime", "series", "related", "action", "reason", "type", "reportingInstance")


def _micro_time(timestamp: str) -> str:
    """``2026-01-01T00:00:05Z`` as a MicroTime (``2026-01-01T00:00:05.000000Z``)."""
    return timestamp[:-1] + ".000000Z" if timestamp.endswith("Z") and "." not in timestamp else timestamp


def to_v1(event: Mapping[str, Any]) -> Obj:
    out: Obj = {"kind": "Event", "apiVersion": API_VERSION}
    for key in _KEPT:
        if event.get(key) is not None:
            out[key] = event[key]
    for old, new in _RENAMED:
        if event.get(old) is not None and event.get(old) != "":
            out[new] = event[old]
    if not out.get("eventTime"):
        # eventTime is required in events.k8s.io/v1; an event recorded through core/v1 has only its timestamps
        first = event.get("firstTimestamp") or event.get("lastTimestamp")
        if first:
            out["eventTime"] = _micro_time(str(first))
    return out


def from_v1(event: Mapping[str, Any]) -> Obj:
    out: Obj = {"kind": "Event", "apiVersion": "v1"}
    for key in _KEPT:
        if event.get(key) is not None:
            out[key] = event[key]
    for old, new in _RENAMED:
        if event.get(new) is not None:
            out[old] = event[new]
    return out
