"""Why a RayJob ended where it did, in the operator's own words: the lines under a failed or unsettled RayJob.

A RayJob's status says little when it goes wrong: one stuck in Initializing has no reason and no message, and
``SubmissionFailed`` says only that the submitter Job hit its backoff limit. The evidence is elsewhere, and this
module gathers it through the Backend protocol, so it reads the same on every backend:

- the operator's log (its errors about the RayJob and the RayClusters it created, each quoted once with a count:
  "dashboard port is not found", logged every retry for as long as the run lasted);
- Warning events on the RayJob and its RayClusters, less those repeating the status message;
- where the RayJob waits: the RayCluster not ready and which of its pods are not, or ready while the operator
  cannot go on; for a deadline, the state the RayJob was still in when it passed;
- the last error line of the submitter log (``SubmissionFailed``) or of the driver log (``AppFailed``).

Each :class:`Explanation` also names the logs that show more, most telling first, for the front end to turn into
its own words (``--logs operator`` on the command line). Not here: deciding whether the outcome was the one asked
for (:mod:`.outcomes`), printing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .._util.durations import format_duration
from ..backends.base import Backend, LogSource, LogUnavailable
from ..backends.logs import read_driver_log
from ..errors import HarnessError
from ..model.enums import JobDeploymentStatus, JobFailedReason, JobStatus
from ..model.labels import LABEL_CLUSTER, LABEL_NODE_TYPE
from .outcomes import RayJobOutcome

MAX_OPERATOR_ERRORS: Final = 3
MAX_EVENTS: Final = 3
MAX_PODS: Final = 3
_QUOTE_LIMIT: Final = 240
_LEADING_TIME: Final = re.compile(r"^\s*(?P<t>\d+(?:\.\d+)?)s?\s+|^\s*\d{4}-\d\d-\d\dT\S+\s+")
_SUBJECT: Final = re.compile(r"^(?:RayJob|RayCluster) [\w.-]+/[\w.-]+:?\s+")
_ERROR_WORDS: Final = re.compile(r"error|fail|invalid|not found|refused|timeout|exceeded", re.IGNORECASE)
_ERROR_LINE: Final = re.compile(r"^\s*(?:[\w.]*(?:Error|Exception|Exit)\b|ERROR\b|error:|Error:|FATAL\b)")
_DEADLINES: Final = (JobFailedReason.DEADLINE_EXCEEDED.value, JobFailedReason.PRE_RUNNING_DEADLINE_EXCEEDED.value)


@dataclass(frozen=True)
class Explanation:
    """Lines saying why, and the log sources that show more (most telling first)."""

    why: tuple[str, ...]
    logs: tuple[LogSource, ...] = ()
    refused_spec: bool = False  # the operator refused the spec: static validation would have said so before


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return '"' + (text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…") + '"'


def _at(t: float) -> str:
    """A point in backend time (seconds since the run started), told apart from durations."""
    return "t=" + format_duration(round(t, 3))


def last_error_line(text: str) -> str | None:
    """The last line of a log that reads as an error (``ValueError: ...``, ``ERROR ...``), else its last line."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("==> pod ")]
    for line in reversed(lines):
        if _ERROR_LINE.match(line):
            return line.strip()
    return lines[-1].strip() if lines else None


@dataclass(frozen=True)
class _Repeated:
    text: str
    count: int
    first: float | None


def repeated_errors(lines: Sequence[str]) -> list[tuple[str, int, float | None]]:
    """The distinct error lines of an operator log, without time and subject: (text, count, first time if the
    line starts with seconds), ordered by their last occurrence."""
    groups: dict[str, _Repeated] = {}
    for line in lines:
        match = _LEADING_TIME.match(line)
        t = float(match.group("t")) if match and match.group("t") else None
        text = _SUBJECT.sub("", line[match.end():] if match else line).strip()
        if not text or not _ERROR_WORDS.search(text):
            continue
        seen = groups.pop(text, None)
        groups[text] = _Repeated(text, (seen.count if seen else 0) + 1, seen.first if seen else t)
    return [(g.text, g.count, g.first) for g in groups.values()]


