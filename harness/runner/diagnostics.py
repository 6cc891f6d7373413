"""Failure diagnostics: the text a person reads when a scenario fails, the same in the CLI and under pytest.

It shows, in order: which step failed and where (file:line, the step's YAML), what was expected against what
was found (from the step), the recent journal of the scenario's namespace as a timeline, the objects the
scenario touched as they are now, recent events, log tails (driver, submitter) and the command that replays
the scenario. Gathering evidence must never hide the failure: each section that cannot be read says so.

Not here: HTML or JUnit reports (``harness.report``), the checks themselves (:mod:`.assertions`).
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._util.jsoncopy import get_path
from ..errors import HarnessError
from ..journal import JournalEntry
from .assertions import format_event, state_name, tail
from .bindings import ResolvedRef
from .context import RunContext

JOURNAL_LINES = 20
EVENT_LINES = 10
LOG_LINES = 10
_SUMMARY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "RayJob": ("status.jobDeploymentStatus", "status.jobStatus", "status.reason", "status.message",
               "status.rayClusterName", "status.failed", "status.succeeded"),
    "RayCluster": ("status.state", "status.readyWorkerReplicas", "status.desiredWorkerReplicas"),
    "Pod": ("status.phase",),
    "Job": ("status.active", "status.succeeded", "status.failed"),
}


def _value_text(value: Any, limit: int = 60) -> str:
    text = "null" if value is None else value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_NOISE = ("metadata.labels", "metadata.annotations", "metadata.ownerReferences", "metadata.managedFields",
          "status.rayClusterStatus", "status.conditions", "status.containerStatuses", "status.lastUpdateTime",
          "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs", "status.startTime",
          "status.rayJobInfo", "status.observedGeneration", "status.head", "status.endpoints", "status.qosClass")


def _interesting(path: str, value: Any) -> bool:
    if path.startswith(_NOISE):
        return False
    # Lists and mappings (conditions, container statuses) are too long for a timeline line; finalizers are the
    # one list that explains a stuck deletion.
    return path == "metadata.finalizers" or not isinstance(value, (list, dict))


def format_entry(entry: JournalEntry, *, max_changes: int = 5) -> str | None:
    """One journal entry as a timeline line, or None when it only changes fields too minor to show."""
    when = f"t={entry.t:>7.1f}s"
    subject = f"{entry.kind}/{entry.name}" if entry.kind else (entry.namespace or "")
    if entry.type == "ACTION":
        words = " ".join(part for part in (entry.action, subject if entry.kind else "", entry.detail) if part)
        return f"{when}  >> {words}"
    if entry.type == "DELETED":
        return f"{when}  {subject} deleted"
    if entry.type == "ADDED":
        return f"{when}  {subject} created"
    shown = []
    for path, (old, new) in entry.changes.items():
        if not (_interesting(path, old) and _interesting(path, new)):
            continue
        short = path.removeprefix("status.")
        if path.endswith(("jobDeploymentStatus", "jobStatus")):
            shown.append(f"{short}: {state_name(old)} → {state_name(new)}")
        else:
            shown.append(f"{short}: {_value_text(old, 30)} → {_value_text(new, 50)}")
    if not shown:
        return None
    more = f" (+{len(shown) - max_changes} more)" if len(shown) > max_changes else ""
    return f"{when}  {subject} {'; '.join(shown[:max_changes])}{more}"


def journal_slice(entries: Iterable[JournalEntry], namespace: str, limit: int = JOURNAL_LINES) -> list[str]:
    """The last ``limit`` notable entries of the namespace (events are shown in their own section)."""
    relevant = (e for e in entries
                if (e.namespace == namespace and e.kind != "Event") or (e.type == "ACTION" and not e.namespace))
    lines = [line for line in (format_entry(e) for e in relevant) if line is not None]
    shown = lines[-limit:]
    if len(lines) > limit:
        shown.insert(0, f"... {len(lines) - limit} earlier entries")
    return shown


def summarize_object(ref: ResolvedRef, obj: Mapping[str, Any] | None) -> str:
    if obj is None:
        return f"{ref.describe()}: absent"
    parts = []
    for path in _SUMMARY_FIELDS.get(ref.kind, ()):
        value = get_path(obj, path)
        if value is not None and value != "":
            parts.append(f"{path.removeprefix('status.')}={_value_text(value)}")
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        parts.append("being deleted")
    return f"{ref.kind}/{obj['metadata']['name']}: " + (", ".join(parts) or "present")


def _guard(title: str, produce: Callable[[], list[str]]) -> list[str]:
    try:
        lines = produce()
    except Exception as exc:  # evidence gathering must never replace the failure being reported
        return [f"{title}:", f"  (unavailable: {type(exc).__name__}: {exc})"]
    return [f"{title}:", *("  " + line for line in lines)] if lines else []


def _related(ctx: RunContext) -> list[ResolvedRef]:
    """The touched objects, each RayJob followed by its current RayCluster."""
    refs: list[ResolvedRef] = []
    for ref in ctx.touched[:8]:
        if ref not in refs:
            refs.append(ref)
        if ref.kind == "RayJob" and ref.name is not None:
            cluster = get_path(ctx.get(ref) or {}, "status.rayClusterName")
            cluster_ref = ResolvedRef("RayCluster", str(cluster), None)
            if cluster and cluster_ref not in refs:
                refs.append(cluster_ref)
    return refs


def _objects(ctx: RunContext) -> list[str]:
    lines = []
    for ref in _related(ctx):
        if ref.name is None:
            found = ctx.objects(ref)
            lines.append(f"{ref.describe()}: {len(found)} found")
            lines.extend(summarize_object(ResolvedRef(ref.kind, o['metadata']['name'], None), o)
                         for o in found[:5])
        else:
            lines.append(summarize_object(ref, ctx.get(ref)))
    return lines


def _logs(ctx: RunContext) -> list[str]:
    """The driver and submitter log tails of the touched RayJobs, read through the backend's log resolver."""
    jobs = [ref for ref in ctx.touched if ref.kind == "RayJob" and ref.name is not None][:3]
    lines: list[str] = []
    for ref in jobs:
        assert ref.name is not None
        for source in ("driver", "submitter"):
            try:
                log = ctx.backend.logs(namespace=ctx.namespace, source=source, rayjob=ref.name)
            except Exception as exc:  # a log that cannot be read is reported, and the others are still shown
                message = exc.message if isinstance(exc, HarnessError) else f"{type(exc).__name__}: {exc}"
                lines.append(f"{source} log of {ref.describe()}: unavailable ({message})".splitlines()[0])
                continue
            lines.append(f"{log.subject} (last {LOG_LINES} lines):")
            lines.extend(tail(log.text, LOG_LINES).splitlines())
    return lines


