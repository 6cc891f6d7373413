"""The pytest plugin: scenario files become test items, and ``rayjob_scenario`` writes scenarios in Python.

Registered through the ``pytest11`` entry point. It is thin and lazy: importing it imports pytest and the
standard library only; the harness (and through it the simulator, Ray or a Kubernetes client) is imported when
a scenario is collected or run. Per-run settings live in ``config.stash``; only the public pytest API is used.

Collection: a ``*.yaml``/``*.yml`` file below a folder named ``scenarios`` (or named on the command line) whose
top level has a ``scenario:`` key (or is a list of such mappings) is a scenario file; other YAML (manifests next
to the scenarios) is left alone. Each scenario is an item with the node id ``path/to/file.yaml::scenario-name``.
A file that cannot be read as scenarios is a collection error showing file:line:column and a hint, before
anything runs; a mistake inside one scenario fails that scenario's item with the same message, and the file's
other scenarios run.

Options (group "rayjob-harness"): ``--rayjob-backend``, ``--kuberay-version``, ``--rayjob-executor``,
``--rayjob-report DIR``, and for ``--rayjob-backend kube`` ``--rayjob-kubeconfig FILE`` and
``--rayjob-context NAME`` (checked when pytest starts: a bad kubeconfig is a usage error). Markers: ``rayjob``
(every scenario item), ``ray`` (a scenario item whose Ray jobs run on a local Ray runtime, resolved as ``run``
resolves ``auto``; skipped with a reason where Ray is not installed),
``kuberay(spec)`` and ``rayjob_backends(*names)`` for Python tests. Safe under pytest-xdist: every scenario gets
its own backend and namespace (shared clusters add the worker id and a random suffix), and report folders are
per file.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .executors import ExecutorChoice
    from .runner import RunOptions, ScenarioResult
    from .runner.runner import Status
    from .runner.session import ScenarioSession
    from .scenario import Scenario

_SUFFIXES = (".yaml", ".yml")
# The same test as harness.scenario.loader.looks_like_scenario_file, repeated so that collecting a folder of
# manifests does not import the harness at all.
_PEEK = re.compile(r"^(?:-\s+)?scenario\s*:", re.MULTILINE)


@dataclass(frozen=True)
class _Settings:
    backend: str
    kuberay_version: str | None
    executor: ExecutorChoice
    report_dir: Path | None
    worker: str
    kubeconfig: Path | None = None
    context: str | None = None

    def options(self) -> RunOptions:
        from .report import report_dir
        from .runner import RunOptions
        from .runner.backend_factory import kuberay_version_for

        base = self.report_dir
        return RunOptions(backend=self.backend, executor=self.executor, worker=self.worker,
                          kubeconfig=self.kubeconfig, context=self.context,
                          kuberay_version=kuberay_version_for(self.backend, self.kuberay_version),
                          # The journal is streamed into the report folder as the scenario runs.
                          journal_path=(lambda s: report_dir(s.name, _report_folder(base, s.file)) / "journal.jsonl")
                          if base is not None else None)


_SETTINGS = pytest.StashKey[_Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rayjob-harness", "rayjob-harness scenarios")
    group.addoption("--rayjob-backend", default="sim", metavar="NAME",
                    help="backend scenarios run on (default: sim, the in-process simulator)")
    group.addoption("--kuberay-version", default=None, metavar="V",
                    help="KubeRay release to run scenarios against (default: the newest simulated one)")
    group.addoption("--rayjob-executor", default="auto", choices=("auto", "scripted", "ray"),
                    help="how Ray jobs run on the simulator: auto (default; scripted when a scenario declares "
                         "'executor:' settings, ray when it allows only ray, else local Ray when installed), "
                         "scripted or ray")
    group.addoption("--rayjob-report", default=None, metavar="DIR",
                    help="write a report folder (journal, timeline, HTML) per scenario under DIR")
    group.addoption("--rayjob-kubeconfig", default=None, metavar="FILE",
                    help="with --rayjob-backend kube: the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)")
    group.addoption("--rayjob-context", default=None, metavar="NAME",
                    help="with --rayjob-backend kube: the kubeconfig context (default: its current context)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rayjob: a rayjob-harness scenario (set on every scenario item)")
    config.addinivalue_line("markers", "ray: runs Ray jobs on a local Ray runtime (set on scenario items that do)")
    config.addinivalue_line("markers", "kuberay(spec): holds only for these KubeRay releases, e.g. kuberay('>=1.5')")
    config.addinivalue_line("markers", "rayjob_backends(*names): runs only on these backends, e.g. 'sim'")
    report = config.getoption("--rayjob-report")
    kubeconfig = config.getoption("--rayjob-kubeconfig")
    settings = _Settings(
        backend=config.getoption("--rayjob-backend"), kuberay_version=config.getoption("--kuberay-version"),
        executor=config.getoption("--rayjob-executor"),
        report_dir=Path(report).absolute() if report else None,
        worker=os.environ.get("PYTEST_XDIST_WORKER", ""),
        kubeconfig=Path(kubeconfig).expanduser().absolute() if kubeconfig else None,
        context=config.getoption("--rayjob-context"))
    config.stash[_SETTINGS] = settings
    if settings.backend != "sim" or settings.kubeconfig is not None or settings.context is not None:
        _check_target(settings)


def _check_target(settings: _Settings) -> None:
    """A backend other than the default, or a target, is checked once when pytest starts (not per item)."""
    from .errors import InputError
    from .runner.backend_factory import check_options, check_target

    try:
        options = settings.options()
        check_options(options)
        check_target(options)
    except InputError as exc:
        raise pytest.UsageError(f"rayjob-harness: {exc}") from None


def _is_scenario_file(file_path: Path, parent: pytest.Collector) -> bool:
    if file_path.suffix not in _SUFFIXES:
        return False
    if "scenarios" not in file_path.parts[:-1] and not parent.session.isinitpath(file_path):
        return False
    try:
        return _PEEK.search(file_path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop this process's shared Ray runtime (if a scenario started one) so xdist workers exit promptly."""
    runtime = sys.modules.get("harness.executors.ray_runtime")
    if runtime is not None:
        runtime.stop_shared_runtime()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if _is_scenario_file(file_path, parent):
        result: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return result
    return None


