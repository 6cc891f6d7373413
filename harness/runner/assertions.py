"""Assertions as pure functions over journal entries, objects, events and log text.

Each check returns a list of :class:`Problem` (empty when it holds), so a step can report every failed check at
once. Transition checks read the journal rather than the current object, so a state that lasted a millisecond
still counts. A field's value is shown as ``New`` when it is absent or empty (a RayJob before its first
reconcile, or right after a retry reset).

Not here: fetching objects, events and logs from a backend (:mod:`.steps`), partial-object matching
(:mod:`.matching`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._util.durations import format_duration
from ..journal import JournalEntry
from ..scenario.model import CountRange, EventSpec, ExpectedRefusal, ExpectLogsStep, Transitions

NEW = "New"


@dataclass(frozen=True)
class Problem:
    """One failed check: a one-line summary, and optional detail (a diff, the observed sequence)."""

    summary: str
    detail: str = ""

    def __str__(self) -> str:
        return self.summary + (("\n" + self.detail) if self.detail else "")


@dataclass(frozen=True)
class StateChange:
    t: float
    value: str


def state_name(value: Any) -> str:
    if value is None or value == "":
        return NEW
    return value if isinstance(value, str) else str(value)


def _value_from(entry: JournalEntry, field: str) -> tuple[bool, Any]:
    """(mentioned, value after) for ``field`` in an entry; parents replaced whole count as mentioned."""
    if field in entry.changes:
        return True, entry.changes[field][1]
    prefix = field + "."
    if any(path.startswith(prefix) for path in entry.changes):
        return False, None
    for path, (_, new) in entry.changes.items():
        if field.startswith(path + ".") and (new is None or isinstance(new, Mapping)):
            # status reset to {} or removed: the nested field is gone too
            return True, None
    return False, None


def state_history(entries: Iterable[JournalEntry], *, kind: str, namespace: str, name: str,
                  field: str) -> list[StateChange]:
    """The successive values of ``field`` on one object, one entry per change, across re-creations.

    Every incarnation (ADDED after a DELETED) starts from ``New`` unless created with the field set. This is
    ``Journal.values`` plus what transition assertions need on top: the initial absent value as ``New``, and a
    fresh start for an object deleted and applied again (a rerun).
    """
    out: list[StateChange] = []
    for entry in entries:
        if entry.kind != kind or entry.namespace != namespace or entry.name != name or entry.type == "ACTION":
            continue
        if entry.type == "DELETED":
            continue
        mentioned, value = _value_from(entry, field)
        if entry.type == "ADDED":
            state = state_name(value if mentioned else None)
            if not out or out[-1].value != state:
                out.append(StateChange(entry.t, state))
            continue
        if mentioned:
            state = state_name(value)
            if not out or out[-1].value != state:
                out.append(StateChange(entry.t, state))
    return out


def format_history(history: Sequence[StateChange]) -> str:
    if not history:
        return "(no value observed)"
    return " → ".join(f"{change.value} (t={change.t:.1f}s)" for change in history)


def _is_subsequence(wanted: Sequence[str], seen: Sequence[str]) -> list[int] | None:
    """Indexes in ``seen`` where ``wanted`` occurs in order, or None."""
    indexes: list[int] = []
    start = 0
    for state in wanted:
        try:
            index = list(seen).index(state, start)
        except ValueError:
            return None
        indexes.append(index)
        start = index + 1
    return indexes


def check_transitions(history: Sequence[StateChange], spec: Transitions, subject: str) -> list[Problem]:
    """Exact sequence, ordered subsequence, never-seen states and the time bound of ``spec``."""
    values = [change.value for change in history]
    observed = f"observed {spec.path} of {subject}: {format_history(history)}"
    problems: list[Problem] = []
    matched: list[int] | None = None
    if spec.exact is not None:
        wanted = list(spec.exact)
        seen = values
        # A RayJob is created without a status: the leading New is implied unless the scenario lists it.
        offset = 1 if seen[:1] == [NEW] and wanted[:1] != [NEW] else 0
        if seen[offset:] != wanted:
            problems.append(Problem(f"{spec.path} of {subject} did not go exactly through "
                                    f"{' → '.join(wanted)}", observed))
        else:
            matched = list(range(offset, len(seen)))
    if spec.subsequence is not None:
        matched = _is_subsequence(spec.subsequence, values)
        if matched is None:
            problems.append(Problem(f"{spec.path} of {subject} did not pass through "
                                    f"{' → '.join(spec.subsequence)} in this order", observed))
    for state in spec.never:
        hits = [change for change in history if change.value == state]
        if hits:
            problems.append(Problem(f"{spec.path} of {subject} reached {state} at t={hits[0].t:.1f}s, "
                                    "which the scenario says must never happen", observed))
    if spec.within is not None and matched:
        first, last = history[matched[0]], history[matched[-1]]
        if last.t - first.t > spec.within:
            problems.append(Problem(
                f"{spec.path} of {subject} took {format_duration(last.t - first.t)} from {first.value} to "
                f"{last.value}, more than the allowed {format_duration(spec.within)}", observed))
    return problems


def first_change_since(entries: Sequence[JournalEntry], start_seq: int, *, kind: str, namespace: str, name: str,
                       field: str, value: str) -> StateChange | None:
    """The first change of ``field`` away from ``value`` among entries with ``seq >= start_seq``."""
    for entry in entries[start_seq:]:
        if entry.kind != kind or entry.namespace != namespace or entry.name != name:
            continue
        if entry.type == "DELETED":
            return StateChange(entry.t, "<deleted>")
        mentioned, new = _value_from(entry, field)
        if mentioned and state_name(new) != value:
            return StateChange(entry.t, state_name(new))
    return None


def check_count(count: int, expected: CountRange, subject: str) -> list[Problem]:
    if expected.holds(count):
        return []
    return [Problem(f"expected {expected.describe()} {subject}, found {count}")]


# -- events ------------------------------------------------------------------------------------------------------


def event_fields(event: Mapping[str, Any]) -> tuple[str, str, str, Mapping[str, Any]]:
    """(reason, type, message, involved object) of a core/v1 or events.k8s.io/v1 Event."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    message = event.get("message") if event.get("message") is not None else event.get("note", "")
    return str(event.get("reason", "")), str(event.get("type", "")), str(message or ""), involved