class _Evidence:
    """What the backend can tell about one RayJob, each read at most once."""

    def __init__(self, backend: Backend, outcome: RayJobOutcome) -> None:
        self.backend = backend
        self.outcome = outcome
        self.namespace = outcome.namespace
        self.obj = backend.get("RayJob", outcome.name, namespace=outcome.namespace)
        names = [str(v) for _, v in backend.journal.values("status.rayClusterName", kind="RayJob",
                                                            namespace=outcome.namespace, name=outcome.name) if v]
        self.clusters = list(dict.fromkeys(names))

    @property
    def spec(self) -> Mapping[str, Any]:
        return (self.obj or {}).get("spec") or {}

    @property
    def cluster(self) -> str | None:
        return self.clusters[-1] if self.clusters else None

    @functools.cached_property
    def operator_lines(self) -> list[str]:
        objects = [("RayJob", self.outcome.name), *(("RayCluster", c) for c in self.clusters)]
        return self.backend.operator_log(namespace=self.namespace, objects=objects)

    def operator_errors(self) -> list[str]:
        out = []
        for text, count, first in repeated_errors(self.operator_lines)[-MAX_OPERATOR_ERRORS:]:
            times = "once" if count == 1 else f"{count} times"
            since = f", first at {_at(first)}" if first is not None else ""
            out.append(f"the operator logged {_quote(text)} ({times}{since})")
        return out

    def warning_events(self) -> list[str]:
        about = {("RayJob", self.outcome.name), *(("RayCluster", c) for c in self.clusters)}
        seen: dict[tuple[str, str], int] = {}
        for event in self.backend.events(namespace=self.namespace):
            involved = event.get("involvedObject") or {}
            if event.get("type") != "Warning" or (involved.get("kind"), involved.get("name")) not in about:
                continue
            key = (str(event.get("reason") or ""), str(event.get("message") or ""))
            if self.outcome.message and self.outcome.message in key[1]:
                continue  # the status message already says it
            seen[key] = seen.get(key, 0) + max(1, int(event.get("count") or 1))
        return [f"Warning event {reason}{f' (x{count})' if count > 1 else ''}: {_quote(message)}"
                for (reason, message), count in list(seen.items())[-MAX_EVENTS:]]

    def cluster_state(self) -> list[str]:
        """Where the RayCluster is on its way to ready: absent, not ready (and which pods), or ready."""
        cluster = self.cluster
        if cluster is None:
            return ["the operator has not named a RayCluster yet (status.rayClusterName is empty)"]
        obj = self.backend.get("RayCluster", cluster, namespace=self.namespace)
        if obj is None:
            created = self.backend.journal.select(kind="RayCluster", namespace=self.namespace, name=cluster)
            return [f"RayCluster {cluster} {'was deleted' if created else 'does not exist'}"]
        states = self.backend.journal.values("status.state", kind="RayCluster", namespace=self.namespace,
                                             name=cluster)
        if (obj.get("status") or {}).get("state") == "ready":
            since = f" since {_at(states[-1][0])}" if states else ""
            return [f"RayCluster {cluster} has been ready{since}, yet the RayJob did not move on"]
        return [f"RayCluster {cluster} is not ready", *self.pods_not_ready(cluster)]

    def pods_not_ready(self, cluster: str) -> list[str]:
        pods = self.backend.list("Pod", namespace=self.namespace, selector={LABEL_CLUSTER: cluster})
        if not pods:
            return [f"RayCluster {cluster} has no pods"]
        out = [line for pod in pods if (line := pod_problem(pod)) is not None]
        return out[:MAX_PODS] + ([f"... and {len(out) - MAX_PODS} more pods"] if len(out) > MAX_PODS else [])

    def submitter(self) -> list[str]:
        try:
            log = self.backend.logs(namespace=self.namespace, source="submitter", rayjob=self.outcome.name)
        except HarnessError as exc:
            return [f"the submitter log cannot be read: {exc.message}"]
        line = last_error_line(log.text)
        pods = log.text.count("==> pod ")
        attempts = f" ({pods} submitter pods)" if pods > 1 else ""
        return [f"the submitter log ends with {_quote(line)}{attempts}"] if line else ["the submitter log is empty"]

    def driver(self) -> tuple[list[str], LogSource]:
        """The driver log's last error line, and the source that shows it (driver, else submitter)."""
        try:
            log = read_driver_log(self.backend, namespace=self.namespace, rayjob=self.outcome.name)
        except LogUnavailable:
            lines = self.submitter()
            return lines, "submitter"
        line = last_error_line(log.text)
        captured = " (as captured before its head pod was deleted)" if log.note else ""
        return ([f"the driver log{captured} ends with {_quote(line)}"] if line else []), "driver"


def pod_problem(pod: Mapping[str, Any]) -> str | None:
    """Why a pod is not ready (phase, a condition that is False with a reason, a waiting or failed container),
    or None for a ready pod."""
    status = pod.get("status") or {}
    name = pod["metadata"]["name"]
    role = ((pod["metadata"].get("labels") or {}).get(LABEL_NODE_TYPE)) or "pod"
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    if (conditions.get("Ready") or {}).get("status") == "True":
        return None
    details = []
    scheduled = conditions.get("PodScheduled") or {}
    if scheduled.get("status") == "False":
        details.append(f"not scheduled: {scheduled.get('reason', '')} {scheduled.get('message', '')}".strip())
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        for kind in ("waiting", "terminated"):
            detail = state.get(kind)
            if isinstance(detail, Mapping) and detail.get("reason") not in (None, "ContainerCreating", "Completed"):
                text = f"container {container.get('name')} {kind}: {detail.get('reason')}"
                details.append(text + (f" {_quote(str(detail['message']))}" if detail.get("message") else ""))
    phase = status.get("phase") or "Pending"
    return f"{role} pod {name} is {phase}, not ready" + (f" ({'; '.join(details)})" if details else "")


