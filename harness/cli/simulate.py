"""``rayjob-harness simulate MANIFEST...``: apply manifests to the simulator, print the journal, and gate on it.

The Ray jobs run as ``run`` and the pytest plugin run them (``--executor auto``): on the scripted executor when
``--job-*`` flags declare their outcome, else for real on a local Ray runtime when Ray is installed. The run ends
when every RayJob is settled (terminal with its cleanup done, ValidationFailed, or Suspended) or when ``--for``
has elapsed in virtual time. The exit code says whether every RayJob ended as asked (``--expect``, Complete by
default), and the summary says why one did not (:mod:`.gate`). Everything goes through the backend registry and
the Backend protocol; logs come from the backend's one log resolver. The journal is printed entry by entry as the
run goes (flushed), so a run stopped by a timeout still leaves what it saw.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

from .._util.durations import parse_duration
from ..backends.base import LOG_SOURCES, Backend, BackendSettings
from ..backends.registry import backend_info
from ..errors import InputError
from ..executors import EXECUTOR_CHOICES, ExecutorSettings, JobScript, JobScripts, resolve_executor
from ..executors.choice import ray_missing_reason
from ..journal import JournalEntry
from ..manifests import load_manifests
from ..model.featuregates import parse_feature_gates
from ..runner.outcomes import SYNTAX, Expectation, expectations_for
from . import gate

BACKEND = "sim"


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    info = backend_info(BACKEND)
    parser.add_argument("manifests", nargs="+", metavar="MANIFEST", help="YAML files or folders to apply")
    parser.add_argument("--kuberay-version", default=info.default_kuberay_version,
                        help=f"KubeRay release ({', '.join(info.kuberay_versions)}; default "
                             f"{info.default_kuberay_version})")
    parser.add_argument("--executor", choices=EXECUTOR_CHOICES, default="auto",
                        help="how Ray jobs run: auto (default: scripted when --job-* flags declare the outcome, "
                             "else for real on local Ray when it is installed), scripted, or ray")
    parser.add_argument("--job-runtime", type=_duration, default=None, metavar="DURATION",
                        help="scripted executor: how long each Ray job runs (default 5s)")
    parser.add_argument("--job-exit", type=int, default=None, metavar="CODE",
                        help="scripted executor: the entrypoint's exit code (0 → SUCCEEDED, else FAILED)")
    parser.add_argument("--job-stopped", action="store_true", help="scripted executor: the job ends STOPPED")
    parser.add_argument("--job-output", action="append", default=[], metavar="TEXT",
                        help="scripted executor: a line the driver prints (repeatable)")
    parser.add_argument("--operator-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the operator, e.g. DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true "
                             "(one the simulator does not model is refused)")
    parser.add_argument("--feature-gates", default="", metavar="G=true,...",
                        help="operator feature gates, e.g. RayClusterNetworkPolicy=true (one the simulator does "
                             "not model is refused)")
    parser.add_argument("--for", dest="duration", type=_duration, default=24 * 3600.0, metavar="DURATION",
                        help="stop after this much virtual time even if RayJobs are not settled (default 24h)")
    parser.add_argument("--expect", action="append", default=[], metavar=SYNTAX,
                        help="the outcome each RayJob must reach for exit code 0 (default Complete): a deployment "
                             "status, maybe with its reason (Failed:DeadlineExceeded), for every RayJob or for one "
                             "(my-job=Suspended); repeatable")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="journal format; with json the summary and logs go to stderr")
    parser.add_argument("--logs", action="append", default=[], choices=LOG_SOURCES, metavar="SOURCE",
                        help=f"after the summary, print this log of each RayJob: {', '.join(LOG_SOURCES)}")
    parser.add_argument("--seed", type=int, default=0, help="seed of generated names (default 0)")
    parser.add_argument("--path-map", action="append", default=[], metavar="CONTAINER=LOCAL",
                        help="ray executor: map a container path to a local folder, e.g. /app=./app")


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"{flag} value={item!r} is not NAME=VALUE", hint=f"e.g. {flag} NAME=VALUE")
        out[name] = value
    return out


def executor_settings(args: argparse.Namespace) -> ExecutorSettings:
    """The executor the flags describe, resolved by the same ``auto`` rule as ``run`` and the pytest plugin."""
    scripted = (args.job_runtime is not None or args.job_exit is not None or args.job_stopped
                or bool(args.job_output))
    path_map = _pairs(args.path_map, "--path-map")
    if scripted and path_map:
        raise InputError("--job-* flags declare a scripted outcome, and --path-map is for running the entrypoint "
                         "for real", hint="use one or the other")
    name = resolve_executor(args.executor, scripted=scripted, paths=bool(path_map))
    if name == "ray" and scripted:
        raise InputError("--job-* flags describe the scripted executor, and --executor ray runs the entrypoint "
                         "for real", hint="drop the --job-* flags, or use --executor scripted")
    if name == "scripted" and path_map:
        raise InputError("--path-map applies to the ray executor only", hint="use --executor ray (or auto)")
    missing = ray_missing_reason(name)
    if missing is not None:
        raise InputError(missing)
    script = JobScript(runtime=5.0 if args.job_runtime is None else args.job_runtime,
                       exit_code=args.job_exit or 0, output=tuple(args.job_output), stopped=args.job_stopped)
    return ExecutorSettings(name=name, scripts=JobScripts(default=script) if scripted else JobScripts(),
                            path_map=path_map)


def build_backend(args: argparse.Namespace) -> Backend:
    executor = executor_settings(args)
    if executor.name == "ray":
        print("Running Ray jobs on a local Ray runtime (executor=ray; --executor scripted for declared outcomes)",
              file=sys.stderr)
    return backend_info(BACKEND).create(BackendSettings(
        kuberay_version=args.kuberay_version, executor=executor, operator_env=_pairs(args.operator_env,
                                                                                    "--operator-env"),
        feature_gates=parse_feature_gates(args.feature_gates), seed=args.seed, wall_clock_timestamps=True,
        on_warning=logging.getLogger("harness.cli").warning))  # printed once by the CLI


def require_objects(paths: list[str]) -> dict[tuple[str, str], str]:
    """The RayJobs the manifests define, (namespace, name) -> file; an empty file or a folder without manifests is
    a mistake, not a cluster with nothing to do."""
    rayjobs: dict[tuple[str, str], str] = {}
    for path in paths:
        manifests = load_manifests(path)
        if not manifests:
            where = "folder holds no *.yaml or *.yml file with any" if Path(path).is_dir() else "file holds no"
            raise InputError(f"{where} Kubernetes object path={path!r}",
                             hint="give manifests with at least one object (apiVersion, kind, metadata, spec)")
        for manifest in manifests:
            meta = manifest.obj.get("metadata")
            if manifest.obj.get("kind") == "RayJob" and isinstance(meta, dict) and meta.get("name"):
                rayjobs.setdefault((str(meta.get("namespace") or "default"), str(meta["name"])), manifest.source)
    return rayjobs


def stream_text_journal(backend: Backend) -> None:
    """Print each journal entry as it is recorded, so that a run cut short still shows what happened."""
    from ..report.timeline_text import TextTimeline  # the module alone: not the HTML, SVG and tables

    timeline = TextTimeline()

    def show(entry: JournalEntry) -> None:
        print(timeline.line(entry))

    backend.journal.listen(show)


def command(args: argparse.Namespace) -> int:
    rayjobs = require_objects(args.manifests)
    expectations: list[Expectation] = expectations_for(args.expect, list(rayjobs))
    backend = build_backend(args)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Each entry reaches a pipe as it is recorded: a run cut short (Ctrl-C, a CI timeout) leaves its evidence.
        sys.stdout.reconfigure(line_buffering=True)
    try:
        if args.format == "json":
            # Streamed as the run goes, nothing kept but what the summary reads: the RayJobs' and RayClusters'
            # entries (their outcomes, and why a RayJob did not end as asked).
            backend.journal.stream_only(sys.stdout, keep_kinds=("RayJob", "RayCluster"))
        else:
            stream_text_journal(backend)
        for path in args.manifests:
            backend.apply_manifests(path)
        settle = backend.capabilities.settle
        if settle is None:
            raise InputError(f"backend={backend.name} cannot run until RayJobs settle")
        settled = settle.settle(args.duration)
        backend.warnings()  # reports the executor's notes through on_warning
        backend.journal.flush()
        return finish(backend, args, settled, rayjobs, expectations)
    finally:
        backend.close()


def finish(backend: Backend, args: argparse.Namespace, settled: bool, rayjobs: dict[tuple[str, str], str],
           expectations: list[Expectation]) -> int:
    """The summary and the logs asked for (on stderr when stdout carries JSON lines), and the exit code."""
    out = sys.stderr if args.format == "json" else sys.stdout
    sys.stdout.flush()  # the journal comes first even when both streams go to one place
    facts = gate.RunFacts(settled=settled, duration=args.duration, scripted=backend.executor_name == "scripted",
                          sources=rayjobs, logs=tuple(args.logs))
    verdicts = gate.judge_run(backend, expectations)
    print(gate.summary(backend, verdicts, facts), file=out)
    for source in args.logs:
        gate.print_logs(backend, source, scripted=facts.scripted, out=out)
    out.flush()
    return gate.exit_code(verdicts)

