"""Run one scenario against a backend: its own namespace, the steps in order, ``finally`` always, a result.

The runner is backend-neutral: it creates the backend through a factory, talks to it only through the Backend
protocol, and turns what happens into a :class:`ScenarioResult` (passed, failed, error or skipped) with step
records, the namespace's journal entries and, on failure, the full diagnostics text. A failing check is
"failed"; a harness or backend error (a manifest the API server rejects, a crashed executor) is "error".

Not here: what each step does (:mod:`.steps`), selecting and reporting many scenarios (the CLI and the pytest
plugin), rendering reports (``harness.report``).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ..backends.base import Backend, ScenarioNotRunnable
from ..backends.registry import BACKENDS
from ..errors import HarnessError
from ..executors import ExecutorChoice, ExecutorName, ray_missing_reason
from ..journal import JournalEntry
from ..scenario.model import Scenario, Step
from .bindings import Bindings
from .context import RunContext, StepFailed
from .diagnostics import render_failure, replay_command
from .steps import run_step

Status = Literal["passed", "failed", "error", "skipped"]


@dataclass(frozen=True)
class RunOptions:
    backend: str = "sim"
    kuberay_version: str | None = None  # None: the backend's default release
    executor: ExecutorChoice = "auto"  # "auto": see harness.executors.choice
    seed: int = 0
    worker: str = ""  # pytest-xdist worker id ("gw3"), part of namespaces on shared clusters
    keep_namespace: bool = False
    journal_path: Callable[[Scenario], Path] | None = None  # stream the journal here while running
    kubeconfig: Path | None = None  # the Kubernetes API server of backend=kube (None: as kubectl would)
    context: str | None = None  # its kubeconfig context (None: the current one)


@dataclass(frozen=True)
class StepResult:
    index: int  # 1-based, counting finally steps after the main steps
    step: Step
    status: Status
    t_start: float
    t_end: float
    message: str | None = None
    in_finally: bool = False


@dataclass(frozen=True)
class StepEvent:
    """Progress for live displays: a step is about to run (``result`` None) or has run."""

    scenario: Scenario
    index: int
    total: int
    step: Step
    t: float
    result: StepResult | None = None


@dataclass(kw_only=True)
class ScenarioResult:
    scenario: Scenario
    status: Status
    backend: str
    executor: ExecutorName
    kuberay_version: str
    namespace: str = ""
    steps: list[StepResult] = field(default_factory=list)
    summary: str | None = None  # one line: why it failed or was skipped
    failure: str | None = None  # the full diagnostics text
    duration_wall: float = 0.0
    duration_virtual: float = 0.0
    journal_entries: tuple[JournalEntry, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")


BackendFactory = Callable[[Scenario, RunOptions], Backend]
StepListener = Callable[[StepEvent], None]


def executor_for(scenario: Scenario, options: RunOptions) -> ExecutorName:
    """The executor the scenario's Ray jobs run on, on the options' backend, as far as it is known before the
    backend is made: a backend whose target decides (a cluster runs its own Ray) says ``cluster`` until then; the
    simulator resolves ``auto`` by the scenario."""
    info = BACKENDS.get(options.backend)
    if info is not None and (info.target_decides or not {"scripted", "ray"} & set(info.executors)):
        return info.executors[0]
    return scenario.resolve_executor(options.executor)


def decided_before_connecting(options: RunOptions) -> bool:
    """Whether the release and executor are known from the options alone (not for a backend whose target
    decides them), so that a scenario can be skipped before a backend is made."""
    info = BACKENDS.get(options.backend)
    return info is None or not info.target_decides


def namespace_for(scenario: Scenario, options: RunOptions, *, shared: bool) -> str:
    """The scenario's namespace: its name on a private simulator; made unique on a shared cluster."""
    slug = re.sub(r"[^a-z0-9-]+", "-", scenario.name.lower()).strip("-") or "scenario"
    if not shared:
        return slug[:63].rstrip("-")
    worker = re.sub(r"[^a-z0-9]+", "", options.worker.lower())
    suffix = f"-{worker}" if worker else ""
    suffix += "-" + secrets.token_hex(3)
    return f"rh-{slug[: 63 - 3 - len(suffix)].rstrip('-')}{suffix}"


