"""The Ray dashboard model: one job table per simulated Ray head, and the Executor seam that runs the jobs.

KubeRay talks to Ray only through the dashboard's job API (``GET /api/jobs/<id>``, ``POST /api/jobs/``,
``POST /api/jobs/<id>/stop``, ``GET /api/jobs/<id>/logs``). This module models that API over a job table and
delegates *how a job runs* to an :class:`Executor`: the scripted one (declared outcome, pure virtual time)
ships here; the real one (a local Ray runtime) lives in ``harness.executors``.

The table is keyed by RayCluster uid: a RayCluster re-created under the same name gets a fresh, empty head, as
on a real cluster. Not here: how the operator finds the dashboard (``harness.kuberay``), HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import HarnessError
from ..model.enums import JobStatus
from .clock import PRIORITY_KUBELET, Clock


class DashboardError(HarnessError):
    """A failed dashboard call, worded as KubeRay's dashboard client reports it."""


class JobNotFound(DashboardError):
    """``GET /api/jobs/<id>`` answered 404 (KubeRay turns it into a BadRequest error)."""


class DashboardUnavailable(DashboardError):
    """The head is not serving the dashboard (pod not running, cluster gone): a connection error."""


class SubmissionRejected(DashboardError):
    """``POST /api/jobs/`` failed, e.g. HTTP 500 "Please use a different submission_id"."""


@dataclass(frozen=True)
class ClusterHandle:
    """What an executor may know about the Ray cluster a job runs on."""

    namespace: str
    name: str
    uid: str
    head_pod: Mapping[str, Any] | None = None  # raw Pod: head container env, volumes, image


@dataclass(frozen=True)
class SubmitRequest:
    """The body of ``POST /api/jobs/`` (also what a submitter pod sends through ``ray job submit``)."""

    submission_id: str
    entrypoint: str
    runtime_env: Mapping[str, Any] | None = None
    metadata: Mapping[str, str] | None = None
    entrypoint_num_cpus: float | None = None
    entrypoint_num_gpus: float | None = None
    entrypoint_resources: Mapping[str, float] | None = None
    submitted_by: str = "operator"  # "operator" (HTTPMode), "submitter", "sidecar" or "user"
    rayjob: str = ""  # the RayJob this submission belongs to, when known (lets scripts target one RayJob)


@dataclass
class JobRecord:
    """One row of the dashboard's job table (Ray's ``JobDetails``), plus the driver log."""

    request: SubmitRequest
    cluster: ClusterHandle
    status: JobStatus = JobStatus.PENDING
    message: str = "Job has not started yet. It may be waiting for the runtime environment to be set up."
    start_time_ms: int = 0
    end_time_ms: int = 0
    driver_exit_code: int | None = None
    error_type: str | None = None
    driver_log: list[str] = field(default_factory=list)
    stop_requested: bool = False
    history: list[tuple[float, JobStatus]] = field(default_factory=list)

    @property
    def submission_id(self) -> str:
        return self.request.submission_id

    def info(self) -> dict[str, Any]:
        """The JSON of ``GET /api/jobs/<id>`` (the fields KubeRay's ``RayJobInfo`` decodes)."""
        return {
            "type": "SUBMISSION", "job_id": None, "submission_id": self.submission_id,
            "entrypoint": self.request.entrypoint, "status": self.status.value, "message": self.message,
            "error_type": self.error_type, "start_time": self.start_time_ms, "end_time": self.end_time_ms,
            "metadata": dict(self.request.metadata or {}), "runtime_env": dict(self.request.runtime_env or {}),
            "driver_exit_code": self.driver_exit_code,
        }


class JobSink(Protocol):
    """How an executor reports progress of a job back into the dashboard model."""

    def set_status(self, submission_id: str, status: JobStatus, *, message: str | None = None,
                   driver_exit_code: int | None = None, error_type: str | None = None) -> None: ...

    def append_log(self, submission_id: str, lines: list[str]) -> None: ...