def _obstacles(evidence: _Evidence, lines: Sequence[str]) -> Explanation:
    """Why a RayJob is (or was) held in Initializing: the operator's errors, warnings, the RayCluster; more is in
    the operator's log when it logged errors, else in the head pod's."""
    errors = evidence.operator_errors()
    found = (*lines, *errors, *evidence.warning_events(), *evidence.cluster_state())
    return Explanation(found, ("operator",) if errors else ("head", "operator"))


def _failed(evidence: _Evidence, outcome: RayJobOutcome) -> Explanation:
    reason = outcome.reason
    if reason == JobFailedReason.SUBMISSION_FAILED.value:
        return Explanation((*evidence.submitter(), *evidence.warning_events()), ("submitter", "operator"))
    if reason == JobFailedReason.APP_FAILED.value:
        lines, source = evidence.driver()
        return Explanation(tuple(lines) or ("the Ray job failed",), (source,))
    if reason in _DEADLINES:
        was = outcome.previous or JobDeploymentStatus.NEW
        lines = [f"it was still {was.value or 'New'} when the deadline passed, at {_at(outcome.since)}"]
        if was is JobDeploymentStatus.INITIALIZING:
            return _obstacles(evidence, lines)
        job = f"the Ray job was {outcome.job_status}" if outcome.job_status else "the Ray job had no status yet"
        return Explanation((*lines, job), ("driver", "operator"))
    if reason == JobFailedReason.GRACE_PERIOD_EXCEEDED.value:
        return Explanation((f"the Ray job ended {outcome.job_status}, and the submitter had not finished within the "
                            "grace period",), ("submitter",))
    return Explanation((*evidence.operator_errors(), *evidence.warning_events()), ("operator",))


def _unsettled(evidence: _Evidence, outcome: RayJobOutcome, now: float) -> Explanation:
    state = outcome.deployment
    held = f"{state.value or 'New'} after {format_duration(round(max(0.0, now - outcome.since), 3))} " \
        f"(since {_at(outcome.since)})"
    if state is JobDeploymentStatus.INITIALIZING:
        return _obstacles(evidence, [f"still {held}"])
    if state is JobDeploymentStatus.RUNNING:
        try:
            ended = JobStatus(outcome.job_status).is_terminal
        except ValueError:
            ended = False
        if ended:
            return Explanation((f"still {held}: the Ray job ended {outcome.job_status}, and the operator waits "
                                "for the submitter to finish",), ("submitter", "operator"))
        job = outcome.job_status or "not reported yet"
        return Explanation((f"still {held}: the Ray job is {job}", *evidence.operator_errors()), ("driver",))
    if state is JobDeploymentStatus.WAITING:
        return Explanation((f"still {held}: InteractiveMode waits for spec.jobId, set once a user has submitted the "
                            "job (ray job submit)",))
    if state in (JobDeploymentStatus.SUSPENDED, JobDeploymentStatus.SUSPENDING):
        return Explanation((f"{held}: spec.suspend is true, so the RayJob waits to be resumed",))
    if state is JobDeploymentStatus.RETRYING:
        return Explanation((f"still {held}, after {outcome.failed} failed attempt(s)", *evidence.operator_errors()),
                           ("operator",))
    managed_by = evidence.spec.get("managedBy")
    if managed_by and managed_by != "ray.io/kuberay-operator":
        return Explanation((f"the operator leaves it alone: spec.managedBy={managed_by}",))
    return Explanation(("the operator has not taken the RayJob", *evidence.operator_errors()), ("operator",))


def explain(backend: Backend, outcome: RayJobOutcome) -> Explanation:
    """Why ``outcome`` is what it is; empty for a RayJob that completed."""
    if outcome.deployment is JobDeploymentStatus.COMPLETE and not outcome.reason:
        return Explanation(())
    evidence = _Evidence(backend, outcome)
    if outcome.deployment is JobDeploymentStatus.VALIDATION_FAILED:
        found = Explanation(("the operator refused the spec and will not run this RayJob, even once the spec is "
                             "fixed: delete it and apply it anew", *evidence.warning_events()), refused_spec=True)
    elif outcome.deployment is JobDeploymentStatus.FAILED:
        found = _failed(evidence, outcome)
    elif outcome.deployment is JobDeploymentStatus.COMPLETE:
        found = Explanation((f"the Ray job ended {outcome.job_status}",), ("submitter", "driver"))
    else:
        found = _unsettled(evidence, outcome, backend.now())
    logs = tuple(s for s in found.logs if s != "operator" or evidence.operator_lines)  # only a log with news
    why = found.why
    if outcome.deleted_at is not None:
        why = (f"the RayJob was deleted at {_at(outcome.deleted_at)}; this was its last status", *why)
    return Explanation(why, logs, found.refused_spec)
