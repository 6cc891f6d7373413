"""What a long virtual span costs: a RayJob that stays Running for thousands of virtual hours (a script).

While a RayJob runs, KubeRay requeues it every 3 s and the K8sJobMode submitter tails the driver log every second;
almost all of those runs find nothing to do. The clock passes over the ones it proves idle (``Clock.fast_forward``),
so the cost is meant to follow what happens in a span, not how long it is. Three measurements:

- **skipping**: for each submission mode, one RayJob whose Ray job runs ``--hours`` + 1 virtual hours; wall time
  to apply it and advance ``--hours`` (it is then still Running), the clock events that ran and the loop runs
  passed over; then the wall time to let it finish and settle;
- **stepping**: the same with ``fast_forward`` off, over ``--stepped-hours`` only (stepping is linear in the
  span), reported per virtual hour and extrapolated to ``--hours``;
- **fleet**: ``--jobs`` RayJobs applied together, all Running for ``--fleet-hours``, skipping on;
- **stuck**: ``--hours`` of a loop that prints the same line for ever: a RayJob whose status was written
  ``Waiting`` in K8sJobMode (ValidationFailed, then "Unknown JobDeploymentStatus" logged every 3 s, as upstream),
  and a submitter whose cluster went away ("Waiting for Ray Dashboard GCS to become healthy" every 2 s); wall
  time, events, and the lines kept (the operator's last 100,000, a container's last 10 MiB).

Usage::

    python benchmarks/bench_long_spans.py                       # 10,000 hours; 10 stepped hours; 100 RayJobs
    python benchmarks/bench_long_spans.py --hours 100000 --stepped-hours 2 --jobs 500

Not here: full lifecycles (``bench_simulator.py``), the real Ray executor (``bench_ray_executor.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.model.kinds import POD
from harness.raysim.faults import JobInfoFault
from harness.simulator import Simulator

HOUR = 3600.0
IMAGE = "rayproject/ray:2.60.0"
MODES = ("K8sJobMode", "HTTPMode", "SidecarMode")


def rayjob(name: str, mode: str) -> dict[str, Any]:
    head = {"rayStartParams": {}, "template": {"spec": {"containers": [
        {"name": "ray-head", "image": IMAGE, "ports": [{"containerPort": 8265, "name": "dashboard"}]}]}}}
    workers = [{"groupName": "workers", "replicas": 1, "minReplicas": 1, "maxReplicas": 1, "rayStartParams": {},
                "template": {"spec": {"containers": [{"name": "ray-worker", "image": IMAGE}]}}}]
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name},
            "spec": {"entrypoint": "python /home/ray/train.py", "submissionMode": mode,
                     "shutdownAfterJobFinishes": True, "ttlSecondsAfterFinished": 60,
                     "rayClusterSpec": {"rayVersion": "2.60.0", "headGroupSpec": head, "workerGroupSpecs": workers}}}


@dataclass
class Span:
    mode: str
    hours: float
    wall: float  # apply + advance
    events: int
    skipped: int
    still_running: bool
    finish_wall: float = 0.0


def long_run(mode: str, hours: float, *, fast: bool, jobs: int = 1) -> Span:
    sim = Simulator(executor=ScriptedExecutor(JobScript(runtime=(hours + 1) * HOUR)))
    sim.clock.fast_forward = fast
    start = time.perf_counter()
    for index in range(jobs):
        sim.apply(rayjob(f"job-{index:04d}", mode))
    sim.advance(hours * HOUR)
    wall = time.perf_counter() - start
    running = all(sim.deployment_status(f"job-{i:04d}") == "Running" for i in range(jobs))
    span = Span(mode, hours, wall, sim.clock.events_run, sim.clock.skipped, running)
    if fast:
        start = time.perf_counter()
        sim.settle("3h")
        span.finish_wall = time.perf_counter() - start
    sim.close()
    return span


def median_span(mode: str, hours: float, *, fast: bool, repeat: int, jobs: int = 1) -> Span:
    spans = [long_run(mode, hours, fast=fast, jobs=jobs) for _ in range(repeat)]
    return sorted(spans, key=lambda s: s.wall)[len(spans) // 2]


def stuck(kind: str, hours: float) -> tuple[float, int, int, int]:
    """(wall, events, operator log lines, submitter log bytes) of ``hours`` stuck printing the same line."""
    sim = Simulator(executor=ScriptedExecutor(JobScript(runtime=(hours + 1) * HOUR)))
    sim.apply(rayjob("job-0000", "K8sJobMode"))
    sim.run_until(lambda: sim.deployment_status("job-0000") == "Running", 600)
    if kind == "status written":
        sim.patch("RayJob", "job-0000", {"status": {"jobDeploymentStatus": "Waiting", "jobId": ""}},
                  subresource="status")
    else:
        sim.answer_job_info(sim.rayjob("job-0000").status.ray_cluster_name, JobInfoFault("error"))
    start, events = time.perf_counter(), sim.clock.events_run
    sim.advance(hours * HOUR)
    wall = time.perf_counter() - start
    pods = [p["metadata"]["name"] for p in sim.store.list(POD, None) if "head" not in p["metadata"]["name"]
            and "worker" not in p["metadata"]["name"]]
    logged = max((len(sim.pod_logs(name)) for name in pods), default=0)
    result = (wall, sim.clock.events_run - events, len(sim.operator_log), logged)
    sim.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=10_000.0, help="virtual hours Running (default 10000)")
    parser.add_argument("--stepped-hours", type=float, default=10.0,
                        help="virtual hours measured with fast_forward off (default 10)")
    parser.add_argument("--jobs", type=int, default=100, help="RayJobs in the fleet run (default 100)")
    parser.add_argument("--fleet-hours", type=float, default=1_000.0, help="virtual hours of the fleet run")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each skipping run (median)")
    args = parser.parse_args(argv)

    print(f"-- skipping: one RayJob Running for {args.hours:,.0f} virtual hours " + "-" * 40)
    print(f"{'mode':<12} {'wall (s)':>9} {'events':>8} {'runs passed over':>17} {'running':>8} {'finish (s)':>11}")
    for mode in MODES:
        span = median_span(mode, args.hours, fast=True, repeat=args.repeat)
        print(f"{mode:<12} {span.wall:>9.4f} {span.events:>8,} {span.skipped:>17,} {span.still_running!s:>8} "
              f"{span.finish_wall:>11.4f}")

    print(f"\n-- stepping (fast_forward off): {args.stepped_hours:g} virtual hours " + "-" * 40)
    extrapolated = f"extrapolated to {args.hours:,.0f}h"
    print(f"{'mode':<12} {'wall (s)':>9} {'events':>9} {'s per virtual hour':>19} {extrapolated:>24}")
    for mode in MODES:
        span = long_run(mode, args.stepped_hours, fast=False)
        per_hour = span.wall / args.stepped_hours
        print(f"{mode:<12} {span.wall:>9.3f} {span.events:>9,} {per_hour:>19.4f} {per_hour * args.hours:>22,.0f} s")

    print(f"\n-- fleet: {args.jobs} K8sJobMode RayJobs Running for {args.fleet_hours:,.0f} virtual hours " + "-" * 20)
    walls = [long_run("K8sJobMode", args.fleet_hours, fast=True, jobs=args.jobs) for _ in range(3)]
    fleet = sorted(walls, key=lambda s: s.wall)[1]
    print(f"wall {fleet.wall:.3f} s (median of 3; min {min(s.wall for s in walls):.3f}, "
          f"mean {statistics.mean(s.wall for s in walls):.3f})  events {fleet.events:,}  "
          f"runs passed over {fleet.skipped:,}  all running {fleet.still_running}")

    print(f"\n-- stuck: {args.hours:,.0f} virtual hours of a loop printing the same line " + "-" * 24)
    print(f"{'case':<22} {'wall (s)':>9} {'events':>8} {'operator lines':>15} {'submitter log bytes':>20}")
    for kind in ("status written", "dashboard gone"):
        wall, events, lines, logged = stuck(kind, args.hours)
        print(f"{kind:<22} {wall:>9.4f} {events:>8,} {lines:>15,} {logged:>20,}")


if __name__ == "__main__":
    main()