class Executor(Protocol):
    """Decides how a submitted Ray job runs. Implementations: :class:`ScriptedExecutor`, the Ray executor."""

    name: str

    def start(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        """Begin running ``job``; report through ``sink`` (immediately or from clock events)."""
        ...

    def stop(self, job: JobRecord, sink: JobSink, clock: Clock) -> None:
        """``stop_job``: end the job with STOPPED if it is running (a PENDING job is not stopped, as in Ray)."""
        ...

    def cluster_deleted(self, cluster: ClusterHandle, jobs: list[JobRecord]) -> None:
        """The head pod went away: every job on it dies with it (no status update reaches anyone)."""
        ...

    def close(self) -> None: ...


class RayDashboard(JobSink):
    """The job API of one simulated Ray head."""

    def __init__(self, cluster: ClusterHandle, executor: Executor, clock: Clock) -> None:
        self.cluster = cluster
        self.executor = executor
        self.clock = clock
        self.jobs: dict[str, JobRecord] = {}
        self.serving = False  # the head container is running and `ray start` has brought the dashboard up
        self.gone = False

    # -- the job API, as KubeRay's dashboard client sees it --------------------------------------------------------

    def _check_serving(self) -> None:
        if self.gone or not self.serving:
            raise DashboardUnavailable(
                f"dial tcp: connect: connection refused (Ray head of RayCluster "
                f"{self.cluster.namespace}/{self.cluster.name} is not serving the dashboard)")

    def get_job_info(self, submission_id: str) -> dict[str, Any]:
        self._check_serving()
        job = self.jobs.get(submission_id)
        if job is None:
            raise JobNotFound(f"Job {submission_id} does not exist on the cluster")
        return job.info()

    def submit_job(self, request: SubmitRequest) -> str:
        self._check_serving()
        if request.submission_id in self.jobs:
            raise SubmissionRejected(
                f"Job with submission_id {request.submission_id} already exists. "
                "Please use a different submission_id.")
        job = JobRecord(request, self.cluster)
        self.clock.touch()
        job.history.append((self.clock.now, job.status))
        self.jobs[request.submission_id] = job
        self.executor.start(job, self, self.clock)
        return request.submission_id

    def stop_job(self, submission_id: str) -> bool:
        self._check_serving()
        job = self.jobs.get(submission_id)
        if job is None:
            raise JobNotFound(f"Job {submission_id} does not exist on the cluster")
        if job.status.is_terminal:
            return False
        job.stop_requested = True
        self.clock.touch()
        self.executor.stop(job, self, self.clock)
        return True

    def get_job_logs(self, submission_id: str) -> str:
        self._check_serving()
        job = self.jobs.get(submission_id)
        if job is None:
            raise JobNotFound(f"Job {submission_id} does not exist on the cluster")
        return "".join(line + "\n" for line in job.driver_log)

    # -- JobSink: executors report here ----------------------------------------------------------------------------

    def set_status(self, submission_id: str, status: JobStatus, *, message: str | None = None,
                   driver_exit_code: int | None = None, error_type: str | None = None) -> None:
        job = self.jobs.get(submission_id)
        if job is None or self.gone or job.status.is_terminal:
            return
        self.clock.touch()
        if status == JobStatus.RUNNING and not job.start_time_ms:
            job.start_time_ms = self.clock.epoch_ms()
        if status.is_terminal:
            job.end_time_ms = self.clock.epoch_ms()
            if not job.start_time_ms:
                job.start_time_ms = job.end_time_ms
        job.status = status
        if message is not None:
            job.message = message
        if driver_exit_code is not None:
            job.driver_exit_code = driver_exit_code
        if error_type is not None:
            job.error_type = error_type
        job.history.append((self.clock.now, status))

    def append_log(self, submission_id: str, lines: list[str]) -> None:
        job = self.jobs.get(submission_id)
        if job is not None and not self.gone and lines:
            job.driver_log.extend(lines)
            self.clock.touch()

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def shut_down(self) -> None:
        """The head pod is gone: running jobs die with it; the table is unreachable from now on."""
        if self.gone:
            return
        self.gone = True
        self.serving = False
        self.clock.touch()
        self.executor.cluster_deleted(self.cluster, list(self.jobs.values()))


# -- the scripted executor -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobScript:
    """A declared outcome for a Ray job in the scripted executor.

    ``exit_code`` 0 ends SUCCEEDED, anything else FAILED (with Ray's JOB_ENTRYPOINT_COMMAND_ERROR wording);
    ``stopped=True`` ends STOPPED at ``runtime`` (as if someone ran ``ray job stop``). ``output`` lines are the
    driver's stdout. ``startup`` is the PENDING→RUNNING delay (the job supervisor starting).

    ``attempts`` scripts successive Ray jobs of one RayJob (a retry after ``backoffLimit``, a re-submission):
    the N-th Ray job submitted for the RayJob runs ``attempts[N-1]``, and the last one repeats. Without
    ``attempts`` every job runs this script.
    """

    runtime: float = 5.0
    exit_code: int = 0
    output: tuple[str, ...] = ()
    stopped: bool = False
    startup: float = 0.9
    attempts: tuple[JobScript, ...] = ()

    def for_attempt(self, attempt: int) -> JobScript:
        """The script of the ``attempt``-th (1-based) Ray job submitted for one RayJob."""
        if not self.attempts:
            return self
        return self.attempts[min(max(attempt, 1), len(self.attempts)) - 1]


JOB_START_TIMEOUT = 900.0  # RAY_JOB_START_TIMEOUT_SECONDS default
START_TIMEOUT_MESSAGE = ("Job supervisor actor failed to start within 900.0 seconds. This timeout can be configured "
                         "by setting the environment variable RAY_JOB_START_TIMEOUT_SECONDS.")
ENTRYPOINT_FAILED_TEMPLATE = "Job entrypoint command failed with exit code {code}, last available logs " \
                             "(truncated to 20,000 chars):\n{tail}"


class ScriptedExecutor:
    """Runs Ray jobs as declared by :class:`JobScript` (default, or per entrypoint / submission id), in virtual time.

    Matching order for a job's script: an exact submission id, then the RayJob's name, then the first entrypoint
    substring, then the default. A script with ``attempts`` then picks the entry for the job's attempt: the
    executor counts the Ray jobs submitted for each RayJob (by namespace and ``SubmitRequest.rayjob``; a job
    with no RayJob is always attempt 1). Everything happens through clock events, so the run is deterministic.
    """

    name = "scripted"

    def __init__(self, default: JobScript | None = None, *,
                 by_entrypoint: Mapping[str, JobScript] | None = None,
                 by_submission_id: Mapping[str, JobScript] | None = None,
                 by_rayjob: Mapping[str, JobScript] | None = None) -> None:
        self.default = default or JobScript()
        self.by_entrypoint = dict(by_entrypoint or {})
        self.by_submission_id = dict(by_submission_id or {})
        self.by_rayjob = dict(by_rayjob or {})
        self._timers: dict[str, list[Any]] = {}
        self._submitted: dict[tuple[str, str], int] = {}  # (namespace, RayJob) -> Ray jobs started so far

    def script_for(self, job: JobRecord, attempt: int = 1) -> JobScript:
        """The script ``job`` runs as the ``attempt``-th Ray job of its RayJob."""
        if job.submission_id in self.by_submission_id:
            script = self.by_submission_id[job.submission_id]
        elif job.request.rayjob in self.by_rayjob:
            script = self.by_rayjob[job.request.rayjob]
        else:
            script = next((script for needle, script in self.by_entrypoint.items()
                           if needle in job.request.entrypoint), self.default)
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
