"""The ``wait`` step: run the backend until a condition holds, and fail fast when it never can.

Waiting for a RayJob to be ``Complete`` while it has reached ``Failed`` would otherwise burn the whole timeout
and end with a vague "timed out". Instead, once the object is in a terminal state (a RayJob's Complete, Failed
or ValidationFailed deployment status; a Pod's Succeeded or Failed phase) and the awaited status is not there,
the step fails at once, saying what was reached, with reason and message, and when. A waited-for RayJob that
is deleted during the wait fails the same way.

Not here: the generic matching (:mod:`.matching`), other steps (:mod:`.steps`, :mod:`.expecting`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.durations import format_duration
from .._util.jsoncopy import get_path
from ..scenario.matchers import MapMatch
from ..scenario.model import WaitStep
from .assertions import Problem
from .bindings import ResolvedRef
from .context import RunContext, StepFailed
from .matching import expected_view, match, render_diff

# The field that says an object is done, and its values from which nothing changes any more.
TERMINAL: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    "RayJob": ("status.jobDeploymentStatus", frozenset({"Complete", "Failed", "ValidationFailed"})),
    "Pod": ("status.phase", frozenset({"Succeeded", "Failed"})),
}


def flat_expectation(matcher: MapMatch) -> str:
    """``status.jobDeploymentStatus=Complete, status.jobStatus=SUCCEEDED`` for messages."""
    out: list[str] = []

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else str(key))
        else:
            out.append(f"{prefix}={value}")

    walk(expected_view(matcher), "")
    return ", ".join(out)


def _clip(value: Any, limit: int = 160) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def contradiction(kind: str, obj: Mapping[str, Any], fields: MapMatch) -> str | None:
    """Why ``obj`` can no longer come to satisfy ``fields``, or None. Pure; the caller checked it does not yet."""
    if kind not in TERMINAL or not any(key == "status" for key, _ in fields.fields):
        return None
    path, terminal = TERMINAL[kind]
    value = get_path(obj, path)
    if value not in terminal:
        return None
    status = obj.get("status") or {}
    extras = [f"{key}={_clip(status[key])!r}" for key in ("reason", "message") if status.get(key)]
    if kind == "RayJob" and status.get("jobStatus"):
        extras.insert(0, f"jobStatus={status['jobStatus']}")
    detail = f" ({', '.join(extras)})" if extras else ""
    return f"reached {path.split('.')[-1]}={value}{detail}"


def _satisfied(step: WaitStep, fields: MapMatch | None, objects: list[dict[str, Any]]) -> bool:
    if step.until == "exists":
        return bool(objects)
    if step.until == "gone":
        return not objects
    if fields is None or not objects:
        return False
    results = [not match(fields, obj) for obj in objects]
    return all(results) if step.match_all else any(results)


def _describe_until(step: WaitStep, fields: MapMatch | None) -> str:
    if step.until != "fields" or fields is None:
        return "it exists" if step.until == "exists" else "it is gone"
    return flat_expectation(fields)


def run_wait(step: WaitStep, ctx: RunContext) -> str:
    ref = ctx.bindings.ref(step.target)
    ctx.touch(ref)
    fields = step.fields.substitute(ctx.bindings.value) if step.fields is not None else None
    timeout = step.timeout if step.timeout is not None else ctx.timeouts.wait
    started = ctx.now()
    wanted = _describe_until(step, fields)
    state: dict[str, Any] = {"seen": False, "contradiction": None, "at": 0.0}

    def check() -> bool:
        objects = ctx.objects(ref)
        if _satisfied(step, fields, objects):
            return True
        if not (step.fail_fast and step.until == "fields" and fields is not None and ref.name is not None):
            return False
        if objects:
            state["seen"] = True
            reason = contradiction(ref.kind, objects[0], fields)
        else:
            reason = "was deleted" if state["seen"] and ref.kind == "RayJob" else None
        if reason is not None:
            state["contradiction"], state["at"] = reason, ctx.now()
            return True
        return False

    # Always through the backend, even when the condition already holds: it settles the current instant.
    if ctx.backend.wait_until(check, timeout):
        if state["contradiction"] is None:
            return f"condition held after {format_duration(ctx.now() - started)}"
        raise StepFailed(
            f"{ref.describe()} {state['contradiction']} at t={state['at']:.1f}s, which contradicts the wait "
            f"for {wanted}", t=ctx.now(), objects=[ref], problems=_mismatch_detail(ref, ctx, fields))
    real = "" if ctx.backend.virtual_time else " (real time)"
    raise StepFailed(f"timed out after {format_duration(timeout)}{real} waiting for {ref.describe()} until "
                     f"{wanted} ({ctx.at()})", t=ctx.now(), objects=[ref],
                     problems=_mismatch_detail(ref, ctx, fields) if step.until == "fields" else
                     _presence_detail(ref, ctx))


def _mismatch_detail(ref: ResolvedRef, ctx: RunContext, fields: MapMatch | None) -> list[Problem]:
    if fields is None:
        return []
    objects = ctx.objects(ref)
    if not objects:
        return [Problem(f"{ref.describe()} does not exist {ctx.at()}")]
    problems = []
    for obj in objects[:3]:
        name = obj.get("metadata", {}).get("name", "?")
        mismatches = match(fields, obj)
        if mismatches:
            problems.append(Problem(f"{ref.kind}/{name}: " + "; ".join(str(m) for m in mismatches),
                                    render_diff(fields, obj)))
    return problems


def _presence_detail(ref: ResolvedRef, ctx: RunContext) -> list[Problem]:
    names = [str(obj.get("metadata", {}).get("name", "?")) for obj in ctx.objects(ref)]
    return [Problem(f"present now: {', '.join(names) if names else 'none'}")]