def world_is_shared(backend: Backend, options: RunOptions) -> bool:
    """Whether others may see the backend's world (a cluster, a server): then namespaces are made unique. Only the
    in-process simulator's world is private: virtual, and made for this scenario alone."""
    return not (backend.virtual_time and decided_before_connecting(options))


def _failure_headline(scenario: Scenario, result: StepResult, total: int) -> str:
    where = f"{result.step.source.pos}"
    part = "finally step" if result.in_finally else "step"
    return (f"Scenario {scenario.name} {result.status} at {part} {result.index}/{total} ({where}) "
            f"at t={result.t_end:.1f}s")


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, HarnessError):
        return str(exc)
    return "".join(traceback.format_exception(exc)).rstrip()


class _Run:
    """The state of one scenario run (kept out of the public result so that it stays plain data)."""

    def __init__(self, scenario: Scenario, options: RunOptions, backend: Backend, namespace: str,
                 listener: StepListener | None) -> None:
        self.scenario = scenario
        self.options = options
        self.backend = backend
        self.listener = listener
        self.ctx = RunContext(backend, namespace, Bindings({"namespace": namespace, "scenario": scenario.name}),
                              scenario.timeouts)
        self.results: list[StepResult] = []
        self.first_failure: tuple[StepResult, str] | None = None
        self.total = len(scenario.steps) + len(scenario.finally_steps)

    def run_steps(self, steps: tuple[Step, ...], *, in_finally: bool) -> None:
        for step in steps:
            index = len(self.results) + 1
            if self.first_failure is not None and not in_finally:
                self.results.append(StepResult(index, step, "skipped", self.backend.now(), self.backend.now(),
                                               "not run: an earlier step failed"))
                continue
            self._one(step, index, in_finally)

    def _one(self, step: Step, index: int, in_finally: bool) -> None:
        start = self.backend.now()
        if self.listener is not None:
            self.listener(StepEvent(self.scenario, index, self.total, step, start))
        status: Status = "passed"
        message: str | None
        detail: str | None = None
        try:
            message = run_step(step, self.ctx)
        except StepFailed as exc:
            status, message, detail = "failed", exc.summary, exc.describe()
        except HarnessError as exc:
            status, message, detail = "error", exc.message, _error_text(exc)
        except Exception as exc:  # a bug or an unexpected backend failure: report it with its traceback
            status, message, detail = "error", f"{type(exc).__name__}: {exc}", _error_text(exc)
        result = StepResult(index, step, status, start, self.backend.now(), message, in_finally)
        self.results.append(result)
        if detail is not None and self.first_failure is None:
            self.first_failure = (result, detail)
        if self.listener is not None:
            self.listener(StepEvent(self.scenario, index, self.total, step, result.t_end, result))

    def failure_text(self) -> str | None:
        if self.first_failure is None:
            return None
        result, detail = self.first_failure
        replay = replay_command(self.scenario.file, self.scenario.name, backend=self.options.backend,
                                kuberay_version=self.options.kuberay_version, executor=self.options.executor)
        return render_failure(headline=_failure_headline(self.scenario, result, self.total),
                              snippet=result.step.source.snippet, failure=detail, ctx=self.ctx, replay=replay)


def _apply_expected_failure(scenario: Scenario, status: Status, summary: str | None, failure: str | None,
                            detail: str | None) -> tuple[Status, str | None, str | None]:
    """A scenario declaring ``expected_failure`` passes only by failing with a matching message.

    The pattern is searched in what the failed step said (summary and checks), not in the whole diagnostics,
    so that log tails or the timeline cannot satisfy it by accident.
    """
    pattern = scenario.expected_failure
    if pattern is None:
        return status, summary, failure
    if status == "failed" and detail is not None and re.search(pattern, detail):
        return "passed", f"failed as expected (/{pattern}/)", failure
    if status == "passed":
        message = f"expected a failure matching /{pattern}/, but every step passed"
        return "failed", message, message
    if status == "failed":
        message = f"failed, but the failure text does not match /{pattern}/"
        return "failed", message, f"{message}\n\n{failure}"
    return status, summary, failure


