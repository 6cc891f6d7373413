"""What a Ray dashboard answers KubeRay's job-status query when a scenario makes it lie or fail.

KubeRay's own controller tests replace the dashboard client with a fake whose ``GetJobInfo`` returns an error
("connection refused"), a 404 (turned into "not found") or a job info with a chosen status; the operator's
timeouts and failure paths (``JobStatusCheckTimeoutExceeded``, "Submitter completed but Ray job not found in
RayCluster.") are reached that way. A :class:`JobInfoFault` is that fake answer, set on one RayCluster's dashboard
at a chosen moment; :func:`faulted_job_info` is the answer itself (pure).

Only the operator's status query is affected, as with upstream's fake client: the submitter's ``ray job`` calls,
the job itself and a user's ``ray job submit`` see the real dashboard.

Not here: the job table (:mod:`.dashboard`), which dashboard a URL reaches (:mod:`.directory`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..model.enums import JobStatus
from .dashboard import DashboardError, JobNotFound, JobRecord

DEFAULT_ERROR = "connection refused"  # what upstream's tests make the fake client return


class JobInfoUnavailable(DashboardError):
    """The faulted status query failed (not a 404): the operator counts it as a failing status check."""


@dataclass(frozen=True)
class JobInfoFault:
    """The answer to ``GET /api/jobs/<id>`` while the fault lasts; ``since_ms`` is when it was set (epoch ms)."""

    answer: Literal["error", "not_found", "status"]
    job_status: JobStatus | None = None
    message: str | None = None
    since_ms: int = 0


def faulted_job_info(fault: JobInfoFault, record: JobRecord | None, submission_id: str) -> dict[str, Any]:
    """The job info the fault answers, or the error it raises (pure).

    A ``status`` answer keeps what the dashboard really knows of the job (entrypoint, times) and replaces its
    status and, when given, its message; a job the dashboard does not know is answered with just that status.
    A terminal status without an end time ends the job when the fault was set.
    """
    if fault.answer == "error":
        raise JobInfoUnavailable(f"GetJobInfo fail: {fault.message or DEFAULT_ERROR}")
    if fault.answer == "not_found":
        raise JobNotFound(f"Job {submission_id} does not exist on the cluster")
    assert fault.job_status is not None
    info: dict[str, Any] = record.info() if record is not None else {
        "type": "SUBMISSION", "job_id": None, "submission_id": submission_id, "entrypoint": "",
        "status": "", "message": "", "error_type": None, "start_time": 0, "end_time": 0, "metadata": {},
        "runtime_env": {}, "driver_exit_code": None}
    info["status"] = fault.job_status.value
    if fault.message is not None:
        info["message"] = fault.message
    elif record is None or record.status != fault.job_status:
        info["message"] = ""
    if not info["start_time"]:
        info["start_time"] = fault.since_ms
    if fault.job_status.is_terminal and not info["end_time"]:
        info["end_time"] = fault.since_ms
    if not fault.job_status.is_terminal:
        info["end_time"] = 0
    return info
