"""Server-side printing: the ``meta.k8s.io/v1`` Table that ``kubectl get`` asks for.

Without a Table, kubectl 1.32 prints only NAME and AGE, for every kind. Custom resources print their CRD's
``additionalPrinterColumns`` (for a RayJob: JOB STATUS, DEPLOYMENT STATUS, RAY CLUSTER NAME, START TIME, END TIME,
AGE); built-in kinds print what the Kubernetes printers print (Pod READY/STATUS/RESTARTS, Service
TYPE/CLUSTER-IP/EXTERNAL-IP/PORT(S), ...). ``date`` cells are rendered here as a human duration ("3s", "5m2s",
"4h"), relative to the simulator's virtual now, exactly like ``duration.HumanDuration``.

Not here: choosing Table over JSON (:mod:`.negotiation`), watch framing (:mod:`.watch`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .._util.gofmt import parse_rfc3339
from .._util.jsoncopy import get_path
from .resources import Served

Obj = dict[str, Any]


def human_duration(seconds: float) -> str:
    """``k8s.io/apimachinery/pkg/util/duration.HumanDuration``."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    priority: int = 0
    format: str = ""
    description: str = ""

    def to_json(self) -> Obj:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


NAME: Final = Column("Name", format="name", description="Name must be unique within a namespace.")


def _age(obj: Mapping[str, Any], now: float) -> str:
    created = get_path(obj, "metadata.creationTimestamp")
    return human_duration(now - parse_rfc3339(created)) if created else "<unknown>"


def _since(timestamp: Any, now: float) -> str:
    return human_duration(now - parse_rfc3339(str(timestamp))) if timestamp else "<unknown>"


# -- built-in printers (k8s.io/kubernetes/pkg/printers/internalversion) -------------------------------------------


