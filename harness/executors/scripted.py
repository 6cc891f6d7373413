"""The scripted executor: Ray jobs end as declared (runtime, exit code, output), in pure virtual time.

It implements the dashboard's :class:`~harness.raysim.dashboard.Executor` protocol: a submitted job becomes two
clock events (RUNNING after ``startup``, the declared end after ``runtime``), reported through the job's
:class:`~harness.raysim.dashboard.JobSink`. Stopping and head loss behave as measured on Ray.

Not here: choosing the script (:class:`~.settings.JobScripts`), the real executor (:mod:`.ray_executor`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model.enums import JobStatus
from ..raysim.dashboard import ClusterHandle, ConfigMapLookup, JobRecord, JobSink
from ..sim.clock import PRIORITY_KUBELET, Clock
from .settings import JobScript, JobScripts

JOB_START_TIMEOUT = 900.0  # RAY_JOB_START_TIMEOUT_SECONDS default
START_TIMEOUT_MESSAGE = ("Job supervisor actor failed to start within 900.0 seconds. This timeout can be configured "
                         "by setting the environment variable RAY_JOB_START_TIMEOUT_SECONDS.")
ENTRYPOINT_FAILED_TEMPLATE = "Job entrypoint command failed with exit code {code}, last available logs " \
                             "(truncated to 20,000 chars):\n{tail}"


class ScriptedExecutor:
    """Runs Ray jobs as declared by :class:`JobScripts`, in virtual time.

    A job's script is chosen by :meth:`JobScripts.script_for`. A script with ``attempts`` then picks the entry
    for the job's attempt: the executor counts the Ray jobs submitted for each RayJob (by namespace and
    ``SubmitRequest.rayjob``; a job with no RayJob is always attempt 1). Everything happens through clock
    events, so the run is deterministic.
    """

    name = "scripted"

    def __init__(self, scripts: JobScripts | JobScript | None = None) -> None:
        """``scripts``: the behaviour of every job; a lone :class:`JobScript` is the default of all jobs."""
        self.scripts = scripts if isinstance(scripts, JobScripts) else JobScripts(default=scripts)
        self.warnings: list[str] = []
        self._timers: dict[str, list[Any]] = {}
        self._submitted: dict[tuple[str, str], int] = {}  # (namespace, RayJob) -> Ray jobs started so far

    def attach(self, clock: Clock, configmaps: ConfigMapLookup) -> None:
        return None  # pure virtual time; reads no files

    def check_versions(self, *, ray_version: str) -> str | None:
        return None  # a scripted job runs on no Ray at all

    def head_log_source(self) -> Callable[[], list[str]] | None:
        return None

    def script_for(self, job: JobRecord, attempt: int = 1) -> JobScript:
        """The script ``job`` runs as the ``attempt``-th Ray job of its RayJob."""
        script = self.scripts.script_for(submission_id=job.submission_id, rayjob=job.request.rayjob,
                                         entrypoint=job.request.entrypoint)
        return script.for_attempt(attempt)

    def _next_attempt(self, job: JobRecord) -> int:
        if not job.request.rayjob:
            return 1
        key = (job.cluster.namespace, job.request.rayjob)
        self._submitted[key] = self._submitted.get(key, 0) + 1
        return self._submitted[key]

    def start(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        script = self.script_for(job, self._next_attempt(job))
        sid = job.submission_id
        timers = self._timers.setdefault(f"{job.cluster.uid}/{sid}", [])

        def run() -> None:
            sink.append_log(sid, ["Runtime env is setting up.",
                                  f"Running entrypoint for job {sid}: {job.request.entrypoint}"])
            sink.set_status(sid, JobStatus.RUNNING, message="Job is currently running.")
            if script.output:
                sink.append_log(sid, list(script.output))

        def finish() -> None:
            if script.stopped:
                sink.set_status(sid, JobStatus.STOPPED, message="Job was intentionally stopped.")
            elif script.exit_code == 0:
                sink.set_status(sid, JobStatus.SUCCEEDED, message="Job finished successfully.",
                                driver_exit_code=0)
            else:
                tail = "\n".join(script.output[-20:])
                sink.set_status(sid, JobStatus.FAILED,
                                message=ENTRYPOINT_FAILED_TEMPLATE.format(code=script.exit_code, tail=tail),
                                driver_exit_code=script.exit_code, error_type="JOB_ENTRYPOINT_COMMAND_ERROR")

        timers.append(clock.call_later(script.startup, run, priority=PRIORITY_KUBELET, label=f"ray run {sid}"))
        timers.append(clock.call_later(script.startup + script.runtime, finish, priority=PRIORITY_KUBELET,
                                       label=f"ray finish {sid}"))

    def stop(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        key = f"{job.cluster.uid}/{job.submission_id}"
        sid = job.submission_id
        for timer in self._timers.pop(key, []):
            timer.cancel()
        if job.status == JobStatus.PENDING:
            # Measured with Ray 2.60: stopping a PENDING job kills its supervisor before the driver starts, so
            # the job stays PENDING until the job start timeout (900 s) and then FAILS.
            submitted = job.history[0][0] if job.history else clock.now
            self._timers[key] = [clock.call_at(
                submitted + JOB_START_TIMEOUT,
                lambda: sink.set_status(sid, JobStatus.FAILED, message=START_TIMEOUT_MESSAGE,
                                        error_type="JOB_SUPERVISOR_ACTOR_START_TIMEOUT"),
                priority=PRIORITY_KUBELET, label=f"ray start timeout {sid}")]
            return
        clock.call_later(0.1, lambda: sink.set_status(sid, JobStatus.STOPPED,
                                                      message="Job was intentionally stopped."),
                         priority=PRIORITY_KUBELET, label=f"ray stop {sid}")

    def cluster_deleted(self, cluster: ClusterHandle, jobs: list[JobRecord]) -> None:
        for job in jobs:
            for timer in self._timers.pop(f"{cluster.uid}/{job.submission_id}", []):
                timer.cancel()

    def close(self) -> None:
        self._timers.clear()
