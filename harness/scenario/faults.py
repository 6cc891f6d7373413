"""The fault steps: break something at a moment the scenario chooses, as KubeRay's own tests do.

- ``kill_container``: a container's process ends now (SIGKILL by default, SIGTERM, or a chosen exit code); the
  kubelet restarts it or not by the pod's ``restartPolicy``.
- ``dashboard``: the Ray dashboard of a RayJob's (or a named) RayCluster answers the operator's job-status query
  with an error, "not found" or a chosen job status, until told to answer ``normally`` again.
- ``fail_next``: the API server refuses the next create or delete of a kind (whoever sends it).
- ``hold_submitter`` / ``release_submitter``: no controller runs the RayJob's submitter Job or writes its
  status (as in an envtest) until it is released; its status may be written with a status patch meanwhile.
- ``unpullable_image`` / ``pullable_image``: pulling an image fails from now on (``ErrImagePull``, then
  ``ImagePullBackOff``), or works again.
- ``restart_operator``: the KubeRay operator restarts (its in-memory state lost), with changes to its
  environment variables and feature gates, checked as the scenario's ``operator:`` settings are.

Each step names the backend capability it needs (``capability``); a backend without it skips the scenario and
says why. Running the steps is ``harness.runner.faults``.

Not here: the other steps (:mod:`.steps`, :mod:`.expectations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final, Literal

from ..errors import SourcePos
from ..model.enums import JobStatus
from ..model.status import INJECTABLE_REASONS
from .model import KINDS, ObjectRef, Step
from .parsing import (
    ParseContext,
    boolean,
    check_keys,
    env_value,
    fail,
    integer,
    mapping,
    object_ref,
    string,
    suggest,
)
from .source import Node
from .steps import StepParser

SIGNALS: Final = {"SIGKILL": 137, "SIGTERM": 143}  # the exit code of a process ended by each signal
DashboardAnswerKind = Literal["error", "not_found", "status", "normally"]
JOB_STATUSES: Final = tuple(status.value for status in JobStatus if status.value)
_ANSWER_WORDS: Final[dict[str, DashboardAnswerKind]] = {"error": "error", "not_found": "not_found",
                                                        "normally": "normally"}


@dataclass(frozen=True)
class KillContainerStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("Pod"))  # a pod by name, or every pod matching
    container: str | None = None  # None: the pod's first container
    exit_code: int = 137
    reason: str = "Error"
    keyword: str = field(default="kill_container", init=False)
    capability: ClassVar[str | None] = "kill_container"


@dataclass(frozen=True)
class DashboardStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))  # a RayJob (its cluster) or a RayCluster
    answer: DashboardAnswerKind = "normally"
    job_status: str | None = None  # with answer "status"
    message: str | None = None  # the error's text, or the job info's message
    keyword: str = field(default="dashboard", init=False)
    capability: ClassVar[str | None] = "dashboard_answers"


@dataclass(frozen=True)
class FailNextStep(Step):
    verb: Literal["create", "delete"] = "create"
    kind: str = "RayCluster"
    times: int = 1
    reason: str = "InternalError"
    message: str = ""
    keyword: str = field(default="fail_next", init=False)
    capability: ClassVar[str | None] = "fail_next"


@dataclass(frozen=True)
class HoldSubmitterStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))
    held: bool = True  # False: release_submitter
    keyword: str = field(default="hold_submitter", init=False)
    capability: ClassVar[str | None] = "hold_submitter"

    def __post_init__(self) -> None:
        if not self.held:
            object.__setattr__(self, "keyword", "release_submitter")


@dataclass(frozen=True)
class ImagePullStep(Step):
    image: str = ""
    reason: str = "not found"  # containerd's last words for the failed pull
    pullable: bool = False  # True: pullable_image
    keyword: str = field(default="unpullable_image", init=False)
    capability: ClassVar[str | None] = "unpullable_image"

    def __post_init__(self) -> None:
        if self.pullable:
            object.__setattr__(self, "keyword", "pullable_image")


@dataclass(frozen=True)
class RestartOperatorStep(Step):
    """Changes to the operator's settings: a value of None removes an env var or returns a gate to its default."""

    env: Mapping[str, str | None] = field(default_factory=dict)
    feature_gates: Mapping[str, bool | None] = field(default_factory=dict)
    positions: Mapping[str, SourcePos] = field(default_factory=dict, compare=False)  # setting -> its line
    keyword: str = field(default="restart_operator", init=False)
    capability: ClassVar[str | None] = "restart_operator"

    def pos_of(self, name: str) -> SourcePos:
        return self.positions.get(name, self.source.pos)


