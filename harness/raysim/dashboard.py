"""The Ray dashboard model: one job table per simulated Ray head, and the Executor seam that runs the jobs.

KubeRay talks to Ray only through the dashboard's job API (``GET /api/jobs/<id>``, ``POST /api/jobs/``,
``POST /api/jobs/<id>/stop``, ``GET /api/jobs/<id>/logs``). This module models that API over a job table and
delegates *how a job runs* to an :class:`Executor` (``harness.executors``: scripted, or a local Ray runtime),
which reports back through the :class:`JobSink` it is handed.

The table is keyed by RayCluster uid: a RayCluster re-created under the same name gets a fresh, empty head, as
on a real cluster. Not here: how a URL reaches a dashboard (:mod:`.directory`), HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import HarnessError
from ..model.enums import JobStatus
from ..sim.clock import Clock


class DashboardError(HarnessError):
    """A failed dashboard call, worded as KubeRay's dashboard client reports it."""


class JobNotFound(DashboardError):
    """``GET /api/jobs/<id>`` answered 404 (KubeRay turns it into a BadRequest error)."""


class DashboardUnavailable(DashboardError):
    """The head is not serving the dashboard (pod not running, cluster gone): a connection error."""


class Unauthorized(DashboardError):
    """The cluster runs with token authentication (``authOptions.mode: token``) and the request's
    ``x-ray-authorization: Bearer <token>`` header is missing or wrong: HTTP 401."""


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


ConfigMapLookup = Callable[[str, str], "Mapping[str, Any] | None"]
"""``(namespace, name) -> ConfigMap object or None``: the ConfigMaps of the world an executor serves."""


class Executor(Protocol):
    """Decides how a submitted Ray job runs (``harness.executors``: the scripted and the Ray executor).

    Every executor answers every method; one that does no real work answers the optional ones trivially (no
    version notes, no warnings, no real ``ray start`` output), so callers never probe for attributes.
    """

    name: str
    warnings: list[str]  # notes for the user (version mismatches, capped resources...), each once

    def attach(self, clock: Clock, configmaps: ConfigMapLookup) -> None:
        """The world this executor serves: its clock (an executor doing real work registers as the clock's
        :class:`~harness.sim.clock.RealWork`) and its ConfigMaps (for the head pod's ConfigMap volumes)."""
        ...

    def check_versions(self, *, ray_version: str) -> str | None:
        """A note when the RayCluster's ``rayVersion`` differs from the Ray that will run the jobs, or None."""
        ...

    def head_log_source(self) -> Callable[[], list[str]] | None:
        """Where the head container's real ``ray start`` output is read from, or None for the simulated one."""
        ...

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
        self.gone_at: float | None = None  # virtual time the head stopped; its job table is what it was then
        # Token authentication (Ray 2.52+, KubeRay authOptions.mode=token): the head's RAY_AUTH_TOKEN, or None.
        self.auth_token: str | None = None

    def authorize(self, token: str | None) -> None:
        """Check a client's bearer token the way the dashboard's auth middleware does (401 when it differs)."""
        if self.auth_token is None:
            return
        if not token:
            raise Unauthorized("401 Unauthorized: Missing authentication token. The Ray cluster requires token "
                               "authentication (RAY_AUTH_MODE=token); set RAY_AUTH_TOKEN")
        if token != self.auth_token:
            raise Unauthorized("401 Unauthorized: Invalid authentication token")

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
        if job is not None and not self.gone:
            job.driver_log.extend(lines)

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def shut_down(self) -> None:
        """The head pod is gone: running jobs die with it; the table is unreachable from now on."""
        if self.gone:
            return
        self.gone = True
        self.gone_at = self.clock.now
        self.serving = False
        self.executor.cluster_deleted(self.cluster, list(self.jobs.values()))
