"""How fast the simulator runs RayJob lifecycles with the scripted executor (a script, not a test).

Two measurements:

- **single lifecycle**: one RayJob (shutdownAfterJobFinishes + ttlSecondsAfterFinished) from ``apply`` until its
  RayCluster has been deleted, repeated and reported as the median;
- **fleet**: ``--jobs`` such RayJobs applied at once to one Simulator, run until every RayJob is Complete or
  Failed and every RayCluster is gone.

Reported: wall time, virtual time, reconciles (RayJob controller + RayCluster work queue), reconciles per wall
second, mean wall time inside one RayJob reconcile (including the synchronous store writes and watch fan-out it
causes), and peak memory (``tracemalloc`` peak of a second, traced run, and the process's ``ru_maxrss``).
``--profile N`` runs the fleet once more under cProfile and prints the N functions with the most own time.

Usage::

    python benchmarks/bench_simulator.py                  # 1,000 RayJobs, TTL 60 s
    python benchmarks/bench_simulator.py --jobs 200 --ttl 0 --profile 25

Not here: the real Ray executor (its cost is Ray's own job latency), the API server, kind.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from harness.executors.scripted import ScriptedExecutor
from harness.executors.settings import JobScript
from harness.model.enums import JobDeploymentStatus
from harness.model.kinds import RAYCLUSTER, RAYJOB
from harness.sim.store import WatchEvent
from harness.simulator import Simulator

Obj = dict[str, Any]
IMAGE = "rayproject/ray:2.60.0"
TIMEOUT = 7 * 24 * 3600.0  # virtual seconds: far beyond any lifecycle here, so hitting it means a hang


def rayjob_manifest(name: str, ttl: int, workers: int) -> Obj:
    """A typical K8sJobMode RayJob: head + one worker group, cluster deleted ``ttl`` seconds after the end."""
    cluster: Obj = {
        "rayVersion": "2.60.0",
        "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": [
            {"name": "ray-head", "image": IMAGE, "ports": [{"containerPort": 8265, "name": "dashboard"}]}]}}},
    }
    if workers:
        cluster["workerGroupSpecs"] = [{
            "groupName": "workers", "replicas": workers, "minReplicas": workers, "maxReplicas": workers,
            "rayStartParams": {}, "template": {"spec": {"containers": [{"name": "ray-worker", "image": IMAGE}]}}}]
    return {"apiVersion": "ray.io/v1", "kind": "RayJob", "metadata": {"name": name},
            "spec": {"entrypoint": "python /home/ray/train.py", "shutdownAfterJobFinishes": True,
                     "ttlSecondsAfterFinished": ttl, "rayClusterSpec": cluster}}


class Settlement:
    """Tracks, from the store's watch, whether every RayJob is terminal and every RayCluster is gone (O(1))."""

    def __init__(self, sim: Simulator) -> None:
        self.unfinished: set[str] = set()
        self.clusters: set[str] = set()
        sim.store.watch(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == RAYCLUSTER:
            if event.type.value == "DELETED":
                self.clusters.discard(event.name)
            else:
                self.clusters.add(event.name)
        elif event.rtype == RAYJOB:
            state = JobDeploymentStatus((event.obj.get("status") or {}).get("jobDeploymentStatus", ""))
            if event.type.value == "DELETED" or state.is_terminal:
                self.unfinished.discard(event.name)
            else:
                self.unfinished.add(event.name)

    def done(self) -> bool:
        return not self.unfinished and not self.clusters


class ReconcileTimer:
    """Wraps the RayJob controller's ``reconcile`` to measure the wall time spent inside each call."""

    def __init__(self, sim: Simulator) -> None:
        self.total = 0.0
        self.calls = 0
        inner: Callable[[tuple[str, str]], Any] = sim.rayjob_controller.reconcile

        def timed(key: tuple[str, str]) -> Any:
            start = time.perf_counter()
            try:
                return inner(key)
            finally:
                self.total += time.perf_counter() - start
                self.calls += 1

        sim.rayjob_controller.reconcile = timed  # type: ignore[method-assign]

    @property
    def mean(self) -> float:
        return self.total / self.calls if self.calls else 0.0


@dataclass
class Run:
    jobs: int
    apply_wall: float
    run_wall: float
    virtual: float
    rayjob_reconciles: int
    raycluster_reconciles: int
    clock_events: int
    store_writes: int
    journal_entries: int
    reconcile_mean: float
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> int:
        return self.rayjob_reconciles + self.raycluster_reconciles

    @property
    def wall(self) -> float:
        return self.apply_wall + self.run_wall


def run_fleet(jobs: int, ttl: int, runtime: float, workers: int) -> Run:
    """Apply ``jobs`` RayJobs at once, run until all are finished and cleaned up, and measure."""
    sim = Simulator(executor=ScriptedExecutor(JobScript(runtime=runtime)))
    settlement = Settlement(sim)
    timer = ReconcileTimer(sim)
    manifests = [rayjob_manifest(f"job-{i:05d}", ttl, workers) for i in range(jobs)]
    start = time.perf_counter()
    for manifest in manifests:
        sim.apply(manifest)
    applied = time.perf_counter()
    if not sim.run_until(settlement.done, TIMEOUT):  # the public API: what users get, GC settings included
        raise SystemExit(f"not settled after {TIMEOUT:g} virtual seconds: {len(settlement.unfinished)} RayJobs "
                         f"unfinished, {len(settlement.clusters)} RayClusters left")
    finished = time.perf_counter()
    outcomes: dict[str, int] = {}
    for raw in sim.store.list(RAYJOB):
        state = (raw.get("status") or {}).get("jobDeploymentStatus", "")
        outcomes[state] = outcomes.get(state, 0) + 1
    result = Run(jobs, applied - start, finished - applied, sim.now, sim.rayjob_controller.reconciles,
                 sim.raycluster_controller.queue.processed, sim.clock.events_run, sim.store.writes,
                 len(sim.journal), timer.mean, outcomes)
    sim.close()
    return result


def traced_peak(jobs: int, ttl: int, runtime: float, workers: int) -> int:
    """Peak bytes allocated by Python during a fleet run (tracemalloc slows the run; timed separately)."""
    gc.collect()
    tracemalloc.start()
    try:
        run_fleet(jobs, ttl, runtime, workers)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def profile_fleet(jobs: int, ttl: int, runtime: float, workers: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_fleet(jobs, ttl, runtime, workers)
    profiler.disable()
    print(f"\n-- cProfile of the fleet run, top {top} by own time " + "-" * 40)
    pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(top)


def max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB, macOS bytes


def report(title: str, run: Run) -> None:
    print(f"-- {title} " + "-" * (100 - len(title)))
    print(f"RayJobs                      {run.jobs}   outcomes {run.outcomes}")
    print(f"wall time                    {run.wall:.3f} s  (apply {run.apply_wall:.3f} s, run {run.run_wall:.3f} s)")
    print(f"virtual time                 {run.virtual:.1f} s  ({run.virtual / max(run.wall, 1e-9):,.0f}x real time)")
    print(f"reconciles                   {run.reconciles:,}  (RayJob {run.rayjob_reconciles:,}, "
          f"RayCluster {run.raycluster_reconciles:,})")
    print(f"reconciles per wall second   {run.reconciles / max(run.wall, 1e-9):,.0f}")
    print(f"mean RayJob reconcile        {run.reconcile_mean * 1e6:.1f} µs (inside reconcile, incl. writes)")
    print(f"wall per reconcile, overall  {run.wall / max(run.reconciles, 1) * 1e6:.1f} µs "
          f"(everything: kubelet, Job controller, GC, journal)")
    print(f"clock events / store writes  {run.clock_events:,} / {run.store_writes:,}   "
          f"journal entries {run.journal_entries:,}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000, help="RayJobs applied at once (default 1000)")
    parser.add_argument("--ttl", type=int, default=60, help="ttlSecondsAfterFinished (default 60)")
    parser.add_argument("--runtime", type=float, default=30.0, help="scripted Ray job runtime, s (default 30)")
    parser.add_argument("--workers", type=int, default=1, help="worker replicas per RayCluster (default 1)")
    parser.add_argument("--repeat", type=int, default=20, help="single-lifecycle repetitions (default 20)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="also profile the fleet run and print the top N functions by own time")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.ttl < 0 or args.runtime <= 0 or args.workers < 0 or args.repeat < 1:
        parser.error("--jobs and --repeat must be >= 1, --ttl and --workers >= 0, --runtime > 0")

    singles = [run_fleet(1, args.ttl, args.runtime, args.workers) for _ in range(args.repeat)]
    median = sorted(singles, key=lambda r: r.wall)[len(singles) // 2]
    report(f"single RayJob lifecycle (median of {args.repeat})", median)
    print(f"wall per lifecycle           min {min(r.wall for r in singles) * 1e3:.2f} ms, "
          f"median {statistics.median(r.wall for r in singles) * 1e3:.2f} ms")

    fleet = run_fleet(args.jobs, args.ttl, args.runtime, args.workers)
    report(f"fleet of {args.jobs} RayJobs applied at once", fleet)
    print(f"wall per RayJob lifecycle    {fleet.wall / fleet.jobs * 1e3:.2f} ms")
    if not args.no_memory:
        peak = traced_peak(args.jobs, args.ttl, args.runtime, args.workers)
        print(f"peak memory                  tracemalloc {peak / 2**20:.1f} MiB, "
              f"ru_maxrss {max_rss_bytes() / 2**20:.1f} MiB")
    if args.profile:
        profile_fleet(args.jobs, args.ttl, args.runtime, args.workers, args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
