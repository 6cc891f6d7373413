"""One in-process measurement of whichever ``harness`` is first on ``PYTHONPATH`` (run by ``bench_targets.py``).

``bench_targets.py`` runs this script in a fresh interpreter per measurement, once with the tree under test and
once with the tree it is compared with, so both are measured by the same code in the same session. It prints
one JSON object on stdout. It uses only the simulator's long-standing public API (``Simulator``,
``ScriptedExecutor``, ``JobScript``, ``store.watch``), so it runs against older trees too.

Measurements:

- ``lifecycle``: one RayJob from ``apply`` until its RayCluster is deleted after ``ttlSecondsAfterFinished``,
  on a fresh simulator each time (its construction is not timed), ``--repeat`` times after a warm-up;
- ``fleet``: ``--jobs`` RayJobs applied at once to one simulator and run until every RayJob is Complete and
  every RayCluster is gone; wall and CPU time of apply + run, and the process's peak RSS;
- ``manifests``: write the fleet's RayJobs into one YAML file (for ``simulate`` runs of the CLI).

Not here: comparing, repeating and reporting (``bench_targets.py``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
IMAGE = "rayproject/ray:2.60.0"
TIMEOUT = 7 * 24 * 3600.0  # virtual seconds: far beyond any lifecycle here, so reaching it means a hang


def rayjob_manifest(name: str, ttl: int = 60, workers: int = 1) -> Obj:
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
    """From the store's watch: every RayJob terminal and every RayCluster gone (O(1) per check)."""

    def __init__(self, sim: Any) -> None:
        from harness.model.kinds import RAYCLUSTER, RAYJOB

        self.rayjob, self.raycluster = RAYJOB, RAYCLUSTER
        self.unfinished: set[str] = set()
        self.clusters: set[str] = set()
        sim.store.watch(self._on_event)

    def _on_event(self, event: Any) -> None:
        deleted = event.type.value == "DELETED"
        if event.rtype is self.raycluster:
            (self.clusters.discard if deleted else self.clusters.add)(event.name)
        elif event.rtype is self.rayjob:
            state = (event.obj.get("status") or {}).get("jobDeploymentStatus", "")
            if deleted or state in ("Complete", "Failed"):
                self.unfinished.discard(event.name)
            else:
                self.unfinished.add(event.name)

    def done(self) -> bool:
        return not self.unfinished and not self.clusters


def simulator() -> Any:
    from harness.executors.scripted import ScriptedExecutor
    from harness.executors.settings import JobScript
    from harness.simulator import Simulator

    return Simulator(executor=ScriptedExecutor(JobScript(runtime=30.0)))


def run_fleet(jobs: int) -> dict[str, float]:
    sim = simulator()
    settlement = Settlement(sim)
    manifests = [rayjob_manifest(f"job-{i:05d}") for i in range(jobs)]
    wall, cpu = time.perf_counter(), time.process_time()
    for manifest in manifests:
        sim.apply(manifest)
    if not sim.run_until(settlement.done, TIMEOUT):
        raise SystemExit(f"not settled: {len(settlement.unfinished)} RayJobs, {len(settlement.clusters)} clusters")
    result = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
              "journal": float(len(sim.journal)), "writes": float(sim.store.writes)}
    sim.close()
    return result


def lifecycle(repeat: int) -> dict[str, Any]:
    for _ in range(3):
        run_fleet(1)  # warm-up: imports, caches, the first allocations
    runs = [run_fleet(1) for _ in range(repeat)]
    return {"wall": statistics.median(r["wall"] for r in runs), "cpu": statistics.median(r["cpu"] for r in runs),
            "wall_min": min(r["wall"] for r in runs), "journal": runs[0]["journal"], "writes": runs[0]["writes"]}


def fleet(jobs: int) -> dict[str, Any]:
    result: dict[str, Any] = dict(run_fleet(jobs))
    result["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return result


def write_manifests(jobs: int, path: Path) -> None:
    import yaml

    documents = [rayjob_manifest(f"job-{i:05d}") for i in range(jobs)]
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("lifecycle", "fleet", "manifests"))
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None, help="manifests: the YAML file to write")
    args = parser.parse_args(argv)
    if args.what == "manifests":
        write_manifests(args.jobs, args.out)
        return 0
    result = lifecycle(args.repeat) if args.what == "lifecycle" else fleet(args.jobs)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