def parse_kill_container(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "kill_container: {pod: {selector: \"ray.io/node-type=head\"}, container: ray-head}"
    mapping(body, "kill_container", example)
    check_keys(body, ("pod", "kind", "name", "selector", "container", "signal", "exit", "reason"), "kill_container")
    target = object_ref(body, ctx, "kill_container")
    if target.kind != "Pod":
        raise fail(f"kill_container names a {target.kind}", target.pos, "containers run in pods: write pod: NAME or "
                                                                        "pod: {selector: ...}")
    if "signal" in body.fields and "exit" in body.fields:
        raise fail("kill_container has both signal and exit", body.pos_of_key("exit"),
                   "a signal gives the exit code (SIGKILL 137, SIGTERM 143); write one of them")
    exit_code = SIGNALS["SIGKILL"]
    if "signal" in body.fields:
        signal = string(body.fields["signal"], "kill_container signal", "signal: SIGTERM")
        if signal not in SIGNALS:
            raise fail(f"kill_container signal={signal!r} is not SIGKILL or SIGTERM", body.fields["signal"].pos,
                       "SIGKILL ends the process at once (exit code 137), SIGTERM asks it to stop (143)")
        exit_code = SIGNALS[signal]
    if "exit" in body.fields:
        exit_code = integer(body.fields["exit"], "kill_container exit")
    container = None
    if "container" in body.fields:
        container = string(body.fields["container"], "kill_container container", "container: ray-head")
        ctx.check_bindings(container, body.fields["container"].pos)
    reason = string(body.fields["reason"], "kill_container reason", "reason: OOMKilled") if "reason" in body.fields \
        else ("Completed" if exit_code == 0 else "Error")
    return KillContainerStep(ctx.step_source(node), target=target, container=container, exit_code=exit_code,
                             reason=reason)


def parse_dashboard(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "dashboard: {rayjob: my-job, answers: error}"
    mapping(body, "dashboard", example)
    check_keys(body, ("rayjob", "raycluster", "answers"), "dashboard", required=("answers",))
    target = object_ref(body, ctx, "dashboard", need_name=True)
    if target.kind not in ("RayJob", "RayCluster"):
        raise fail(f"dashboard names a {target.kind}", target.pos, "write rayjob: NAME (its RayCluster's dashboard) "
                                                                   "or raycluster: NAME")
    answers = body.fields["answers"]
    hint = ("answers: error, not_found, normally, {jobStatus: SUCCEEDED, message: ...} or {error: \"text\"}")
    if isinstance(answers.value, str):
        word = _ANSWER_WORDS.get(answers.value)
        if word is None:
            raise fail(f"dashboard answers={answers.value!r} is not understood", answers.pos, hint)
        return DashboardStep(ctx.step_source(node), target=target, answer=word)
    mapping(answers, "dashboard answers", hint)
    if "error" in answers.fields:
        check_keys(answers, ("error",), "dashboard answers")
        text = string(answers.fields["error"], "dashboard answers error", "error: \"HTTP 500\"")
        return DashboardStep(ctx.step_source(node), target=target, answer="error", message=text)
    check_keys(answers, ("jobStatus", "message"), "dashboard answers", required=("jobStatus",))
    status = string(answers.fields["jobStatus"], "dashboard answers jobStatus", "jobStatus: SUCCEEDED")
    if status not in JOB_STATUSES:
        raise fail(f"dashboard answers jobStatus={status!r} is not a Ray job status", answers.fields["jobStatus"].pos,
                   f"Ray job statuses: {', '.join(JOB_STATUSES)}")
    message = string(answers.fields["message"], "dashboard answers message", "message: \"Job finished\"") \
        if "message" in answers.fields else None
    return DashboardStep(ctx.step_source(node), target=target, answer="status", job_status=status, message=message)


def _kind(node: Node) -> str:
    text = string(node, "fail_next kind", "create: RayCluster")
    for kind in KINDS:
        if text.lower() == kind.lower():
            return kind
    close = suggest(text, KINDS)
    raise fail(f"fail_next kind={text!r} is not a kind scenarios can name", node.pos,
               (f"did you mean {close!r}? " if close else "") + f"kinds: {', '.join(KINDS)}")


def parse_fail_next(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "fail_next: {create: RayCluster, reason: InternalError, times: 1}"
    mapping(body, "fail_next", example)
    check_keys(body, ("create", "delete", "times", "reason", "message"), "fail_next")
    verbs = [verb for verb in ("create", "delete") if verb in body.fields]
    if len(verbs) != 1:
        raise fail("fail_next names exactly one of create or delete", body.pos, f"write e.g. {example}")
    verb: Literal["create", "delete"] = "create" if verbs[0] == "create" else "delete"
    kind = _kind(body.fields[verb])
    times = integer(body.fields["times"], "fail_next times", minimum=1) if "times" in body.fields else 1
    reason = "InternalError"
    if "reason" in body.fields:
        reason = string(body.fields["reason"], "fail_next reason", "reason: InternalError")
        if reason not in INJECTABLE_REASONS:
            raise fail(f"fail_next reason={reason!r} cannot be injected", body.fields["reason"].pos,
                       f"reasons: {', '.join(INJECTABLE_REASONS)}")
    message = string(body.fields["message"], "fail_next message", "message: \"etcdserver: request timed out\"") \
        if "message" in body.fields else ""
    return FailNextStep(ctx.step_source(node), verb=verb, kind=kind, times=times, reason=reason, message=message)


def _hold(node: Node, body: Node, ctx: ParseContext, held: bool) -> Step:
    keyword = "hold_submitter" if held else "release_submitter"
    if isinstance(body.value, str):
        ctx.check_bindings(body.value, body.pos)
        target = ObjectRef("RayJob", body.value, pos=body.pos)
    else:
        mapping(body, keyword, f"{keyword}: my-job")
        check_keys(body, ("rayjob",), keyword, required=("rayjob",))
        target = object_ref(body, ctx, keyword, need_name=True)
    return HoldSubmitterStep(ctx.step_source(node), target=target, held=held)


def parse_hold_submitter(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _hold(node, body, ctx, True)


def parse_release_submitter(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _hold(node, body, ctx, False)


def _image(node: Node, body: Node, ctx: ParseContext, pullable: bool) -> Step:
    keyword = "pullable_image" if pullable else "unpullable_image"
    example = f"{keyword}: rayproject/ray:2.52.0"
    if isinstance(body.value, str):
        return ImagePullStep(ctx.step_source(node), image=string(body, f"{keyword} image", example),
                             pullable=pullable)
    mapping(body, keyword, example)
    check_keys(body, ("image",) if pullable else ("image", "reason"), keyword, required=("image",))
    image = string(body.fields["image"], f"{keyword} image", example)
    reason = string(body.fields["reason"], f"{keyword} reason", "reason: \"not found\"") \
        if "reason" in body.fields else "not found"
    return ImagePullStep(ctx.step_source(node), image=image, reason=reason, pullable=pullable)


def parse_unpullable_image(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _image(node, body, ctx, False)


def parse_pullable_image(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _image(node, body, ctx, True)


def parse_restart_operator(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "restart_operator: {env: {RAYJOB_STATUS_CHECK_TIMEOUT_SECONDS: \"60\"}}"
    if body.value is None:  # `restart_operator:` alone restarts with the same settings
        return RestartOperatorStep(ctx.step_source(node))
    mapping(body, "restart_operator", example)
    check_keys(body, ("env", "feature_gates"), "restart_operator")
    env: dict[str, str | None] = {}
    gates: dict[str, bool | None] = {}
    positions: dict[str, SourcePos] = {}
    if "env" in body.fields:
        env_node = mapping(body.fields["env"], "restart_operator env", "env: {NAME: value}")
        for name, child in env_node.fields.items():
            env[name] = None if child.value is None else env_value(child, name)
            positions[name] = env_node.pos_of_key(name)
    if "feature_gates" in body.fields:
        gates_node = mapping(body.fields["feature_gates"], "restart_operator feature_gates",
                             "feature_gates: {RayJobDeletionPolicy: true}")
        for name, child in gates_node.fields.items():
            gates[name] = None if child.value is None else boolean(child, f"feature gate {name}")
            positions[name] = gates_node.pos_of_key(name)
    return RestartOperatorStep(ctx.step_source(node), env=env, feature_gates=gates, positions=positions)


def fault_parsers() -> dict[str, StepParser]:
    return {"kill_container": parse_kill_container, "dashboard": parse_dashboard, "fail_next": parse_fail_next,
            "hold_submitter": parse_hold_submitter, "release_submitter": parse_release_submitter,
            "unpullable_image": parse_unpullable_image, "pullable_image": parse_pullable_image,
            "restart_operator": parse_restart_operator}
