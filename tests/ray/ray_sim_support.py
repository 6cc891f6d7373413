"""Helpers for the real-Ray specifications: simulated Ray heads over the ``ray`` executor, and bounded waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.executors.ray_executor import RayExecutor
from harness.raysim.dashboard import ClusterHandle, JobRecord, RayDashboard, SubmitRequest
from harness.sim.clock import Clock


def eventually(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait (wall time) until ``condition()`` is truthy; return its value, or its last value on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


@dataclass
class RaySim:
    """Simulated Ray heads over one executor and one clock, as the simulator wires them."""

    executor: RayExecutor
    clock: Clock = field(default_factory=Clock)
    _uids: int = 0

    def __post_init__(self) -> None:
        self.clock.add_real_work(self.executor)

    def head(self, name: str = "raycluster", *, uid: str | None = None,
             head_pod: dict[str, Any] | None = None) -> RayDashboard:
        self._uids += 1
        handle = ClusterHandle("default", name, uid or f"{self._uids:08x}-0000-4000-a000-000000000000", head_pod)
        dashboard = RayDashboard(handle, self.executor, self.clock)
        dashboard.serving = True
        return dashboard

    def submit(self, dashboard: RayDashboard, submission_id: str, entrypoint: str, **options: Any) -> JobRecord:
        dashboard.submit_job(SubmitRequest(submission_id, entrypoint, **options))
        return dashboard.jobs[submission_id]

    def run_until(self, condition: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Run the simulation until ``condition`` holds; virtual time follows the wall clock while Ray works."""
        return self.clock.run(until=self.clock.now + timeout, stop=condition)

    def finish(self, job: JobRecord, timeout: float = 60.0) -> JobRecord:
        assert self.run_until(lambda: job.status.is_terminal, timeout), f"job still {job.status} {job.message}"
        return job