def _operator_log(ctx: RunContext) -> list[str]:
    """The operator's lines about the touched RayJobs (and their clusters), or about the namespace."""
    jobs = [ref.name for ref in ctx.touched if ref.kind == "RayJob" and ref.name is not None]
    if not jobs:
        return ctx.backend.operator_log(namespace=ctx.namespace)[-LOG_LINES:]
    lines: list[str] = []
    for name in jobs[:3]:
        with contextlib.suppress(HarnessError):  # a RayJob that no longer exists has nothing to add
            lines.extend(ctx.backend.logs(namespace=ctx.namespace, source="operator", rayjob=name).text.splitlines())
    return sorted(dict.fromkeys(lines))[-LOG_LINES:]


def replay_command(file: str, name: str, *, backend: str = "sim", kuberay_version: str | None = None,
                   executor: str = "auto") -> str:
    parts = ["rayjob-harness", "run", _quote(file), "-k", _quote(name)]
    if backend != "sim":
        parts += ["--backend", backend]
    if kuberay_version:
        parts += ["--kuberay-version", kuberay_version]
    if executor != "auto":
        parts += ["--executor", executor]
    return " ".join(parts)


def _quote(text: str) -> str:
    return shlex.quote(text)


def render_failure(*, headline: str, snippet: str, failure: str, ctx: RunContext | None,
                   replay: str | None = None, sections: Sequence[str] = ("timeline", "objects", "events",
                                                                          "logs", "operator")) -> str:
    """The full failure text; ``ctx`` None when the failure happened before the namespace existed."""
    out = [headline]
    if snippet:
        out += ["", snippet]
    out += ["", failure]
    if ctx is not None:
        producers: dict[str, tuple[str, Callable[[], list[str]]]] = {
            "timeline": (f"Timeline of namespace {ctx.namespace} (latest last)",
                         lambda: journal_slice(ctx.backend.journal.entries, ctx.namespace)),
            "objects": ("Objects now", lambda: _objects(ctx)),
            "events": ("Recent events", lambda: [format_event(e) for e in
                                                 ctx.backend.events(namespace=ctx.namespace)[-EVENT_LINES:]]),
            "logs": ("Logs", lambda: _logs(ctx)),
            "operator": ("Operator log", lambda: _operator_log(ctx)),
        }
        for key in sections:
            title, produce = producers[key]
            block = _guard(title, produce)
            if block:
                out += ["", *block]
    if replay:
        out += ["", f"Replay: {replay}"]
    return "\n".join(out)
