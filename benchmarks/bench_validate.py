"""How fast ``rayjob-harness validate`` is: manifests per second, and how quickly the command starts.

Usage::

    python benchmarks/bench_validate.py                 # 1,000 manifests, 5 repetitions, startup times
    python benchmarks/bench_validate.py --manifests 200 --repeat 3
    python benchmarks/bench_validate.py --profile 20    # also the 20 hottest functions of one run (cProfile)

The manifests are the project's rule examples (every failing and passing one, so every layer and rule does its
work), copied under unique names into a temporary folder until there are ``--manifests`` files; a file holds a
RayJob or RayCluster and usually the ConfigMap it mounts. One run is ``validate_paths([folder])``: reading,
parsing, the three layers and the report, as the CLI does it, without printing.

Startup is measured as the CLI runs it, in a fresh interpreter: ``validate --help`` and a one-file run, against
``python -c pass`` as the floor. Target (issue: validation before deployment): 1,000 manifests well under a second
per hundred; startup without Ray, the Kubernetes client or the simulator.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from harness.validate import validate_paths  # noqa: E402

EXAMPLES = PROJECT / "tests" / "validate" / "data" / "rules"
TUTORIAL = PROJECT / "tests" / "validate" / "data" / "tutorial" / "rayjob-sample.yaml"


def make_manifests(folder: Path, count: int) -> list[Path]:
    """``count`` files copied round-robin from the rule examples (unreadable and empty ones left out)."""
    sources = [p for p in sorted(EXAMPLES.rglob("*.yaml")) if not p.parent.name.startswith(("unreadable", "empty"))]
    files = []
    for index in range(count):
        source = sources[index % len(sources)]
        target = folder / f"m{index:05d}-{source.parent.name}-{source.stem}.yaml"
        shutil.copyfile(source, target)
        files.append(target)
    return files


def timed_runs(folder: Path, repeat: int) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU seconds of each run (CPU time is steadier on a shared machine), and what the last run found."""
    walls, cpus, findings, objects = [], [], 0, 0
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        report = validate_paths([str(folder)])
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        findings, objects = len(report.findings), report.objects
    return walls, cpus, findings, objects


def startup(args: list[str], repeat: int) -> float:
    """Median wall time of ``python args`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", type=int, default=1000, help="manifest files to validate (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N hottest functions")
    parser.add_argument("--no-startup", action="store_true", help="skip the startup measurements")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        folder = Path(tmp)
        make_manifests(folder, args.manifests)
        validate_paths([str(folder)])  # warm-up: imports and caches
        walls, cpus, findings, objects = timed_runs(folder, args.repeat)
        median, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"validate {args.manifests} files ({objects} objects, {findings} findings), {args.repeat} runs")
        print(f"  wall time: median {median:.3f} s, best {min(walls):.3f} s; CPU time: median {cpu:.3f} s")
        print(f"  per 100 manifests: median {median / args.manifests * 100 * 1000:.1f} ms wall, "
              f"{cpu / args.manifests * 100 * 1000:.1f} ms CPU")
        print(f"  manifests per second: {args.manifests / median:,.0f}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            validate_paths([str(folder)])
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)

    if not args.no_startup:
        floor = startup(["-c", "pass"], 5)
        help_time = startup(["-m", "harness", "validate", "--help"], 5)
        one_file = startup(["-m", "harness", "validate", str(TUTORIAL)], 5)
        print("startup (median of 5, fresh interpreter)")
        print(f"  python -c pass:               {floor * 1000:6.0f} ms")
        print(f"  validate --help:              {help_time * 1000:6.0f} ms")
        print(f"  validate <tutorial manifest>: {one_file * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