def _display(config: pytest.Config, path: Path) -> str:
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def _registered_markers(config: pytest.Config) -> set[str]:
    names = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    return names | {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}


def _strict_markers(config: pytest.Config) -> bool:
    """Whether unknown markers are errors: ``--strict-markers``, or the ``strict_markers``/``strict`` ini (pytest 9)."""
    if config.getoption("strict_markers", False):
        return True
    for name in ("strict_markers", "strict"):
        try:
            value = config.getini(name)
        except ValueError:  # an ini name this pytest version does not know
            continue
        if value is not None and value != []:
            return bool(value)
    return False


class ScenarioFile(pytest.File):
    """A YAML file holding one or more scenarios."""

    def collect(self) -> Iterator[ScenarioItem]:
        from .errors import InputError
        from .runner.backend_factory import check_scenario
        from .runner.runner import executor_for
        from .scenario import load_file

        try:
            scenarios = load_file(self.path, _display(self.config, self.path), isolate_errors=True)
        except InputError as exc:
            raise self.CollectError(str(exc)) from None
        known = _registered_markers(self.config)
        options = self.config.stash[_SETTINGS].options()
        for scenario in scenarios:
            unknown = [m for m in scenario.markers if m not in known]
            if unknown and _strict_markers(self.config):
                raise self.CollectError(
                    f"{scenario.pos}: marker={unknown[0]!r} is not registered\n"
                    "  Hint: register it under `markers` in the pytest configuration, or remove it")
            problems = check_scenario(scenario, options)
            if problems:
                raise self.CollectError("\n".join(str(problem) for problem in problems))
            item = ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)
            if executor_for(scenario, options) == "ray":
                # Runs its entrypoint on a local Ray runtime: deselect with -m "not ray"; skipped without Ray.
                item.add_marker("ray")
            yield item


