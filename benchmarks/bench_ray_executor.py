"""How much the ``ray`` executor adds on top of Ray itself.

Measures, on a local runtime started by the harness:
- the runtime's start time (``ray start --head`` until the job API and the job agent answer) and stop time;
- submit -> SUCCEEDED of ``python -c 'print(1)'`` through RayDashboard + RayExecutor under the clock's wall-clock
  pacing, against a baseline that submits with Ray's JobSubmissionClient and polls every 10 ms;
- the cost of one status poll (the executor's keep-alive GET vs. the SDK's get_job_info);
- all of it twice: with token auth, as the harness runs Ray, and with auth disabled, to price the token.

Run: ``python benchmarks/bench_ray_executor.py [--jobs N]``. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.executors.ray_executor import RayExecutor
from harness.executors.ray_runtime import RayRuntime
from harness.sim.clock import Clock
from harness.sim.dashboard import ClusterHandle, RayDashboard, SubmitRequest

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


def measure(runtime: RayRuntime, jobs: int) -> dict[str, list[float]]:
    """Every figure of one runtime: its start, submit->SUCCEEDED both ways, status polls both ways, its stop."""
    from ray.job_submission import JobSubmissionClient

    figures: dict[str, list[float]] = {}
    started = time.monotonic()
    runtime.start()
    figures["runtime start (until the job API answers)"] = [time.monotonic() - started]
    try:
        executor = RayExecutor(runtime)
        clock = Clock()
        clock.add_real_work(executor)
        dashboard = RayDashboard(ClusterHandle("default", "bench", "0badc0de-0000-4000-a000-000000000000"),
                                 executor, clock)
        dashboard.serving = True
        client = JobSubmissionClient(runtime.dashboard_url, headers=runtime.auth_headers)
        through_sdk(client, "warm-sdk")
        figures["first job through the executor"] = [through_executor(executor, clock, dashboard, "warm-executor")]
        harness_times, sdk_times = [], []
        for index in range(jobs):  # interleaved, so both see the same runtime state
            harness_times.append(through_executor(executor, clock, dashboard, f"h{index}"))
            sdk_times.append(through_sdk(client, f"s{index}"))
        figures["submit->SUCCEEDED, executor"] = harness_times
        figures["submit->SUCCEEDED, raw SDK baseline"] = sdk_times

        real_id = executor.real_submission_id(dashboard.jobs["h0"])
        http = executor._dashboard()
        polls, sdk_polls = [], []
        for _ in range(50):
            t = time.perf_counter()
            http.get_json(f"/api/jobs/{real_id}")
            polls.append(time.perf_counter() - t)
        for _ in range(50):
            t = time.perf_counter()
            client.get_job_info(real_id)
            sdk_polls.append(time.perf_counter() - t)
        figures["one status poll, executor keep-alive"] = polls
        figures["one status poll, SDK get_job_info"] = sdk_polls
        executor.close()
    finally:
        started = time.monotonic()
        left = runtime.stop()
        figures["runtime stop"] = [time.monotonic() - started]
        assert left == [], f"processes survived the stop: {left}"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs per path (default 10)")
    args = parser.parse_args()

    # The harness always runs Ray with token auth; the second runtime turns it off only to price it.
    modes = {"token auth (as the harness runs Ray)": {},
             "auth disabled (for comparison only)": {"RAY_AUTH_MODE": "disabled"}}
    results = {}
    for mode, extra_env in modes.items():
        print(f"== {mode}")
        figures = results[mode] = measure(RayRuntime(extra_env=extra_env), args.jobs)
        for name, values in figures.items():
            print(summary(name, values))
        executor, sdk = (statistics.median(figures[f"submit->SUCCEEDED, {w}"])
                         for w in ("executor", "raw SDK baseline"))
        print(f"harness overhead (median difference)     {(executor - sdk) * 1000:7.1f} ms "
              f"({(executor - sdk) / sdk * 100:.1f} % of Ray's own latency)")
    with_auth, without = results.values()
    print("== cost of token auth (median with minus median without)")
    for name in with_auth:
        cost = statistics.median(with_auth[name]) - statistics.median(without[name])
        print(f"{name:<38} {cost * 1000:+8.1f} ms")


if __name__ == "__main__":
    main()
