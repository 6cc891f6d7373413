"""The shipped scenario library through the Kubernetes backend against ``rayjob-harness serve``, next to the same
library in-process: wall time of each, and the ratio.

Usage::

    python benchmarks/bench_kube_backend.py                      # every scenario under scenarios/
    python benchmarks/bench_kube_backend.py scenarios/suspend.yaml --repeat 3
    python benchmarks/bench_kube_backend.py --per-scenario       # also one line per scenario

Both sides run the scripted executor. The server is a ``rayjob-harness serve --executor scripted`` subprocess (its
own interpreter, as a user runs it), started before the clock starts; scenarios whose operator settings differ
from the server's are skipped by the backend (cheaply) and counted apart. Reported per side: the wall time of the
whole library (the median of ``--repeat`` runs), and for the Kubernetes side the requests made and the virtual-time
steps taken (one per timer instant a wait or an advance goes through), with what one step costs.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from harness.backends.kube.clock import SteppedTime  # noqa: E402
from harness.backends.kube.transport import Transport  # noqa: E402
from harness.cli.run import load_all  # noqa: E402
from harness.runner import RunOptions, ScenarioResult, create_backend, run_scenario  # noqa: E402
from harness.scenario import Scenario  # noqa: E402

COUNTS: Counter[str] = Counter()


def _count(cls: type, name: str, key: str) -> None:
    """Count calls of ``cls.name`` (the benchmark's own instrumentation; the code measured is unchanged)."""
    original = getattr(cls, name)

    def counted(*args: object, **kwargs: object) -> object:
        COUNTS[key] += 1
        return original(*args, **kwargs)

    setattr(cls, name, counted)


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    kubeconfig = folder / "kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--executor", "scripted", "--pacing",
                                "Manual", "--kubeconfig-out", str(kubeconfig)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(PROJECT)})
    deadline = time.monotonic() + 60
    while not kubeconfig.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("rayjob-harness serve did not start")
        time.sleep(0.05)
    return process, kubeconfig


def run_library(scenarios: list[Scenario], options: RunOptions) -> tuple[float, list[tuple[ScenarioResult, float]]]:
    results = []
    started = time.perf_counter()
    for scenario in scenarios:
        one = time.perf_counter()
        result = run_scenario(scenario, options, create_backend)
        results.append((result, time.perf_counter() - one))
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(PROJECT / "scenarios")])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (the median is reported)")
    parser.add_argument("--per-scenario", action="store_true", help="one line per scenario")
    args = parser.parse_args()
    scenarios, errors = load_all(args.paths)
    if errors:
        raise SystemExit("\n".join(str(error) for error in errors))
    _count(Transport, "request", "requests")
    _count(SteppedTime, "_step", "steps")

    with tempfile.TemporaryDirectory() as folder:
        process, kubeconfig = start_server(Path(folder))
        try:
            run_library(scenarios[:1], RunOptions(backend="kube", kubeconfig=kubeconfig))  # client imports, TLS
            in_process, kube = [], []
            for _ in range(args.repeat):
                in_process.append(run_library(scenarios, RunOptions(executor="scripted")))
                COUNTS.clear()
                kube.append(run_library(scenarios, RunOptions(backend="kube", kubeconfig=kubeconfig)))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)

    wall_in = statistics.median(total for total, _ in in_process)
    wall_kube = statistics.median(total for total, _ in kube)
    statuses = Counter(result.status for result, _ in kube[-1][1])
    print(f"scenarios: {len(scenarios)}; through the Kubernetes backend: "
          + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))
    print(f"in-process (scripted):        {wall_in:8.2f} s wall")
    print(f"kube backend on serve:        {wall_kube:8.2f} s wall   ratio {wall_kube / wall_in:6.1f}x")
    print(f"  requests {COUNTS['requests']}, virtual-time steps {COUNTS['steps']}, "
          f"{wall_kube / max(COUNTS['steps'], 1) * 1000:.2f} ms of wall time per step (all costs included)")
    if args.per_scenario:
        for (result, seconds), (_, in_seconds) in zip(kube[-1][1], in_process[-1][1], strict=True):
            print(f"  {result.scenario.name[:60]:60} {result.status:8} {seconds:7.2f} s   in-process "
                  f"{in_seconds:6.3f} s")


if __name__ == "__main__":
    main()