def run_scenario(scenario: Scenario, options: RunOptions, factory: BackendFactory,
                 listener: StepListener | None = None) -> ScenarioResult:
    """Run ``scenario`` on a backend made by ``factory``; never raises for scenario or backend problems."""
    wall = time.monotonic()
    version = options.kuberay_version or ""
    if scenario.load_error is not None:
        # A scenario that could not be loaded is bad input, reported as this scenario's error; the file's other
        # scenarios still run.
        return ScenarioResult(scenario=scenario, status="error", backend=options.backend,
                              executor=executor_for(scenario, options), kuberay_version=version,
                              summary=scenario.load_error.message, failure=str(scenario.load_error))
    # Decide skips before building a world (a Ray runtime or a cluster connection may be costly).
    executor = executor_for(scenario, options)
    reason = ray_missing_reason(executor)
    info = BACKENDS.get(options.backend)
    if reason is None and options.kuberay_version is not None and decided_before_connecting(options):
        reason = scenario.skip_reason(backend=options.backend, kuberay_version=options.kuberay_version,
                                      executor=executor, capabilities=info.capabilities if info else None)
    if reason is not None:
        return ScenarioResult(scenario=scenario, status="skipped", backend=options.backend, executor=executor,
                              kuberay_version=version, summary=reason)
    try:
        backend = factory(scenario, options)
    except ScenarioNotRunnable as exc:  # the target cannot do what the scenario needs: a skip, saying why
        why = f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message
        return ScenarioResult(scenario=scenario, status="skipped", backend=options.backend, executor=executor,
                              kuberay_version=version, summary=why, duration_wall=time.monotonic() - wall)
    except HarnessError as exc:
        return ScenarioResult(scenario=scenario, status="error", backend=options.backend, executor=executor,
                              kuberay_version=version, summary=exc.message, failure=str(exc),
                              duration_wall=time.monotonic() - wall)
    except Exception as exc:  # a backend that cannot even start is this scenario's error, not the whole run's
        return ScenarioResult(scenario=scenario, status="error", backend=options.backend, executor=executor,
                              kuberay_version=version,
                              summary=f"the {options.backend} backend could not start: {type(exc).__name__}: {exc}",
                              failure=_error_text(exc), duration_wall=time.monotonic() - wall)
    stream: IO[str] | None = None
    try:
        version = backend.kuberay_version
        reason = scenario.skip_reason(backend=backend.name, kuberay_version=version, executor=backend.executor_name,
                                      capabilities=backend.capabilities.names)
        if reason is not None:
            return ScenarioResult(scenario=scenario, status="skipped", backend=backend.name,
                                  executor=backend.executor_name, kuberay_version=version, summary=reason,
                                  duration_wall=time.monotonic() - wall)
        namespace = namespace_for(scenario, options, shared=world_is_shared(backend, options))
        if options.journal_path is not None:
            path = options.journal_path(scenario)
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = path.open("w", encoding="utf-8")
            backend.journal.attach_stream(stream)
        first_seq = len(backend.journal.entries)
        t0 = backend.now()
        run = _Run(scenario, options, backend, namespace, listener)
        try:
            backend.create_namespace(namespace)
        except HarnessError as exc:
            return ScenarioResult(scenario=scenario, status="error", backend=backend.name,
                                  executor=backend.executor_name, kuberay_version=version, namespace=namespace,
                                  summary=exc.message, failure=str(exc), duration_wall=time.monotonic() - wall)
        run.run_steps(scenario.steps, in_finally=False)
        # Diagnostics describe the world as the failure left it, before `finally` steps clean it up.
        failure_before_finally = run.failure_text()
        run.run_steps(scenario.finally_steps, in_finally=True)
        failure = failure_before_finally or run.failure_text()
        status: Status = run.first_failure[0].status if run.first_failure else "passed"
        summary = run.first_failure[0].message if run.first_failure else None
        detail = run.first_failure[1] if run.first_failure else None
        status, summary, failure = _apply_expected_failure(scenario, status, summary, failure, detail)
        entries = tuple(e for e in backend.journal.entries[first_seq:]
                        if e.namespace == namespace or (e.type == "ACTION" and not e.namespace))
        if not options.keep_namespace:
            # Cleanup trouble must not change the verdict; the namespace name is in the report.
            with contextlib.suppress(HarnessError):
                backend.delete_namespace(namespace)
        return ScenarioResult(scenario=scenario, status=status, backend=backend.name, executor=backend.executor_name,
                              kuberay_version=version, namespace=namespace, steps=run.results, summary=summary,
                              failure=failure, duration_wall=time.monotonic() - wall,
                              duration_virtual=backend.now() - t0, journal_entries=entries)
    finally:
        if stream is not None:
            backend.journal.attach_stream(None)
            stream.close()
        backend.close()
