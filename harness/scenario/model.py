"""The typed model of a scenario: settings, steps and expectations, each remembering where it was written.

A scenario file is parsed once (:mod:`.loader`) into these frozen dataclasses; the runner never sees YAML.
Values that may hold bindings (``${cluster}``) are kept as written and resolved by the runner when the step
runs, because a binding is only known once an earlier step has saved it.

Not here: parsing (:mod:`.loader`, :mod:`.steps`, :mod:`.expectations`), running (``harness.runner``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

from ..errors import InputError, SourcePos
from ..executors.choice import resolve_executor
from ..executors.settings import EXECUTOR_NAMES, ExecutorChoice, ExecutorName, JobScripts, SimExecutorName
from ..manifests.positions import PositionTree
from .matchers import MapMatch
from .versions import VersionSpec

# Shortcut keys a scenario uses to name an object, and the Kubernetes kind each stands for.
KIND_KEYS: Final[Mapping[str, str]] = {
    "rayjob": "RayJob", "raycluster": "RayCluster", "job": "Job", "pod": "Pod", "service": "Service",
    "configmap": "ConfigMap", "event": "Event", "networkpolicy": "NetworkPolicy", "secret": "Secret",
    "raycronjob": "RayCronJob",
}
KINDS: Final = tuple(KIND_KEYS.values())
# The field a transition or stays-for assertion follows when the scenario does not name one.
DEFAULT_STATE_FIELD: Final[Mapping[str, str]] = {
    "RayJob": "status.jobDeploymentStatus", "RayCluster": "status.state", "Pod": "status.phase",
}
LOG_SOURCES: Final = ("head", "driver", "submitter", "worker", "operator")
BACKENDS: Final = ("sim", "kube")
EXECUTORS: Final = EXECUTOR_NAMES
BUILTIN_BINDINGS: Final = ("namespace", "scenario")

LogSourceName = Literal["head", "driver", "submitter", "worker", "operator", "pod"]


@dataclass(frozen=True)
class ObjectRef:
    """One object by name, or every object of a kind matching a label selector (in the scenario namespace)."""

    kind: str
    name: str | None = None
    selector: str | None = None
    pos: SourcePos = field(default=SourcePos(""), compare=False)

    def describe(self) -> str:
        if self.name is not None:
            return f"{self.kind}/{self.name}"
        if self.selector:
            return f"{self.kind}s with labels {self.selector}"
        return f"every {self.kind}"


@dataclass(frozen=True)
class StepSource:
    """Where a step is written: its position, last line, the numbered source lines, and a one-line summary."""

    pos: SourcePos
    end_line: int
    snippet: str
    text: str


@dataclass(frozen=True)
class ManifestObject:
    """One Kubernetes object a step applies: from a manifest file (plain YAML) or written inline.

    An inline object, or a file's object with a ``patch:``, is written (at least partly) in the scenario file:
    ``positions`` says where each of its fields is there. It is validated as the API server would when the
    file is loaded, unless it holds ``${bindings}`` (``checked_at_run``): then when the step runs.
    """

    obj: Mapping[str, Any]
    origin: str  # "manifests/ttl.yaml:3" or "inline"
    pos: SourcePos
    inline: bool = False  # inline objects may hold ${bindings}; file manifests are applied as written
    positions: PositionTree | None = field(default=None, compare=False, repr=False)
    checked_at_run: bool = False

    def describe(self) -> str:
        meta = self.obj.get("metadata") or {}
        return f"{self.obj.get('kind', '?')}/{meta.get('name', '?')}"


@dataclass(frozen=True)
class CountRange:
    equals: int | None = None
    at_least: int | None = None
    at_most: int | None = None

    def holds(self, count: int) -> bool:
        return ((self.equals is None or count == self.equals)
                and (self.at_least is None or count >= self.at_least)
                and (self.at_most is None or count <= self.at_most))

    def describe(self) -> str:
        parts = []
        if self.equals is not None:
            parts.append(f"exactly {self.equals}")
        if self.at_least is not None:
            parts.append(f"at least {self.at_least}")
        if self.at_most is not None:
            parts.append(f"at most {self.at_most}")
        return " and ".join(parts) or "any number"


@dataclass(frozen=True)
class ExpectedRefusal:
    """The API server must refuse the step's request: with this Status reason and code, and a message in which
    the regular expression ``message`` is found (each only when given; ``message`` may hold bindings)."""

    reason: str | None = None
    code: int | None = None
    message: str | None = None
    pos: SourcePos = field(default=SourcePos(""), compare=False)

    def describe(self) -> str:
        parts = [f"reason={self.reason}" if self.reason else "", f"code={self.code}" if self.code else "",
                 f"message matching /{self.message}/" if self.message else ""]
        return " ".join(part for part in parts if part) or "any refusal"


# -- steps ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    source: StepSource
    keyword: str = field(default="", init=False)
    # The backend capability the step needs (``harness.backends``' names); a backend without it skips the scenario.
    capability: ClassVar[str | None] = None


@dataclass(frozen=True)
class ApplyStep(Step):
    objects: tuple[ManifestObject, ...] = ()
    refusal: ExpectedRefusal | None = None  # the one object must be refused (it is not checked at load time)
    keyword: str = field(default="apply", init=False)


@dataclass(frozen=True)
class PatchStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))
    patch: Mapping[str, Any] = field(default_factory=dict)
    shortcut: str | None = None  # "suspend" or "resume" when written as such
    subresource: Literal["status"] | None = None  # "status": the status subresource (kubectl --subresource)
    refusal: ExpectedRefusal | None = None
    keyword: str = field(default="patch", init=False)


@dataclass(frozen=True)
class DeleteStep(Step):
    targets: tuple[ObjectRef, ...] = ()
    wait: bool = True
    timeout: float | None = None
    refusal: ExpectedRefusal | None = None  # with one named target
    keyword: str = field(default="delete", init=False)


@dataclass(frozen=True)
class RerunStep(Step):
    """Delete the objects of the manifests, wait until they are gone, apply them again (``kubectl`` rerun)."""

    objects: tuple[ManifestObject, ...] = ()
    timeout: float | None = None
    keyword: str = field(default="rerun", init=False)


WaitKind = Literal["fields", "exists", "gone"]


@dataclass(frozen=True)
class WaitStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))
    until: WaitKind = "fields"
    fields: MapMatch | None = None
    timeout: float | None = None
    fail_fast: bool = True
    match_all: bool = True  # with a selector: every matching object (and at least one) must satisfy
    keyword: str = field(default="wait", init=False)


@dataclass(frozen=True)
class Transitions:
    """Assertions over the journal's successive values of one field (``New`` stands for absent or empty)."""

    path: str  # the dotted field path followed
    exact: tuple[str, ...] | None = None
    subsequence: tuple[str, ...] | None = None
    never: tuple[str, ...] = ()
    within: float | None = None  # the listed sequence completes within this many seconds
    pos: SourcePos = field(default=SourcePos(""), compare=False)


