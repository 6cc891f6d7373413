"""How much the ``ray`` executor adds on top of Ray itself.

Measures, on one local runtime started by the harness:
- the runtime's start time (``ray start --head`` until the job API answers) and stop time;
- submit -> SUCCEEDED of ``python -c 'print(1)'`` through RayDashboard + RayExecutor under the clock's wall-clock
  pacing, against a baseline that submits with Ray's JobSubmissionClient and polls every 10 ms;
- the cost of one status poll (the executor's keep-alive GET vs. the SDK's get_job_info).

Run: ``python benchmarks/bench_ray_executor.py [--jobs N]``. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

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


def through_sdk(client: object, sid: str) -> float:
    started = time.monotonic()
    client.submit_job(entrypoint=ENTRYPOINT, submission_id=sid)  # type: ignore[attr-defined]
    while True:
        status = client.get_job_status(sid).value  # type: ignore[attr-defined]
        if status in ("SUCCEEDED", "FAILED", "STOPPED"):
            assert status == "SUCCEEDED"
            return time.monotonic() - started
        time.sleep(0.01)


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<34} median {statistics.median(values) * 1000:7.1f} ms   mean {statistics.mean(values) * 1000:7.1f}"
            f" ms   min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs per path (default 10)")
    args = parser.parse_args()

    runtime = RayRuntime()
    started = time.monotonic()
    runtime.start()
    print(f"runtime start (until the job API answers)  {time.monotonic() - started:6.2f} s")
    try:
        from ray.job_submission import JobSubmissionClient

        executor = RayExecutor(runtime)
        clock = Clock()
        clock.add_real_work(executor)
        dashboard = RayDashboard(ClusterHandle("default", "bench", "0badc0de-0000-4000-a000-000000000000"),
                                 executor, clock)
        dashboard.serving = True
        client = JobSubmissionClient(runtime.dashboard_url)
        through_sdk(client, "warm-sdk")
        first = through_executor(executor, clock, dashboard, "warm-executor")
        print(f"first job through the executor (cold SDK)  {first:6.2f} s")

        harness_times, sdk_times = [], []
        for index in range(args.jobs):  # interleaved, so both see the same runtime state
            harness_times.append(through_executor(executor, clock, dashboard, f"h{index}"))
            sdk_times.append(through_sdk(client, f"s{index}"))
        print(summary("submit->SUCCEEDED, executor", harness_times))
        print(summary("submit->SUCCEEDED, raw SDK baseline", sdk_times))
        overhead = statistics.median(harness_times) - statistics.median(sdk_times)
        print(f"harness overhead (median difference)       {overhead * 1000:6.1f} ms "
              f"({overhead / statistics.median(sdk_times) * 100:.1f} % of Ray's own latency; "
              f"clock poll interval {clock.poll_interval * 1000:.0f} ms)")

        real_id = executor.real_submission_id(dashboard.jobs["h0"])
        http = executor._dashboard()
        polls = []
        for _ in range(50):
            t = time.perf_counter()
            http.get_json(f"/api/jobs/{real_id}")
            polls.append(time.perf_counter() - t)
        sdk_polls = []
        for _ in range(50):
            t = time.perf_counter()
            client.get_job_info(real_id)
            sdk_polls.append(time.perf_counter() - t)
        print(summary("one status poll, executor keep-alive", polls))
        print(summary("one status poll, SDK get_job_info", sdk_polls))
        executor.close()
    finally:
        started = time.monotonic()
        left = runtime.stop()
        print(f"runtime stop                               {time.monotonic() - started:6.2f} s  leftovers={left}")


if __name__ == "__main__":
    main()
