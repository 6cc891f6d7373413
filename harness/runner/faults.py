"""Running the fault steps through the backend's fault capabilities (``harness.backends.faults``).

A scenario whose steps need a capability its backend lacks is skipped before it starts (:func:`run_scenario`
asks the registry), so reaching a missing capability here means a backend that declared it does not offer it:
an error naming the backend. A fault that cannot be injected now (the container is not running, the RayJob has
no RayCluster yet) fails the step, saying why.

Not here: the steps' syntax (``harness.scenario.faults``), the other steps (:mod:`.steps`).
"""

from __future__ import annotations

from typing import TypeVar

from .._util.jsoncopy import get_path
from ..backends.base import UnsupportedByBackend
from ..backends.faults import DashboardAnswer, FaultNotApplicable
from ..scenario.faults import (
    DashboardStep,
    FailNextStep,
    HoldSubmitterStep,
    ImagePullStep,
    KillContainerStep,
    RestartOperatorStep,
)
from .bindings import ResolvedRef
from .context import RunContext, StepFailed

_Capability = TypeVar("_Capability")


def _needed(capability: _Capability | None, step_keyword: str, name: str, ctx: RunContext) -> _Capability:
    if capability is None:
        raise UnsupportedByBackend(f"backend={ctx.backend.name!r} cannot run the {step_keyword} step",
                                   hint=f"the backend does not offer the {name} capability; restrict the scenario "
                                        "with backends: [...]")
    return capability


def kill_container(step: KillContainerStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.kill_container, step.keyword, "kill_container", ctx)
    ref = ctx.bindings.ref(step.target)
    ctx.touch(ref)
    pods = ctx.objects(ref)
    if not pods:
        raise StepFailed(f"cannot kill a container: {ref.describe()} matches no pod {ctx.at()}", t=ctx.now(),
                         objects=[ref])
    container = ctx.bindings.text(step.container) if step.container is not None else None
    killed = []
    for pod in pods:
        name = str(pod["metadata"]["name"])
        try:
            faults.kill_container(name, container, namespace=ctx.namespace, exit_code=step.exit_code,
                                  reason=step.reason)
        except FaultNotApplicable as exc:
            raise StepFailed(f"{exc.message} {ctx.at()}", t=ctx.now(), objects=[ref]) from None
        killed.append(f"Pod/{name}")
    what = f"container {container}" if container is not None else "the first container"
    return f"killed {what} of {', '.join(killed)} (exit code {step.exit_code}, {step.reason})"


def _cluster_of(ref: ResolvedRef, ctx: RunContext) -> str:
    """The RayCluster a ``dashboard`` step means: the named one, or the RayJob's current one."""
    assert ref.name is not None
    if ref.kind == "RayCluster":
        return ref.name
    job = ctx.get(ref)
    if job is None:
        raise StepFailed(f"cannot set the dashboard's answers: {ref.describe()} does not exist {ctx.at()}",
                         t=ctx.now(), objects=[ref])
    cluster = get_path(job, "status.rayClusterName")
    if not cluster:
        raise StepFailed(f"cannot set the dashboard's answers: {ref.describe()} has no RayCluster yet "
                         f"(status.rayClusterName is empty) {ctx.at()}", t=ctx.now(), objects=[ref])
    return str(cluster)


def dashboard(step: DashboardStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.dashboard_answers, step.keyword, "dashboard_answers", ctx)
    ref = ctx.bindings.ref(step.target)
    ctx.touch(ref)
    cluster = _cluster_of(ref, ctx)
    answer = None if step.answer == "normally" else DashboardAnswer(step.answer, step.job_status, step.message)
    faults.answer_job_info(cluster, answer, namespace=ctx.namespace)
    said = {"normally": "the truth again", "error": f"an error ({step.message or 'connection refused'})",
            "not_found": "not found", "status": f"jobStatus {step.job_status}"}[step.answer]
    return f"the dashboard of RayCluster/{cluster} answers the operator's job-status query with {said}"


def fail_next(step: FailNextStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.fail_next, step.keyword, "fail_next", ctx)
    faults.fail_next(step.verb, step.kind, namespace=ctx.namespace, times=step.times, reason=step.reason,
                     message=step.message)
    count = "the next" if step.times == 1 else f"the next {step.times}"
    return f"the API server refuses {count} {step.verb} of a {step.kind} ({step.reason})"


def hold_submitter(step: HoldSubmitterStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.hold_submitter, step.keyword, "hold_submitter", ctx)
    ref = ctx.bindings.ref(step.target)
    assert ref.name is not None
    ctx.touch(ref)
    faults.hold_submitter(ref.name, namespace=ctx.namespace, held=step.held)
    return f"{'held' if step.held else 'released'} the submitter Job of {ref.describe()}"


def image_pull(step: ImagePullStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.unpullable_image, step.keyword, "unpullable_image", ctx)
    if step.pullable:
        faults.make_image_pullable(step.image)
        return f"image {step.image} can be pulled again"
    faults.make_image_unpullable(step.image, reason=step.reason)
    return f"pulls of image {step.image} fail from now on ({step.reason})"


def restart_operator(step: RestartOperatorStep, ctx: RunContext) -> str:
    faults = _needed(ctx.backend.capabilities.restart_operator, step.keyword, "restart_operator", ctx)
    faults.restart_operator(env=step.env, feature_gates=step.feature_gates)
    changes = [f"{name}={value}" if value is not None else f"{name} unset"
               for name, value in (*step.env.items(), *step.feature_gates.items())]
    return "restarted the operator" + (f" with {', '.join(changes)}" if changes else " with the same settings")