@dataclass(frozen=True)
class Stays:
    """The field keeps its value for ``seconds`` from now (time passes; the first change fails at once)."""

    path: str
    seconds: float
    value: Any = None  # when given, the value it must have (and keep)
    pos: SourcePos = field(default=SourcePos(""), compare=False)


@dataclass(frozen=True)
class CountSpec:
    target: ObjectRef
    count: CountRange


@dataclass(frozen=True)
class EventSpec:
    """An expected (or, with ``present=False``, forbidden) Event, on the step's object or anywhere."""

    reason: str | None = None
    type: str | None = None
    message: str | None = None  # a regular expression searched in the event message
    present: bool = True
    count: CountRange | None = None
    pos: SourcePos = field(default=SourcePos(""), compare=False)

    def describe(self) -> str:
        parts = [f"{key}={value!r}" for key, value in
                 (("reason", self.reason), ("type", self.type), ("message", self.message)) if value is not None]
        return "Event " + (" ".join(parts) or "(any)")


@dataclass(frozen=True)
class ExpectStep(Step):
    target: ObjectRef | None = None
    fields: MapMatch | None = None
    transitions: Transitions | None = None
    stays: Stays | None = None
    present: tuple[ObjectRef, ...] = ()
    absent: tuple[ObjectRef, ...] = ()
    counts: tuple[CountSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    grace: float | None = None
    consistently: float | None = None  # every check keeps holding for this long (time passes)
    keyword: str = field(default="expect", init=False)


@dataclass(frozen=True)
class ExpectLogsStep(Step):
    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))
    source_name: LogSourceName = "driver"
    container: str | None = None
    contains: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    lines: CountRange | None = None
    grace: float | None = None
    keyword: str = field(default="expect_logs", init=False)


@dataclass(frozen=True)
class RayJobSubmitStep(Step):
    """A user's ``ray job submit --submission-id ID`` to a RayJob's cluster (InteractiveMode); may hold bindings."""

    target: ObjectRef = field(default_factory=lambda: ObjectRef("RayJob"))
    submission_id: str = ""
    entrypoint: str | None = None  # None: the RayJob's spec.entrypoint
    keyword: str = field(default="ray_job_submit", init=False)
    capability: ClassVar[str | None] = "ray_job_submit"


