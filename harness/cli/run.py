"""``rayjob-harness run PATH...``: run scenario files and folders, with live progress and a summary table.

Every file is loaded (and every manifest it names checked) before anything runs; any error is printed as
``file:line:column: message`` with a hint. An error inside one scenario of a file (a bad step, a manifest the
API server would refuse) does not stop the file's other scenarios: they run, the broken one is listed as an
error. Then the selected scenarios run one after the other, each on a fresh backend in its own namespace. Exit
code 0 when every scenario passed (or was skipped), 1 when one failed or errored, 2 for bad input (also when
the other scenarios ran).

Also here: turning runner results into ``harness.report`` records (the pytest plugin uses it too).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..backends.registry import available_backends
from ..errors import InputError
from ..executors import EXECUTOR_CHOICES
from ..report import ScenarioReport, StepRecord, report_dir, summary_table, write_junit_xml, write_scenario_report
from ..runner import RunOptions, ScenarioResult, StepEvent, run_scenario, select
from ..runner.backend_factory import check_options, check_scenario, check_target, create_backend, kuberay_version_for
from ..runner.runner import decided_before_connecting
from ..scenario import Scenario, discover, load_file
from .signals import sigterm_interrupts

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "magenta", "skipped": "yellow"}


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="scenario files, or folders to search for them")
    parser.add_argument("--backend", default="sim", choices=available_backends(),
                        help="where scenarios run (default: sim, the in-process simulator; kube: the Kubernetes API "
                             "server of a kubeconfig, a cluster or rayjob-harness serve)")
    parser.add_argument("--kubeconfig", type=Path, default=None, metavar="FILE",
                        help="with --backend kube: the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)")
    parser.add_argument("--context", default=None, metavar="NAME",
                        help="with --backend kube: the kubeconfig context (default: its current context)")
    parser.add_argument("--kuberay-version", default=None, metavar="V",
                        help="KubeRay release to run against (default: the newest simulated one; with --backend "
                             "kube the release the target runs, which this then must match)")
    parser.add_argument("--executor", default="auto", choices=EXECUTOR_CHOICES,
                        help="how Ray jobs run on the simulator: auto (default: scripted when the scenario "
                             "declares 'executor:' settings, ray when it allows only ray, else a local Ray runtime "
                             "if Ray is installed), scripted, or ray")
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only scenarios whose name, file or markers match, e.g. -k 'ttl and not slow'")
    parser.add_argument("--fail-fast", "-x", action="store_true", help="stop after the first failed scenario")
    parser.add_argument("--junit-xml", type=Path, default=None, metavar="FILE", help="write JUnit XML here")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="write a report folder per scenario (journal, timeline, HTML) under DIR")
    parser.add_argument("--seed", type=int, default=0, help="seed of generated names in the simulator")
    parser.add_argument("--list", action="store_true", dest="list_only",
                        help="load and check the scenarios, print them, run nothing")


def scenario_report(result: ScenarioResult) -> ScenarioReport:
    """The report record of one scenario run."""
    steps = tuple(StepRecord(index=step.index, text=step.step.source.text, t_start=step.t_start, t_end=step.t_end,
                             status=step.status, message=step.message) for step in result.steps)
    return ScenarioReport(name=result.scenario.name, file=result.scenario.file, status=result.status,
                          backend=result.backend, executor=result.executor, kuberay_version=result.kuberay_version,
                          duration_wall=result.duration_wall, duration_virtual=result.duration_virtual,
                          failure=result.failure or result.summary, steps=steps,
                          journal_entries=result.journal_entries, namespace=result.namespace)


def load_all(paths: Sequence[str | Path]) -> tuple[list[Scenario], list[InputError]]:
    """Every scenario under ``paths`` and every error that stops a whole file (all files are tried, so all
    errors are shown). A scenario that could not be loaded is among the scenarios, with its ``load_error``."""
    scenarios: list[Scenario] = []
    errors: list[InputError] = []
    try:
        files = discover(paths)
    except InputError as exc:
        return [], [exc]
    for file in files:
        try:
            loaded = load_file(file, isolate_errors=True)
        except InputError as exc:
            errors.append(exc)
            continue
        scenarios.extend(loaded)
    seen: dict[str, Scenario] = {}
    for scenario in scenarios:
        first = seen.setdefault(scenario.name, scenario)
        if first is not scenario:
            errors.append(InputError(f"scenario name={scenario.name!r} is used twice (also at {first.pos})",
                                     pos=scenario.pos, hint="names identify scenarios in -k, reports and JUnit; "
                                                            "rename one of them"))
    return scenarios, errors


def _print_errors(errors: Sequence[InputError]) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def _listener(progress: Progress, task: TaskID) -> Callable[[StepEvent], None]:
    def update(event: StepEvent) -> None:
        text = event.step.source.text
        text = escape(text if len(text) <= 60 else text[:57] + "...")
        progress.update(task, description=f"{escape(event.scenario.name)} [dim]step {event.index}/{event.total}[/] "
                                          f"{text} [dim]t={event.t:.1f}s[/]")

    return update


def _result_line(result: ScenarioResult) -> str:
    style = STATUS_STYLE.get(result.status, "")
    timing = f"{result.duration_virtual:.1f}s virtual, {result.duration_wall:.2f}s wall"
    line = (f"[{style}]{result.status.upper():<7}[/] {escape(result.scenario.name)} "
            f"[dim]({escape(result.scenario.file)}; {timing})[/]")
    if result.status == "skipped" and result.summary:
        line += f" [yellow]{escape(result.summary)}[/]"
    return line


def run_command(args: argparse.Namespace) -> int:
    console = Console()
    options = RunOptions(backend=args.backend, executor=args.executor, seed=args.seed,
                         kuberay_version=kuberay_version_for(args.backend, args.kuberay_version),
                         kubeconfig=args.kubeconfig, context=args.context,
                         journal_path=(lambda s: report_dir(s.name, args.report) / "journal.jsonl")
                         if args.report else None)
    check_options(options)
    scenarios, errors = load_all(args.paths)
    if errors:
        _print_errors(errors)
        return 2
    chosen = select(scenarios, args.keyword)
    broken = [scenario.load_error for scenario in chosen if scenario.load_error is not None]
    if not chosen:
        what = f"-k {args.keyword!r} selects none of the {len(scenarios)} scenario(s)" if args.keyword else \
            "no scenario files found"
        _print_errors([InputError(what, hint="check the paths and the -k expression (see --list)")])
        return 2
    unfit = [error for scenario in chosen for error in check_scenario(scenario, options)]
    if unfit:
        _print_errors(unfit)
        return 2
    _print_errors(broken)
    if args.list_only:
        for scenario in chosen:
            if scenario.load_error is None:
                console.print(f"{escape(scenario.name)} [dim]{escape(str(scenario.pos))}[/] "
                              f"{escape(scenario.description)}", highlight=False)
        return 2 if broken else 0
    check_target(options)
    # On a cluster or a server, a killed run cleans up (its namespaces) like an interrupted one; the in-process
    # simulator's local Ray runtime has handlers of its own.
    external = not decided_before_connecting(options)
    with sigterm_interrupts() if external else contextlib.nullcontext():
        results = _run_all(chosen, options, console, fail_fast=args.fail_fast, report=args.report)
    reports = [scenario_report(result) for result in results]
    table = summary_table(reports)
    if console.is_terminal:
        console.print(table)
    else:  # piped: as wide as the table needs, never wrapped into the 80 columns rich assumes without a terminal
        width = console.width
        console.width = max(width, console.measure(table, options=console.options.update_width(1_000)).maximum)
        console.print(table)
        console.width = width
    if len(results) < len(chosen):
        console.print(f"[red]stopped after the first failure (--fail-fast): {len(chosen) - len(results)} "
                      "scenario(s) not run[/]")
    if args.junit_xml is not None:
        args.junit_xml.parent.mkdir(parents=True, exist_ok=True)
        write_junit_xml(reports, args.junit_xml)
    if broken:
        return 2
    return 0 if all(result.ok for result in results) else 1


def _run_all(scenarios: list[Scenario], options: RunOptions, console: Console, *, fail_fast: bool,
             report: Path | None) -> list[ScenarioResult]:
    results: list[ScenarioResult] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("starting", total=len(scenarios))
        listener = _listener(progress, task)
        for scenario in scenarios:
            progress.update(task, description=escape(scenario.name))
            result = run_scenario(scenario, options, create_backend, listener)
            results.append(result)
            progress.advance(task)
            progress.console.print(_result_line(result), highlight=False, soft_wrap=True)
            if result.status in ("failed", "error") and result.failure and scenario.load_error is None:
                progress.console.rule(f"[{STATUS_STYLE[result.status]}]{escape(scenario.name)}[/]")
                progress.console.print(result.failure, markup=False, highlight=False, soft_wrap=True)
                progress.console.rule()
            if report is not None:
                write_scenario_report(scenario_report(result), report)
            if fail_fast and not result.ok:
                break
    return results
