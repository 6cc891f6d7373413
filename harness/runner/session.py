"""Scenarios written in Python: the same steps as the YAML language, as methods that run at once.

>>> session.apply("manifests/rayjob.yaml")                                            # doctest: +SKIP
>>> session.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Complete"}, timeout="5m")  # doctest: +SKIP
>>> cluster = session.save(cluster="rayjob-ttl.status.rayClusterName")                 # doctest: +SKIP

Each method turns its arguments into the YAML step they stand for and goes through the same parser (errors
point at the calling line) and the same step code as a scenario file. A failing check raises
:class:`ScenarioFailure`, an AssertionError whose text is the same diagnostics a failing scenario file prints.
The backend is created on the first step, so :meth:`ScenarioSession.configure` must come before it.

Not here: the pytest fixture that creates sessions (``harness.pytest_plugin``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from ..backends.base import Backend
from ..errors import HarnessError, SourcePos
from ..executors import ray_missing_reason
from ..scenario.loader import SCENARIO_KEYS, display_path, parse_scenario, parse_step
from ..scenario.model import BUILTIN_BINDINGS, Scenario, Step
from ..scenario.parsing import ParseContext
from ..scenario.source import SourceFile, node_from_value
from .bindings import Bindings
from .context import RunContext, StepFailed
from .diagnostics import render_failure
from .runner import (
    RunOptions,
    ScenarioResult,
    Status,
    StepResult,
    decided_before_connecting,
    executor_for,
    namespace_for,
    world_is_shared,
)
from .steps import run_step

SETTINGS_KEYS = tuple(key for key in SCENARIO_KEYS if key not in ("scenario", "apply", "steps", "finally",
                                                                   "description"))


class ScenarioFailure(AssertionError):
    """A step of a Python-written scenario failed; the message is the full diagnostics text."""


def _caller() -> SourcePos:
    """The first frame outside this package: the test line that called the step method."""
    here = str(Path(__file__).resolve().parent)
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        if not str(Path(filename).resolve()).startswith(here):
            return SourcePos(display_path(Path(filename)), frame.f_lineno)
        frame = frame.f_back
    return SourcePos("<python>")


def _source_line(pos: SourcePos) -> str:
    try:
        lines = Path(pos.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    if 0 < pos.line <= len(lines):
        return f"{pos.line} | {lines[pos.line - 1]}"
    return ""


class ScenarioSession:
    """A namespace on a backend where steps run one at a time, as the test calls them."""

    def __init__(self, name: str, *, base_dir: Path, options: RunOptions,
                 factory: Callable[[Scenario, RunOptions], Backend]) -> None:
        self.name = name
        self.base_dir = base_dir
        self.options = options
        self._factory = factory
        self._settings: dict[str, Any] = {}
        self._scenario: Scenario | None = None
        self._ctx: RunContext | None = None
        self.results: list[StepResult] = []  # every step run so far, for reports
        self._t0 = 0.0

    # -- settings and lifecycle ------------------------------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Scenario-level settings (``executor``, ``operator``, ``timeouts``, ``kuberay``, ``backends``...),
        written as in a scenario file; only before the first step."""
        if self._ctx is not None:
            raise HarnessError("configure() after the first step has no effect",
                               hint="call configure() before any step")
        for key in settings:
            if key not in SETTINGS_KEYS:
                raise HarnessError(f"setting={key!r} is unknown", hint=f"settings: {', '.join(SETTINGS_KEYS)}")
        self._settings.update(settings)
        self._scenario = self._build_scenario(_caller())

    def _build_scenario(self, pos: SourcePos) -> Scenario:
        document = {"scenario": self.name, "steps": [{"advance": 0}], **self._settings}
        source = SourceFile(path=Path(pos.path), display=pos.path, lines=(), documents=())
        return parse_scenario(node_from_value(document, pos), source, self.base_dir)

    @property
    def scenario(self) -> Scenario:
        if self._scenario is None:
            self._scenario = self._build_scenario(_caller())
        return self._scenario

    def skip_reason(self) -> str | None:
        """Why this session's scenario does not run here (backend, executor, release, Ray missing), or None."""
        executor = executor_for(self.scenario, self.options)
        reason = ray_missing_reason(executor)
        if reason is None and self.options.kuberay_version and decided_before_connecting(self.options):
            reason = self.scenario.skip_reason(backend=self.options.backend,
                                               kuberay_version=self.options.kuberay_version, executor=executor)
        return reason

    @property
    def context(self) -> RunContext:
        if self._ctx is None:
            backend = self._factory(self.scenario, self.options)
            namespace = namespace_for(self.scenario, self.options, shared=world_is_shared(backend, self.options))
            backend.create_namespace(namespace)
            self._t0 = backend.now()
            self._ctx = RunContext(backend, namespace,
                                   Bindings({"namespace": namespace, "scenario": self.name}),
                                   self.scenario.timeouts)
        return self._ctx

    @property
    def backend(self) -> Backend:
        return self.context.backend

    @property
    def namespace(self) -> str:
        return self.context.namespace

    def binding(self, name: str) -> Any:
        return self.context.bindings.lookup(name)

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.backend.close()

    # -- running steps ---------------------------------------------------------------------------------------------

    def _run(self, keyword: str, body: Any, **modifiers: Any) -> str:
        __tracebackhide__ = True  # pytest shows the test line, not this frame
        pos = _caller()
        ctx = self.context
        source = SourceFile(path=Path(pos.path), display=pos.path, lines=(), documents=())
        parse_ctx = ParseContext(source, self.base_dir,
                                 defined=set(BUILTIN_BINDINGS) | set(ctx.bindings.snapshot()),
                                 timeouts=self.scenario.timeouts)
        written = {key: value for key, value in modifiers.items() if value is not None}
        step = parse_step(node_from_value({keyword: body, **written}, pos), parse_ctx)
        start = ctx.now()
        try:
            note = run_step(step, ctx)
        except StepFailed as exc:
            self._record(step, "failed", start, exc.summary)
            raise ScenarioFailure(self._failure(step, pos, exc.describe())) from None
        except HarnessError as exc:
            self._record(step, "error", start, exc.message)
            raise
        self._record(step, "passed", start, note)
        return note

    def _record(self, step: Step, status: Literal["passed", "failed", "error"], start: float, message: str) -> None:
        assert self._ctx is not None
        self.results.append(StepResult(len(self.results) + 1, step, status, start, self._ctx.now(), message))

    @property
    def virtual_seconds(self) -> float:
        return self._ctx.now() - self._t0 if self._ctx is not None else 0.0

    def result(self, status: Status, failure: str | None = None, *, wall: float = 0.0) -> ScenarioResult | None:
        """What the session did, as a runner result for reports; None when no step ran (nothing to report)."""
        if self._ctx is None:
            return None
        backend, namespace = self._ctx.backend, self._ctx.namespace
        entries = tuple(e for e in backend.journal.entries
                        if e.namespace == namespace or (e.type == "ACTION" and not e.namespace))
        summary = failure.splitlines()[0] if failure else None
        return ScenarioResult(scenario=self.scenario, status=status, backend=backend.name,
                              executor=backend.executor_name, kuberay_version=backend.kuberay_version,
                              namespace=namespace, steps=list(self.results), summary=summary, failure=failure,
                              duration_wall=wall, duration_virtual=self.virtual_seconds, journal_entries=entries)

    def _failure(self, step: Step, pos: SourcePos, detail: str) -> str:
        headline = f"Step {step.keyword} failed at {pos} at t={self.context.now():.1f}s"
        return render_failure(headline=headline, snippet=_source_line(pos), failure=detail, ctx=self.context)

    def apply(self, *manifests: str | Mapping[str, Any], expect_refusal: Any = None) -> str:
        """Apply manifests; with ``expect_refusal`` (``True`` or ``{"reason": ..., "message": ...}``) the one
        manifest must be refused by the API server."""
        return self._run("apply", list(manifests), expect_refusal=expect_refusal)

    def patch(self, expect_refusal: Any = None, **body: Any) -> str:
        """A merge patch (``subresource="status"`` for the status subresource); ``expect_refusal`` as for apply."""
        return self._run("patch", body, expect_refusal=expect_refusal)

    def suspend(self, rayjob: str) -> str:
        return self._run("suspend", rayjob)

    def resume(self, rayjob: str) -> str:
        return self._run("resume", rayjob)

    def delete(self, file: str | None = None, expect_refusal: Any = None, **body: Any) -> str:
        return self._run("delete", file if file is not None else body, expect_refusal=expect_refusal)

    def rerun(self, *manifests: str) -> str:
        return self._run("rerun", list(manifests))

    def wait(self, **body: Any) -> str:
        return self._run("wait", body)

    def expect(self, **body: Any) -> str:
        return self._run("expect", body)

    def expect_logs(self, **body: Any) -> str:
        return self._run("expect_logs", body)

    def ray_job_submit(self, **body: Any) -> str:
        """A user's ``ray job submit``: ``rayjob=``, ``submission_id=`` and optionally ``entrypoint=``."""
        return self._run("ray_job_submit", body)

    # -- faults (each needs its backend capability) ------------------------------------------------------------------

    def kill_container(self, **body: Any) -> str:
        """``pod=`` (a name or ``{"selector": ...}``); optionally ``container=``, ``signal=``, ``exit=``,
        ``reason=``."""
        return self._run("kill_container", body)

    def dashboard(self, **body: Any) -> str:
        """``rayjob=`` or ``raycluster=``, and ``answers=``: error, not_found, normally or ``{"jobStatus": ...}``."""
        return self._run("dashboard", body)

    def fail_next(self, **body: Any) -> str:
        """``create=`` or ``delete=`` a kind, optionally ``times=``, ``reason=``, ``message=``."""
        return self._run("fail_next", body)

    def hold_submitter(self, rayjob: str) -> str:
        return self._run("hold_submitter", rayjob)

    def release_submitter(self, rayjob: str) -> str:
        return self._run("release_submitter", rayjob)

    def unpullable_image(self, image: str, reason: str | None = None) -> str:
        return self._run("unpullable_image", image if reason is None else {"image": image, "reason": reason})

    def pullable_image(self, image: str) -> str:
        return self._run("pullable_image", image)

    def restart_operator(self, env: Mapping[str, Any] | None = None,
                         feature_gates: Mapping[str, Any] | None = None) -> str:
        """Restart the operator with these changes (None values remove a variable or reset a gate)."""
        body = {key: dict(value) for key, value in (("env", env), ("feature_gates", feature_gates))
                if value is not None}
        return self._run("restart_operator", body or None)

    def advance(self, duration: str | float) -> str:
        return self._run("advance", duration)

    def sleep(self, duration: str | float) -> str:
        return self._run("sleep", duration)

    def save(self, **entries: Any) -> Any:
        """Save bindings; returns the value when one is saved, else a dict of the saved values."""
        self._run("save", entries)
        values = {name: self.context.bindings.lookup(name) for name in entries}
        return next(iter(values.values())) if len(values) == 1 else values
