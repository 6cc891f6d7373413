"""How much the ``ray`` executor adds on top of Ray itself.

Measures, on a local runtime started by the harness:
- the runtime's start time (``ray start --head`` until the job API and the job agent answer) and stop time;
- submit -> SUCCEEDED of ``python -c 'print(1)'`` through RayDashboard + RayExecutor under the clock's wall-clock
  pacing, against a baseline that submits with Ray's JobSubmissionClient and polls every 10 ms;
- the cost of one status poll (the executor's keep-alive GET vs. the SDK's get_job_info);
- all of it on two runtimes at once, taking turns: one with token auth, as the harness runs Ray, and one with
  auth disabled, to price the token.

Run: ``python benchmarks/bench_ray_executor.py [--jobs N]``. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.executors.ray_executor import RayExecutor
from harness.executors.ray_runtime import RayRuntime
from harness.raysim.dashboard import ClusterHandle, RayDashboard, SubmitRequest
from harness.sim.clock import Clock

ENTRYPOINT = "python -c 'print(1)'"


def through_executor(executor: RayExecutor, clock: Clock, dashboard: RayDashboard, sid: str) -> float:
    started = time.monotonic()
    dashboard.submit_job(SubmitRequest(sid, ENTRYPOINT))
    job = dashboard.jobs[sid]
    clock.run(until=clock.now + 120, stop=lambda: job.status.is_terminal)
    assert job.status.value == "SUCCEEDED", job.message
    return time.monotonic() - started


def through_sdk(client: Any, sid: str) -> float:
    started = time.monotonic()
    client.submit_job(entrypoint=ENTRYPOINT, submission_id=sid)
    while True:
        status = client.get_job_status(sid).value
        if status in ("SUCCEEDED", "FAILED", "STOPPED"):
            assert status == "SUCCEEDED"
            return time.monotonic() - started
        time.sleep(0.01)


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<38} median {statistics.median(values) * 1000:7.1f} ms   mean {statistics.mean(values) * 1000:7.1f}"
            f" ms   min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   (n={len(values)})")


@dataclass
class Bench:
    """One runtime and the two ways of running a job on it."""

    runtime: RayRuntime
    executor: RayExecutor
    clock: Clock
    dashboard: RayDashboard
    client: Any
    figures: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def start(cls, extra_env: dict[str, str]) -> Bench:
        from ray.job_submission import JobSubmissionClient

        runtime = RayRuntime(extra_env=extra_env)
        started = time.monotonic()
        runtime.start()
        start_seconds = time.monotonic() - started
        executor = RayExecutor(runtime)
        clock = Clock()
        clock.add_real_work(executor)
        dashboard = RayDashboard(ClusterHandle("default", "bench", "0badc0de-0000-4000-a000-000000000000"),
                                 executor, clock)
        dashboard.serving = True
        bench = cls(runtime, executor, clock, dashboard, JobSubmissionClient(runtime.dashboard_url,
                                                                             headers=runtime.auth_headers))
        bench.record("runtime start (until the job API answers)", start_seconds)
        through_sdk(bench.client, "warm-sdk")
        bench.record("first job through the executor", through_executor(executor, clock, dashboard, "warm"))
        return bench

    def record(self, name: str, seconds: float) -> None:
        self.figures.setdefault(name, []).append(seconds)

    def one_round(self, index: int) -> None:
        self.record("submit->SUCCEEDED, executor", through_executor(self.executor, self.clock, self.dashboard,
                                                                    f"h{index}"))
        self.record("submit->SUCCEEDED, raw SDK baseline", through_sdk(self.client, f"s{index}"))

    def polls(self) -> None:
        real_id = self.executor.real_submission_id(self.dashboard.jobs["h0"])
        http = self.executor._dashboard()
        for _ in range(10):
            t = time.perf_counter()
            http.get_json(f"/api/jobs/{real_id}")
            self.record("one status poll, executor keep-alive", time.perf_counter() - t)
            t = time.perf_counter()
            self.client.get_job_info(real_id)
            self.record("one status poll, SDK get_job_info", time.perf_counter() - t)

    def stop(self) -> None:
        self.executor.close()
        started = time.monotonic()
        left = self.runtime.stop()
        self.record("runtime stop", time.monotonic() - started)
        assert left == [], f"processes survived the stop: {left}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs per path and runtime (default 10)")
    args = parser.parse_args()

    # The harness always runs Ray with token auth; the second runtime turns it off only to price it. Both run at
    # once and take turns, so that both see the same machine (a shared machine's load moves more than auth costs).
    benches = {"token auth (as the harness runs Ray)": Bench.start({}),
               "auth disabled (for comparison only)": Bench.start({"RAY_AUTH_MODE": "disabled"})}
    try:
        for index in range(args.jobs):
            for bench in benches.values():
                bench.one_round(index)
        for _ in range(5):
            for bench in benches.values():
                bench.polls()
    finally:
        for bench in benches.values():
            bench.stop()
    for mode, bench in benches.items():
        print(f"== {mode}")
        for name, values in bench.figures.items():
            print(summary(name, values))
        executor, sdk = (statistics.median(bench.figures[f"submit->SUCCEEDED, {w}"])
                         for w in ("executor", "raw SDK baseline"))
        print(f"harness overhead (median difference)     {(executor - sdk) * 1000:7.1f} ms "
              f"({(executor - sdk) / sdk * 100:.1f} % of Ray's own latency)")
    with_auth, without = (bench.figures for bench in benches.values())
    print("== cost of token auth (median with minus median without; starts and stops are one sample each)")
    for name in with_auth:
        cost = statistics.median(with_auth[name]) - statistics.median(without[name])
        print(f"{name:<38} {cost * 1000:+8.1f} ms")


if __name__ == "__main__":
    main()