def event_matches(event: Mapping[str, Any], spec: EventSpec, about: tuple[str, str] | None) -> bool:
    reason, type_, message, involved = event_fields(event)
    if about is not None and (involved.get("kind"), involved.get("name")) != about:
        return False
    return ((spec.reason is None or reason == spec.reason) and (spec.type is None or type_ == spec.type)
            and (spec.message is None or re.search(spec.message, message) is not None))


def event_count(event: Mapping[str, Any]) -> int:
    count = event.get("count") or (event.get("series") or {}).get("count") or 1
    return int(count) if isinstance(count, int) else 1


def format_event(event: Mapping[str, Any]) -> str:
    reason, type_, message, involved = event_fields(event)
    count = event_count(event)
    times = f" (x{count})" if count > 1 else ""
    return f"{type_} {reason} {involved.get('kind', '?')}/{involved.get('name', '?')}: {message}{times}"


def check_events(events: Sequence[Mapping[str, Any]], specs: Sequence[EventSpec],
                 about: tuple[str, str] | None) -> list[Problem]:
    where = f" on {about[0]}/{about[1]}" if about else ""
    problems = []
    for spec in specs:
        hits = [event for event in events if event_matches(event, spec, about)]
        total = sum(event_count(event) for event in hits)
        if not spec.present and hits:
            problems.append(Problem(f"found {spec.describe()}{where}, which must not occur",
                                    "\n".join("  " + format_event(e) for e in hits[:5])))
        elif spec.present and spec.count is not None and not spec.count.holds(total):
            problems.append(Problem(f"expected {spec.count.describe()} {spec.describe()}{where}, found {total}",
                                    _recent_events(events)))
        elif spec.present and spec.count is None and not hits:
            problems.append(Problem(f"no {spec.describe()}{where}", _recent_events(events)))
    return problems


def _recent_events(events: Sequence[Mapping[str, Any]], limit: int = 8) -> str:
    if not events:
        return "events in the namespace: none"
    lines = [f"  {format_event(event)}" for event in events[-limit:]]
    return "events in the namespace (latest last):\n" + "\n".join(lines)


# -- logs --------------------------------------------------------------------------------------------------------


def tail(text: str, lines: int = 10) -> str:
    parts = text.splitlines()
    shown = parts[-lines:]
    prefix = [f"  ... ({len(parts) - lines} earlier line(s))"] if len(parts) > lines else []
    return "\n".join(prefix + [f"  | {line}" for line in shown]) if shown else "  (empty)"


def check_log(text: str, step: ExpectLogsStep, subject: str, *, contains: Sequence[str] = (),
              regex: Sequence[str] = (), not_contains: Sequence[str] = ()) -> list[Problem]:
    """``contains``/``regex``/``not_contains`` are the step's texts with bindings already filled in."""
    problems = []
    for needle in contains:
        if needle not in text:
            problems.append(Problem(f"{subject} does not contain {needle!r}", tail(text)))
    for pattern in regex:
        if re.search(pattern, text, re.MULTILINE) is None:
            problems.append(Problem(f"{subject} has no match for /{pattern}/", tail(text)))
    for needle in not_contains:
        if needle in text:
            line = next(line for line in text.splitlines() if needle in line) if "\n" not in needle else needle
            problems.append(Problem(f"{subject} contains {needle!r}, which it must not", f"  | {line}"))
    if step.lines is not None:
        count = len(text.splitlines())
        if not step.lines.holds(count):
            problems.append(Problem(f"{subject} has {count} line(s), expected {step.lines.describe()}",
                                    tail(text)))
    return problems


def check_refusal(spec: ExpectedRefusal, *, code: int, reason: str, message: str) -> list[Problem]:
    """How a refusal the API server gave differs from the one expected (``spec.message`` already resolved)."""
    problems: list[Problem] = []
    if spec.reason is not None and reason != spec.reason:
        problems.append(Problem(f"reason={reason}, expected reason={spec.reason}"))
    if spec.code is not None and code != spec.code:
        problems.append(Problem(f"code={code}, expected code={spec.code}"))
    if spec.message is not None and re.search(spec.message, message) is None:
        problems.append(Problem(f"the message does not match /{spec.message}/", f"message: {message}"))
    return problems
