"""``rayjob-harness simulate MANIFEST...``: apply manifests to the simulator and print the journal.

The Ray jobs run on the scripted executor (declared runtime, exit code and output) or, with ``--executor ray``,
for real on a local Ray runtime. The run ends when every RayJob is settled (terminal with its cleanup done,
ValidationFailed, or Suspended) or when ``--for`` has elapsed in virtual time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from .._util.durations import format_duration, parse_duration
from ..errors import HarnessError, InputError
from ..kuberay.profile import parse_feature_gates, supported_versions
from ..manifests import load_manifests
from ..model.kinds import RAYJOB
from ..model.rayjob import RayJob
from ..sim.dashboard import JobScript, ScriptedExecutor
from ..sim.journal import JournalEntry
from ..simulator import Simulator, wall_clock_origin

LOG_SOURCES = ("driver", "head", "submitter")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifests", nargs="+", metavar="MANIFEST", help="YAML files or folders to apply")
    parser.add_argument("--kuberay-version", default="1.7", help=f"KubeRay release ({', '.join(supported_versions())})")
    parser.add_argument("--executor", choices=("scripted", "ray"), default="scripted",
                        help="how Ray jobs run: declared outcome in virtual time, or for real on local Ray")
    parser.add_argument("--job-runtime", type=_duration, default=5.0, metavar="DURATION",
                        help="scripted executor: how long each Ray job runs (default 5s)")
    parser.add_argument("--job-exit", type=int, default=0, metavar="CODE",
                        help="scripted executor: the entrypoint's exit code (0 → SUCCEEDED, else FAILED)")
    parser.add_argument("--job-stopped", action="store_true", help="scripted executor: the job ends STOPPED")
    parser.add_argument("--job-output", action="append", default=[], metavar="TEXT",
                        help="scripted executor: a line the driver prints (repeatable)")
    parser.add_argument("--operator-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the operator, e.g. DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true")
    parser.add_argument("--feature-gates", default="", metavar="G=true,...",
                        help="operator feature gates, e.g. RayJobDeletionPolicy=false")
    parser.add_argument("--for", dest="duration", type=_duration, default=24 * 3600.0, metavar="DURATION",
                        help="stop after this much virtual time even if RayJobs are not settled (default 24h)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="journal format")
    parser.add_argument("--logs", action="append", default=[], choices=LOG_SOURCES, metavar="SOURCE",
                        help="after the journal, print this log of each RayJob: driver, head or submitter")
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


def build_simulator(args: argparse.Namespace) -> Simulator:
    env = _pairs(args.operator_env, "--operator-env")
    gates = parse_feature_gates(args.feature_gates) if args.feature_gates else {}
    if args.executor == "ray":
        from ..executors import create_ray_executor

        executor: Any = create_ray_executor(path_map=_pairs(args.path_map, "--path-map"))
        print("Running Ray jobs on a local Ray runtime (executor=ray)", file=sys.stderr)
    else:
        executor = ScriptedExecutor(JobScript(runtime=args.job_runtime, exit_code=args.job_exit,
                                              output=tuple(args.job_output), stopped=args.job_stopped))
    return Simulator(args.kuberay_version, executor=executor, operator_env=env, feature_gates=gates,
                     seed=args.seed, origin=wall_clock_origin(),
                     on_warning=logging.getLogger("harness.cli").warning)  # printed once by the CLI


def require_objects(paths: list[str]) -> None:
    """An empty file or a folder without manifests is a mistake, not a cluster with nothing to do."""
    for path in paths:
        if not load_manifests(path):
            where = "folder holds no *.yaml or *.yml file with any" if Path(path).is_dir() else "file holds no"
            raise InputError(f"{where} Kubernetes object path={path!r}",
                             hint="give manifests with at least one object (apiVersion, kind, metadata, spec)")


def command(args: argparse.Namespace) -> int:
    require_objects(args.manifests)
    sim = build_simulator(args)
    try:
        for path in args.manifests:
            sim.apply(path)
        settled = sim.settle(args.duration)
        sim.executor_warnings()
        if args.format == "json":
            for entry in sim.journal:
                print(entry.to_json())
        else:
            print(render_journal(list(sim.journal)))
            print(summary(sim, settled, args.duration))
        for source in args.logs:
            print_logs(sim, source)
    finally:
        sim.close()
    return 0


def render_journal(entries: list[JournalEntry]) -> str:
    from ..report import render_text_timeline

    return render_text_timeline(entries)


def summary(sim: Simulator, settled: bool, duration: float) -> str:
    lines = ["", f"After {format_duration(sim.now)} of virtual time"
             + ("" if settled else f" (stopped by --for {format_duration(duration)}; not every RayJob settled)")
             + ":"]
    for raw in sim.store.list(RAYJOB, None):
        job = RayJob.from_raw(raw)
        s = job.status
        lines.append(f"  RayJob {job.namespace}/{job.name}: deployment={s.job_deployment_status.value or 'New'} "
                     f"job={s.job_status.value or '-'} reason={s.reason.value or '-'} "
                     f"succeeded={s.succeeded or 0} failed={s.failed or 0}")
        if s.message:
            lines.append(f"    message: {s.message}")
    remaining = [f"{rtype.kind}/{obj['metadata']['name']}" for rtype, obj in sim.store.all_objects()
                 if rtype.kind in ("RayJob", "RayCluster", "Job", "Pod", "Service")]
    lines.append("  objects: " + (", ".join(remaining) if remaining else "none"))
    return "\n".join(lines)


def print_logs(sim: Simulator, source: str) -> None:
    for raw in sim.store.list(RAYJOB, None):
        job = RayJob.from_raw(raw)
        header = f"==> {source} log of RayJob {job.namespace}/{job.name}"
        try:
            text = log_of(sim, job, source)
        except (HarnessError, LookupError) as exc:
            print(f"{header}: not available: {exc}")
            continue
        print(header + " <==")
        print(text.rstrip("\n"))


def log_of(sim: Simulator, job: RayJob, source: str) -> str:
    if source == "driver":
        return sim.driver_log(job.name, job.namespace)
    if source == "head":
        head = sim.head_pod(job.status.ray_cluster_name, job.namespace)
        if head is None:
            raise LookupError(f"RayCluster {job.status.ray_cluster_name or '<none>'} has no head pod")
        return sim.pod_logs(head["metadata"]["name"], job.namespace, head["spec"]["containers"][0]["name"])
    pods = sim.list("Pod", job.namespace, {"job-name": job.name})
    if not pods:
        raise LookupError(f"no submitter pod (label job-name={job.name}) in namespace {job.namespace}")
    return sim.pod_logs(pods[-1]["metadata"]["name"], job.namespace)