class ScenarioFailed(Exception):
    """A scenario item failed; carries the runner's result for :meth:`ScenarioItem.repr_failure`."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.summary or result.status)
        self.result = result


class ScenarioBroken(Exception):
    """A scenario of the file could not be loaded (its error, with file:line and hint); the others still run."""


class ScenarioItem(pytest.Item):
    """One scenario of a file; runs on a fresh backend in its own namespace."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.add_marker("rayjob")
        for marker in scenario.markers:
            self.add_marker(marker)

    def runtest(self) -> None:
        from .runner import create_backend, run_scenario

        if self.scenario.load_error is not None:
            raise ScenarioBroken(str(self.scenario.load_error))
        settings = self.config.stash[_SETTINGS]
        result = run_scenario(self.scenario, settings.options(), create_backend)
        self.user_properties.extend([("backend", result.backend), ("kuberay_version", result.kuberay_version),
                                     ("virtual_seconds", f"{result.duration_virtual:.3f}")])
        if settings.report_dir is not None:
            _write_report(result, settings.report_dir, result.scenario.file)
        if result.status == "skipped":
            pytest.skip(result.summary or "skipped")
        if not result.ok:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        if isinstance(excinfo.value, ScenarioBroken):
            return str(excinfo.value)
        if isinstance(excinfo.value, ScenarioFailed):
            result = excinfo.value.result
            return result.failure or result.summary or result.status
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.scenario.pos.line - 1, 0), f"scenario: {self.scenario.name}"


def _report_folder(base: Path, file: str) -> Path:
    """Reports of one scenario file go to their own folder, so equal names in two files never collide."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(Path(file).with_suffix(""))).strip("-.") or "scenarios"
    return base / stem


def _write_report(result: ScenarioResult, base: Path, file: str) -> None:
    from .cli.run import scenario_report
    from .report import write_scenario_report

    write_scenario_report(scenario_report(result), _report_folder(base, file))


def _test_name(node_name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", node_name).strip("-.")[:100]
    return name or "python-scenario"


@pytest.fixture
def rayjob_scenario(request: pytest.FixtureRequest) -> Iterator[ScenarioSession]:
    """A namespace on a fresh backend where scenario steps run as methods (``apply``, ``wait``, ``expect``...).

    Honours ``--rayjob-backend``, ``--kuberay-version`` and ``--rayjob-executor``, and the markers
    ``kuberay(spec)`` and ``rayjob_backends(*names)``. Call ``configure(...)`` before the first step for
    scenario-level settings (executor scripts, operator env, timeouts).
    """
    from .runner import create_backend
    from .runner.session import ScenarioSession
    from .scenario import VersionSpec

    settings = request.config.stash[_SETTINGS]
    options = settings.options()
    for marker in request.node.iter_markers("kuberay"):
        spec = VersionSpec.parse(list(marker.args))
        if options.kuberay_version and not spec.allows(options.kuberay_version):
            pytest.skip(f"kuberay={options.kuberay_version} does not satisfy kuberay: {spec}")
    for marker in request.node.iter_markers("rayjob_backends"):
        if options.backend not in marker.args:
            pytest.skip(f"backend={options.backend} is not among {', '.join(marker.args)}")
    session = ScenarioSession(_test_name(request.node.name), base_dir=Path(request.node.path).parent,
                              options=options, factory=create_backend)
    started = time.monotonic()
    yield session
    try:
        if settings.report_dir is not None:
            report = request.node.stash.get(_CALL_REPORT, None)
            status: Status = "passed" if report is None or report.passed else \
                "skipped" if report.skipped else "failed"
            failure = str(report.longrepr) if report is not None and report.failed else None
            result = session.result(status, failure, wall=time.monotonic() - started)
            if result is not None:
                _write_report(result, settings.report_dir, request.node.nodeid.split("::")[0])
    finally:
        session.close()


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the call-phase report on the item, so the fixture can put the outcome in its scenario report; a
    Python scenario whose backend cannot run it there (ScenarioNotRunnable) is reported skipped, with the reason."""
    report: pytest.TestReport = yield
    if call.excinfo is not None and call.when in ("setup", "call") and _not_runnable(call.excinfo.value):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"Skipped: {call.excinfo.value}")
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def _not_runnable(exc: BaseException) -> bool:
    runner = sys.modules.get("harness.backends.base")
    return runner is not None and isinstance(exc, runner.ScenarioNotRunnable)
