"""Running the action steps: apply, patch (suspend, resume), delete, rerun, advance, sleep, save,
ray_job_submit.

Each function takes the typed step and the :class:`RunContext`, acts through the Backend protocol (and its
optional capabilities) only, and returns a short note for the step record (or raises :class:`StepFailed`).
Objects are always created in the scenario's namespace, whatever their manifest says.

Not here: waits (:mod:`.waiting`), expectations (:mod:`.expecting`) and faults (:mod:`.faults`); dispatch
(:func:`run_step`, below, routes to all of them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .._util.durations import format_duration
from .._util.jsoncopy import deep_copy, get_path
from ..backends.base import RayJobSubmitRefused, Refused, UnsupportedByBackend
from ..scenario.faults import (
    DashboardStep,
    FailNextStep,
    HoldSubmitterStep,
    ImagePullStep,
    KillContainerStep,
    RestartOperatorStep,
)
from ..scenario.inline_manifests import check_manifest_object
from ..scenario.model import (
    AdvanceStep,
    ApplyStep,
    DeleteStep,
    ExpectedRefusal,
    ExpectLogsStep,
    ExpectStep,
    ManifestObject,
    PatchStep,
    RayJobSubmitStep,
    RerunStep,
    SaveStep,
    SleepStep,
    Step,
    WaitStep,
)
from .assertions import Problem, check_refusal
from .bindings import ResolvedRef
from .context import RunContext, StepFailed
from .expecting import run_expect, run_expect_logs
from .faults import dashboard, fail_next, hold_submitter, image_pull, kill_container, restart_operator
from .waiting import run_wait


def _body(obj: ManifestObject, ctx: RunContext) -> dict[str, Any]:
    body: dict[str, Any] = ctx.bindings.value(obj.obj) if obj.inline else deep_copy(dict(obj.obj))
    meta = body.setdefault("metadata", {})
    meta.pop("namespace", None)  # every scenario runs in a namespace of its own
    return body


def _checked_body(obj: ManifestObject, ctx: RunContext) -> dict[str, Any]:
    """The object to apply; one the loader could not validate (it holds bindings) is validated now, so that
    what the API server refuses is reported at the scenario's line rather than as an anonymous object."""
    body = _body(obj, ctx)
    if obj.checked_at_run:
        check_manifest_object(obj, body)
    return body


def _ref_of(obj: ManifestObject, ctx: RunContext) -> ResolvedRef:
    body = _body(obj, ctx)
    return ResolvedRef(str(body["kind"]), str(body["metadata"]["name"]), None)


def _refused(spec: ExpectedRefusal, request: Callable[[], object], what: str, ctx: RunContext,
             ref: ResolvedRef) -> str:
    """Send ``request``, which the API server must refuse as ``spec`` says; the step's note, or StepFailed."""
    try:
        request()
    except Refused as exc:
        wanted = replace(spec, message=ctx.bindings.text(spec.message) if spec.message is not None else None)
        problems = check_refusal(wanted, code=exc.code, reason=exc.reason, message=exc.message)
        if problems:
            raise StepFailed(f"the API server refused {what} ({exc.code} {exc.reason}), but not as expected: "
                             f"{'; '.join(problem.summary for problem in problems)} {ctx.at()}", t=ctx.now(),
                             problems=[Problem(f"expected: {wanted.describe()}"),
                                       Problem(f"refused with: {exc.code} {exc.reason}: {exc.message}")],
                             objects=[ref]) from None
        return f"refused as expected ({exc.code} {exc.reason}): {exc.message}"
    raise StepFailed(f"the API server accepted {what}, expected it to refuse it ({spec.describe()}) {ctx.at()}",
                     t=ctx.now(), objects=[ref])


def apply(step: ApplyStep, ctx: RunContext) -> str:
    if step.refusal is not None:
        [obj] = step.objects
        body = _body(obj, ctx)
        ref = ResolvedRef(str(body.get("kind", "")), str((body.get("metadata") or {}).get("name", "")), None)
        ctx.touch(ref)
        return _refused(step.refusal, lambda: ctx.backend.apply(body, namespace=ctx.namespace),
                        f"the apply of {ref.describe()}", ctx, ref)
    names = []
    for obj in step.objects:
        body = _checked_body(obj, ctx)
        ctx.backend.apply(body, namespace=ctx.namespace)
        ref = ResolvedRef(str(body["kind"]), str(body["metadata"].get("name", "")), None)
        ctx.touch(ref)
        names.append(ref.describe())
    return "applied " + ", ".join(names)