def _pod_status(pod: Mapping[str, Any]) -> tuple[str, int, int, int, str]:
    """(STATUS, ready containers, containers, restarts, the "(Xs ago)" of the last restart)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Pending"
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = restarts = 0
    last_restart = ""
    has_running = False
    for cs in reversed(status.get("containerStatuses") or []):
        restarts += int(cs.get("restartCount", 0))
        terminated_before = (cs.get("lastState") or {}).get("terminated")
        if terminated_before and terminated_before.get("finishedAt"):
            last_restart = str(terminated_before["finishedAt"])
        state = cs.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"]
            if terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Signal:{terminated['signal']}"
            else:
                reason = f"ExitCode:{terminated.get('exitCode', 0)}"
        elif "running" in state and cs.get("ready"):
            has_running = True
            ready += 1
    if reason == "Completed" and has_running:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason, ready, len(containers), restarts, last_restart


def _pod_cells(pod: Mapping[str, Any], now: float) -> list[Any]:
    reason, ready, total, restarts, last = _pod_status(pod)
    shown: Any = restarts if not last else f"{restarts} ({_since(last, now)} ago)"
    status = pod.get("status") or {}
    return [f"{ready}/{total}", reason, shown, _age(pod, now), status.get("podIP") or "<none>",
            (pod.get("spec") or {}).get("nodeName") or "<none>", "<none>", "<none>"]


POD_COLUMNS: Final = (Column("Ready"), Column("Status"), Column("Restarts", "string"), Column("Age"),
                      Column("IP", priority=1), Column("Node", priority=1), Column("Nominated Node", priority=1),
                      Column("Readiness Gates", priority=1))


def _ports(ports: Sequence[Mapping[str, Any]]) -> str:
    out = []
    for port in ports:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        out.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _service_cells(svc: Mapping[str, Any], now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    selector = spec.get("selector") or {}
    external = ",".join(spec.get("externalIPs") or []) or \
        ("<pending>" if spec.get("type") == "LoadBalancer" else "<none>")
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external,
            _ports(spec.get("ports") or []), _age(svc, now),
            ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"]


SERVICE_COLUMNS: Final = (Column("Type"), Column("Cluster-IP"), Column("External-IP"), Column("Port(s)"),
                          Column("Age"), Column("Selector", priority=1))


def _event_cells(event: Mapping[str, Any], now: float) -> list[Any]:
    last = event.get("lastTimestamp") or event.get("eventTime") or event.get("deprecatedLastTimestamp")
    first = event.get("firstTimestamp") or event.get("deprecatedFirstTimestamp") or last
    count = int(event.get("count") or event.get("deprecatedCount") or 1)
    seen = _since(last, now)
    if count > 1:
        seen = f"{seen} (x{count} over {_since(first, now)})"
    target = event.get("involvedObject") or event.get("regarding") or {}
    source = (event.get("source") or event.get("deprecatedSource") or {}).get("component") or \
        event.get("reportingComponent") or event.get("reportingController") or ""
    return [seen, event.get("type", ""), event.get("reason", ""),
            f"{str(target.get('kind', '')).lower()}/{target.get('name', '')}", target.get("fieldPath", ""), source,
            event.get("message") or event.get("note") or "", _since(first, now), count,
            (event.get("metadata") or {}).get("name", "")]


# the event printer has no leading Name column: the name comes last, with -o wide only
EVENT_COLUMNS: Final = (Column("Last Seen"), Column("Type"), Column("Reason"), Column("Object"),
                        Column("Subobject", priority=1), Column("Source", priority=1), Column("Message"),
                        Column("First Seen", priority=1), Column("Count", "integer", priority=1),
                        Column("Name", priority=1))


def _data_count(obj: Mapping[str, Any]) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or obj.get("stringData") or {})


def _job_cells(job: Mapping[str, Any], now: float) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if job.get("metadata", {}).get("deletionTimestamp"):
        state = "Terminating"
    elif conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif conditions.get("Suspended") == "True":
        state = "Suspended"
    elif conditions.get("FailureTarget") == "True":
        state = "FailureTarget"
    else:
        state = "Running"
    completions = f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"
    start, end = status.get("startTime"), status.get("completionTime")
    duration = "" if not start else human_duration(
        (parse_rfc3339(end) if end else now) - parse_rfc3339(start))
    pod_spec = get_path(spec, "template.spec", {}) or {}
    containers = pod_spec.get("containers") or []
    labels = get_path(spec, "selector.matchLabels", {}) or {}
    return [state, completions, duration, _age(job, now), ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers),
            ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"]


JOB_COLUMNS: Final = (Column("Status"), Column("Completions"), Column("Duration"), Column("Age"),
                      Column("Containers", priority=1), Column("Images", priority=1), Column("Selector", priority=1))

Printer = Callable[[Mapping[str, Any], float], list[Any]]
BUILTIN: Final[Mapping[str, tuple[tuple[Column, ...], Printer]]] = {
    "Pod": (POD_COLUMNS, _pod_cells),
    "Service": (SERVICE_COLUMNS, _service_cells),
    "Event": (EVENT_COLUMNS, _event_cells),
    "ConfigMap": ((Column("Data", "integer"), Column("Age")), lambda o, now: [_data_count(o), _age(o, now)]),
    "Secret": ((Column("Type"), Column("Data", "integer"), Column("Age")),
               lambda o, now: [o.get("type", "Opaque"), _data_count(o), _age(o, now)]),
    "Namespace": ((Column("Status"), Column("Age")),
                  lambda o, now: [get_path(o, "status.phase", "Active"), _age(o, now)]),
    "Job": (JOB_COLUMNS, _job_cells),
    "NetworkPolicy": ((Column("Pod-Selector"), Column("Age")),
                      lambda o, now: [",".join(f"{k}={v}" for k, v in sorted(
                          (get_path(o, "spec.podSelector.matchLabels", {}) or {}).items())) or "<none>",
                          _age(o, now)]),
}


# -- custom resources ----------------------------------------------------------------------------------------------


def _custom_cell(obj: Mapping[str, Any], json_path: str, kind: str, now: float) -> Any:
    value = get_path(obj, json_path.lstrip("."))
    if value is None:
        return None
    if kind == "date":
        return human_duration(now - parse_rfc3339(str(value)))
    return value


def columns_for(served: Served) -> tuple[Column, ...]:
    crd = served.crd
    if crd is not None:
        if not crd.printer_columns:
            return (Column("Age", "date"),)
        return tuple(Column(c.name, c.type, c.priority) for c in crd.printer_columns)
    return BUILTIN[served.kind][0] if served.kind in BUILTIN else (Column("Age", "date"),)


def cells_for(served: Served, obj: Mapping[str, Any], now: float) -> list[Any]:
    crd = served.crd
    if crd is not None:
        if not crd.printer_columns:
            return [_age(obj, now)]
        return [_custom_cell(obj, c.json_path, c.type, now) for c in crd.printer_columns]
    if served.kind in BUILTIN:
        return BUILTIN[served.kind][1](obj, now)
    return [_age(obj, now)]


def _named(served: Served) -> bool:
    return served.kind != "Event"


def row(served: Served, obj: Mapping[str, Any], now: float, include: str) -> Obj:
    cells = cells_for(served, obj, now)
    out: Obj = {"cells": [obj["metadata"]["name"], *cells] if _named(served) else cells}
    if include == "Object":
        out["object"] = obj
    elif include != "None":
        out["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return out


def table(served: Served, objs: Sequence[Mapping[str, Any]], now: float, *, resource_version: str,
          include: str = "Metadata", with_columns: bool = True) -> Obj:
    """A Table of ``objs``; ``include`` is the request's ``includeObject`` (Metadata, Object or None)."""
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version}}
    if with_columns:
        columns = (NAME, *columns_for(served)) if _named(served) else columns_for(served)
        out["columnDefinitions"] = [c.to_json() for c in columns]
    out["rows"] = [row(served, obj, now, include) for obj in objs]
    return out
