"""The ``expect`` and ``expect_logs`` steps: gather what the backend shows, check it, explain failures.

An expectation with a ``grace`` period lets backend time pass until it holds (or the grace runs out); without
one it is checked once, now. ``stays`` lets time pass on purpose and fails at the first change of one field;
``consistently`` does the same for every check of the step (counts, absence, fields...), re-checked at every
change the backend observes.

Log sources follow where logs really are on a cluster; the backend's resolver (``harness.backends.logs``)
decides which pod and container hold each one, the same for every reader.

Not here: the pure checks (:mod:`.assertions`, :mod:`.matching`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .._util.durations import format_duration
from .._util.jsoncopy import get_path
from ..backends.base import LogUnavailable
from ..errors import HarnessError
from ..scenario.model import EventSpec, ExpectLogsStep, ExpectStep
from .assertions import (
    Problem,
    check_count,
    check_events,
    check_log,
    check_transitions,
    first_change_since,
    state_history,
    state_name,
)
from .bindings import ResolvedRef
from .context import RunContext, StepFailed
from .matching import match, render_diff


def _fail(problems: list[Problem], ctx: RunContext, objects: list[ResolvedRef]) -> StepFailed:
    summary = problems[0].summary if len(problems) == 1 else f"{len(problems)} expectations failed"
    return StepFailed(f"{summary} ({ctx.at()})", t=ctx.now(), problems=problems, objects=objects)


def _events(step: ExpectStep, ctx: RunContext) -> list[EventSpec]:
    return [replace(spec, reason=ctx.bindings.text(spec.reason) if spec.reason else None,
                    message=ctx.bindings.text(spec.message) if spec.message else None) for spec in step.events]


def evaluate(step: ExpectStep, ctx: RunContext) -> tuple[list[Problem], list[ResolvedRef]]:
    """Every failed check of the step right now (empty when all hold), and the objects involved."""
    problems: list[Problem] = []
    involved: list[ResolvedRef] = []
    target = ctx.bindings.ref(step.target) if step.target is not None else None
    if target is not None:
        involved.append(target)
    if step.fields is not None and target is not None:
        fields = step.fields.substitute(ctx.bindings.value)
        objects = ctx.objects(target)
        if not objects:
            problems.append(Problem(f"{target.describe()} does not exist"))
        for obj in objects:
            mismatches = match(fields, obj)
            if mismatches:
                name = obj.get("metadata", {}).get("name", "?")
                problems.append(Problem(f"{target.kind}/{name}: " + "; ".join(str(m) for m in mismatches),
                                        render_diff(fields, obj)))
    if step.transitions is not None and target is not None and target.name is not None:
        history = state_history(ctx.backend.journal.entries, kind=target.kind, namespace=ctx.namespace,
                                name=target.name, field=step.transitions.path)
        problems.extend(check_transitions(history, step.transitions, target.describe()))
    for ref in (ctx.bindings.ref(r) for r in step.present):
        involved.append(ref)
        if not ctx.objects(ref):
            problems.append(Problem(f"{ref.describe()} is absent, expected present"))
    for ref in (ctx.bindings.ref(r) for r in step.absent):
        involved.append(ref)
        found = ctx.objects(ref)
        if found:
            meta = found[0].get("metadata") or {}
            deleting = " (being deleted: finalizers " + str(meta.get("finalizers")) + ")" \
                if meta.get("deletionTimestamp") else ""
            names = ", ".join(str((o.get("metadata") or {}).get("name")) for o in found)
            problems.append(Problem(f"{ref.describe()} exists ({names}){deleting}, expected absent"))
    for spec in step.counts:
        ref = ctx.bindings.ref(spec.target)
        involved.append(ref)
        problems.extend(check_count(len(ctx.objects(ref)), spec.count, ref.describe()))
    if step.events:
        about = (target.kind, target.name) if target is not None and target.name is not None else None
        problems.extend(check_events(ctx.backend.events(namespace=ctx.namespace), _events(step, ctx), about))
    return problems, involved


def _stays(step: ExpectStep, ctx: RunContext) -> str:
    assert step.stays is not None and step.target is not None
    spec = step.stays
    ref = ctx.bindings.ref(step.target)
    assert ref.name is not None
    obj = ctx.get(ref)
    if obj is None:
        raise _fail([Problem(f"{ref.describe()} does not exist")], ctx, [ref])
    current = state_name(get_path(obj, spec.path))
    if spec.value is not None and current != state_name(ctx.bindings.value(spec.value)):
        raise _fail([Problem(f"{spec.path} of {ref.describe()} is {current}, expected it to stay "
                             f"{state_name(spec.value)}")], ctx, [ref])
    journal = ctx.backend.journal
    start = len(journal.entries)
    started = ctx.now()
    found: dict[str, Any] = {}

    def changed() -> bool:
        change = first_change_since(journal.entries, start, kind=ref.kind, namespace=ctx.namespace,
                                    name=ref.name or "", field=spec.path, value=current)
        if change is not None:
            found["change"] = change
        return change is not None

    if changed() or ctx.backend.wait_until(changed, spec.seconds):
        change = found["change"]
        raise _fail([Problem(f"{spec.path} of {ref.describe()} changed from {current} to {change.value} at "
                             f"t={change.t:.1f}s, {format_duration(change.t - started)} into the "
                             f"{format_duration(spec.seconds)} it had to stay")], ctx, [ref])
    real = "" if ctx.backend.virtual_time else " (real time)"
    return f"{spec.path} stayed {current} for {format_duration(spec.seconds)}{real}"


def _consistently(step: ExpectStep, ctx: RunContext) -> str:
    """Every check of the step keeps holding for ``step.consistently``; fails at the first change that breaks one."""
    assert step.consistently is not None
    window = step.consistently
    started = ctx.now()
    broken: dict[str, Any] = {}

    def stopped_holding() -> bool:
        problems, involved = evaluate(step, ctx)
        if problems and not broken:
            broken.update(problems=problems, involved=involved, t=ctx.now())
        return bool(problems)

    if ctx.backend.wait_until(stopped_holding, window):
        problems: list[Problem] = broken["problems"]
        when = broken["t"]
        lead = (f"stopped holding at t={when:.1f}s, {format_duration(when - started)} into the "
                f"{format_duration(window)} it had to hold")
        raise _fail([Problem(f"{problem.summary}: {lead}", problem.detail) for problem in problems], ctx,
                    broken["involved"])
    real = "" if ctx.backend.virtual_time else " (real time)"
    return f"all checks held for {format_duration(window)}{real}"


def run_expect(step: ExpectStep, ctx: RunContext) -> str:
    grace = step.grace if step.grace is not None else ctx.timeouts.grace
    problems, involved = evaluate(step, ctx)
    for ref in involved:
        ctx.touch(ref)
    note = "all checks held"
    if problems and grace > 0:
        started = ctx.now()
        if ctx.backend.wait_until(lambda: not evaluate(step, ctx)[0], grace):
            problems = []
            note = f"all checks held after {format_duration(ctx.now() - started)} of grace"
        else:
            problems, involved = evaluate(step, ctx)
    if problems:
        raise _fail(problems, ctx, involved)
    if step.stays is not None:
        return _stays(step, ctx)
    if step.consistently is not None:
        return _consistently(step, ctx)
    return note


# -- logs --------------------------------------------------------------------------------------------------------


def read_log(step: ExpectLogsStep, ref: ResolvedRef, ctx: RunContext) -> tuple[str, str]:
    """(what was read, its text), through the backend's one log resolver; LogUnavailable when it cannot be read."""
    container = ctx.bindings.text(step.container) if step.container else None
    name = ref.name or ""
    if step.source_name == "pod":
        try:
            return f"log of {ref.describe()}", ctx.backend.pod_logs(name, namespace=ctx.namespace,
                                                                     container=container)
        except HarnessError as exc:
            raise LogUnavailable(f"the log of {ref.describe()} cannot be read: {exc.message}") from None
    log = ctx.backend.logs(namespace=ctx.namespace, source=step.source_name, container=container,
                           rayjob=name if ref.kind == "RayJob" else None,
                           raycluster=name if ref.kind == "RayCluster" else None)
    return log.subject, log.text


def _log_problems(step: ExpectLogsStep, ref: ResolvedRef, ctx: RunContext) -> list[Problem]:
    try:
        subject, text = read_log(step, ref, ctx)
    except LogUnavailable as exc:
        return [Problem(exc.message)]
    return check_log(text, step, subject, contains=[ctx.bindings.text(t) for t in step.contains],
                     regex=[ctx.bindings.text(t) for t in step.regex],
                     not_contains=[ctx.bindings.text(t) for t in step.not_contains])


def run_expect_logs(step: ExpectLogsStep, ctx: RunContext) -> str:
    ref = ctx.bindings.ref(step.target)
    ctx.touch(ref)
    grace = step.grace if step.grace is not None else ctx.timeouts.grace
    problems = _log_problems(step, ref, ctx)
    if problems and grace > 0 and ctx.backend.wait_until(lambda: not _log_problems(step, ref, ctx), grace):
        return f"log checks held after grace ({ctx.at()})"
    if problems:
        raise _fail(_log_problems(step, ref, ctx) if grace > 0 else problems, ctx, [ref])
    return "log checks held"