def patch(step: PatchStep, ctx: RunContext) -> str:
    ref = ctx.bindings.ref(step.target)
    name = ref.name
    assert name is not None
    ctx.touch(ref)
    body = ctx.bindings.value(step.patch)
    what = f"the patch of {ref.describe()}{' status' if step.subresource else ''}"
    if step.refusal is not None:
        return _refused(step.refusal, lambda: ctx.backend.patch(ref.kind, name, body, namespace=ctx.namespace,
                                                                subresource=step.subresource), what, ctx, ref)
    if ctx.get(ref) is None:
        raise StepFailed(f"cannot {step.shortcut or 'patch'} {ref.describe()}: it does not exist {ctx.at()}",
                         t=ctx.now(), objects=[ref])
    ctx.backend.patch(ref.kind, name, body, namespace=ctx.namespace, subresource=step.subresource)
    if step.subresource:
        return f"patched the status of {ref.describe()}"
    return f"{step.shortcut + 'ed' if step.shortcut else 'patched'} {ref.describe()}"


def _wait_gone(refs: list[ResolvedRef], ctx: RunContext, timeout: float) -> None:
    def gone() -> bool:
        return all(ctx.get(ref) is None for ref in refs)

    if gone() or ctx.backend.wait_until(gone, timeout):
        return
    left = [ref for ref in refs if ctx.get(ref) is not None]
    details = []
    for ref in left:
        meta = (ctx.get(ref) or {}).get("metadata") or {}
        details.append(Problem(f"{ref.describe()}: deletionTimestamp={meta.get('deletionTimestamp')!r} "
                               f"finalizers={meta.get('finalizers') or []}"))
    raise StepFailed(f"{', '.join(r.describe() for r in left)} still exist(s) {format_duration(timeout)} after "
                     f"deletion ({ctx.at()})", t=ctx.now(), objects=left, problems=details)


def _delete(refs: list[ResolvedRef], ctx: RunContext, *, wait: bool, timeout: float, strict: bool) -> list[str]:
    deleted: list[ResolvedRef] = []
    for ref in refs:
        ctx.touch(ref)
        for obj in ctx.objects(ref):
            name = str(obj["metadata"]["name"])
            ctx.backend.delete(ref.kind, name, namespace=ctx.namespace, wait=False)
            deleted.append(ResolvedRef(ref.kind, name, None))
        if strict and ref.name is not None and not any(d == ref for d in deleted):
            raise StepFailed(f"cannot delete {ref.describe()}: it does not exist {ctx.at()}", t=ctx.now(),
                             objects=[ref])
    if wait:
        _wait_gone(deleted, ctx, timeout)
    return [ref.describe() for ref in deleted]


def delete(step: DeleteStep, ctx: RunContext) -> str:
    refs = [ctx.bindings.ref(target) for target in step.targets]
    if step.refusal is not None:
        [ref] = refs
        name = ref.name
        assert name is not None
        ctx.touch(ref)
        return _refused(step.refusal, lambda: ctx.backend.delete(ref.kind, name, namespace=ctx.namespace, wait=False),
                        f"the deletion of {ref.describe()}", ctx, ref)
    timeout = step.timeout if step.timeout is not None else ctx.timeouts.delete
    names = _delete(refs, ctx, wait=step.wait, timeout=timeout, strict=True)
    if not names:
        return "nothing matched"
    return ("deleted " if step.wait else "deletion requested for ") + ", ".join(names)


def rerun(step: RerunStep, ctx: RunContext) -> str:
    refs = [_ref_of(obj, ctx) for obj in step.objects]
    timeout = step.timeout if step.timeout is not None else ctx.timeouts.delete
    _delete(list(reversed(refs)), ctx, wait=True, timeout=timeout, strict=False)
    apply(ApplyStep(step.source, objects=step.objects), ctx)
    return "deleted and re-applied " + ", ".join(ref.describe() for ref in refs)