@dataclass(frozen=True)
class AdvanceStep(Step):
    seconds: float = 0.0
    keyword: str = field(default="advance", init=False)


@dataclass(frozen=True)
class SleepStep(Step):
    seconds: float = 0.0
    keyword: str = field(default="sleep", init=False)


@dataclass(frozen=True)
class SaveEntry:
    name: str
    target: ObjectRef
    path: str
    pos: SourcePos = field(default=SourcePos(""), compare=False)


@dataclass(frozen=True)
class SaveStep(Step):
    entries: tuple[SaveEntry, ...] = ()
    keyword: str = field(default="save", init=False)


# -- scenario-level settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorSettings:
    """The KubeRay operator's environment variables and feature gates for this scenario."""

    env: Mapping[str, str] = field(default_factory=dict)
    feature_gates: Mapping[str, bool] = field(default_factory=dict)
    pos: SourcePos = field(default=SourcePos(""), compare=False)
    positions: Mapping[str, SourcePos] = field(default_factory=dict, compare=False)  # env var or gate -> its line

    @property
    def is_empty(self) -> bool:
        return not self.env and not self.feature_gates

    def pos_of(self, name: str) -> SourcePos:
        """Where the env var or gate ``name`` is written (the ``operator:`` block when not known)."""
        return self.positions.get(name, self.pos)


TIMEOUT_NAMES: Final = ("short", "medium", "long")


@dataclass(frozen=True)
class Timeouts:
    """Defaults for steps that do not say (wait timeout, deletion wait, expectation grace), and the named
    durations a ``timeout:`` or ``grace:`` may use instead of a number (``timeout: long``); seconds."""

    wait: float = 300.0
    delete: float = 300.0
    grace: float = 0.0
    short: float = 30.0
    medium: float = 300.0
    long: float = 1800.0

    def named(self) -> dict[str, float]:
        """``short``, ``medium`` and ``long`` in seconds."""
        return {"short": self.short, "medium": self.medium, "long": self.long}


@dataclass(frozen=True)
class Scenario:
    name: str
    file: str  # as shown to the user (relative when possible)
    path: Path
    pos: SourcePos
    steps: tuple[Step, ...]
    finally_steps: tuple[Step, ...] = ()
    description: str = ""
    kuberay: VersionSpec | None = None
    backends: tuple[str, ...] | None = None
    executors: tuple[ExecutorName, ...] | None = None
    executor: JobScripts = field(default_factory=JobScripts)  # the scripted executor's behaviour
    operator: OperatorSettings = field(default_factory=OperatorSettings)
    paths: Mapping[str, str] = field(default_factory=dict)  # container path -> local path (ray executor)
    timeouts: Timeouts = field(default_factory=Timeouts)
    markers: tuple[str, ...] = ()
    expected_failure: str | None = None  # a regular expression the failure text must match
    load_error: InputError | None = field(default=None, compare=False)  # why it could not be loaded (no steps)

    def resolve_executor(self, requested: ExecutorChoice, *, ray_present: bool | None = None) -> SimExecutorName:
        """The executor this scenario runs on when ``requested`` (``auto``: see :mod:`harness.executors.choice`)."""
        return resolve_executor(requested, scripted=not self.executor.is_empty, allowed=self.executors,
                                paths=bool(self.paths), ray_present=ray_present)

    def skip_reason(self, *, backend: str, kuberay_version: str, executor: str,
                    capabilities: Collection[str] | None = None) -> str | None:
        """Why this scenario does not apply to the run, or None when it does; ``capabilities`` are the backend's
        (None: not known yet)."""
        if self.backends is not None and backend not in self.backends:
            return f"backend={backend} is not among the scenario's backends ({', '.join(self.backends)})"
        if capabilities is not None:
            for step in self.all_steps:
                if step.capability is not None and step.capability not in capabilities:
                    return (f"backend={backend} cannot run the {step.keyword} step at {step.source.pos} (it lacks "
                            f"the {step.capability} capability)")
        if self.executors is not None and executor not in self.executors:
            return f"executor={executor} is not among the scenario's executors ({', '.join(self.executors)})"
        if self.kuberay is not None and not self.kuberay.allows(kuberay_version):
            return f"kuberay={kuberay_version} does not satisfy the scenario's kuberay: {self.kuberay}"
        return None

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + self.finally_steps

    @property
    def capabilities_needed(self) -> frozenset[str]:
        """The backend capabilities the scenario's steps need."""
        return frozenset(step.capability for step in self.all_steps if step.capability is not None)