def ray_job_submit(step: RayJobSubmitStep, ctx: RunContext) -> str:
    """A user's ``ray job submit`` to the RayJob's cluster, through the backend's optional capability."""
    submitter = ctx.backend.capabilities.ray_job_submit
    if submitter is None:
        raise UnsupportedByBackend(f"backend={ctx.backend.name!r} cannot run the ray_job_submit step",
                                   hint="this backend has no way to submit a Ray job as a user; restrict the "
                                        "scenario with backends: [sim]")
    ref = ctx.bindings.ref(step.target)
    assert ref.name is not None
    ctx.touch(ref)
    obj = ctx.get(ref)
    if obj is None:
        raise StepFailed(f"cannot submit a Ray job to {ref.describe()}: it does not exist {ctx.at()}",
                         t=ctx.now(), objects=[ref])
    submission_id = ctx.bindings.text(step.submission_id)
    entrypoint = ctx.bindings.text(step.entrypoint) if step.entrypoint is not None else None
    if entrypoint is None and not get_path(obj, "spec.entrypoint"):
        # `ray job submit` needs an entrypoint; an InteractiveMode RayJob usually has none in its spec.
        raise StepFailed(f"cannot submit a Ray job to {ref.describe()}: the step gives no entrypoint and the "
                         f"RayJob has no spec.entrypoint (write entrypoint: \"python ...\" in the step)",
                         t=ctx.now(), objects=[ref])
    try:
        submitter.submit_ray_job(ref.name, submission_id, entrypoint, namespace=ctx.namespace)
    except RayJobSubmitRefused as exc:
        raise StepFailed(f"ray job submit --submission-id {submission_id} to the cluster of {ref.describe()} "
                         f"was refused {ctx.at()}: {exc.message}", t=ctx.now(), objects=[ref]) from None
    return f"submitted Ray job {submission_id!r} to the cluster of {ref.describe()}"


def advance(step: AdvanceStep, ctx: RunContext) -> str:
    ctx.backend.advance(step.seconds)
    if ctx.backend.virtual_time:
        return f"advanced {format_duration(step.seconds)} of virtual time"
    return f"waited {format_duration(step.seconds)} of real time (this backend runs on the wall clock)"


def sleep(step: SleepStep, ctx: RunContext) -> str:
    """Both clocks move by the duration: the backend runs for it, and the wall clock is waited for too."""
    started = time.monotonic()
    ctx.backend.advance(step.seconds)
    remaining = step.seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return f"slept {format_duration(step.seconds)} (wall clock)"


def save(step: SaveStep, ctx: RunContext) -> str:
    saved = []
    for entry in step.entries:
        ref = ctx.bindings.ref(entry.target)
        ctx.touch(ref)
        objects = ctx.objects(ref)
        if not objects:
            raise StepFailed(f"cannot save ${{{entry.name}}}: {ref.describe()} does not exist {ctx.at()}",
                             t=ctx.now(), objects=[ref])
        value = get_path(objects[0], entry.path)
        if value is None or value == "":
            raise StepFailed(f"cannot save ${{{entry.name}}}: {ref.describe()} has no value at {entry.path} "
                             f"{ctx.at()}", t=ctx.now(), objects=[ref])
        ctx.bindings.set(entry.name, value)
        saved.append(f"{entry.name}={value!r}")
    return "saved " + ", ".join(saved)


_RUNNERS: dict[type[Any], Callable[[Any, RunContext], str]] = {
    ApplyStep: apply, PatchStep: patch, DeleteStep: delete, RerunStep: rerun, WaitStep: run_wait,
    ExpectStep: run_expect, ExpectLogsStep: run_expect_logs, AdvanceStep: advance, SleepStep: sleep,
    SaveStep: save, RayJobSubmitStep: ray_job_submit, KillContainerStep: kill_container, DashboardStep: dashboard,
    FailNextStep: fail_next, HoldSubmitterStep: hold_submitter, ImagePullStep: image_pull,
    RestartOperatorStep: restart_operator,
}


def run_step(step: Step, ctx: RunContext) -> str:
    """Run one step; returns a note for the step record, raises StepFailed when the step's check fails."""
    ctx.notes.clear()
    runner = _RUNNERS.get(type(step))
    if runner is None:
        raise TypeError(f"unknown step type {type(step).__name__}")
    return runner(step, ctx)
