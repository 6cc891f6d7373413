"""What each RayJob of a run came to, and whether that is the outcome asked for: the decision behind a gate.

``rayjob-harness simulate`` exits 0 only when every RayJob ended where it was expected to (``Complete`` unless
``--expect`` says otherwise). An :class:`Expectation` is written ``[RAYJOB=]STATUS[:REASON]``: a deployment status
of the release (``Failed``, ``Suspended``, ``ValidationFailed``...), optionally the ``status.reason`` it must carry
(``Failed:DeadlineExceeded``), for every RayJob or for one (``nightly=Failed``, ``ns/nightly=Failed``).

A RayJob's outcome is its last observed status, read from the backend or, for a RayJob that was deleted during the
run (``DeleteSelf``, ``DELETE_RAYJOB_CR_AFTER_JOB_FINISHES``), from the journal. Deciding is pure: :func:`judge`.

Not here: why a RayJob ended where it did (:mod:`.explain`), printing (``harness.cli``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..errors import InputError
from ..journal import Journal
from ..model.enums import JobDeploymentStatus, JobFailedReason

# The statuses a RayJob can be found in at the end of a run (New is no outcome: the operator never took it).
EXPECTABLE: Final = tuple(s for s in JobDeploymentStatus if s is not JobDeploymentStatus.NEW)
# The statuses a reason comes with (v1.7.0: Failed carries every failure reason, Complete only the grace-period
# one, ValidationFailed its own); the others reset the reason to "".
_WITH_REASON: Final = (JobDeploymentStatus.FAILED, JobDeploymentStatus.COMPLETE, JobDeploymentStatus.VALIDATION_FAILED)
REASONS: Final = tuple(r for r in JobFailedReason if r is not JobFailedReason.NONE)
SYNTAX: Final = "[RAYJOB=]STATUS[:REASON]"


@dataclass(frozen=True)
class Expectation:
    """The outcome asked for: a deployment status, maybe a reason, for one RayJob or (``rayjob`` None) for all."""

    status: JobDeploymentStatus
    reason: JobFailedReason | None = None
    rayjob: str | None = None  # "name" (any namespace) or "namespace/name"

    def names(self, namespace: str, name: str) -> bool:
        """Whether this expectation is about the RayJob ``namespace/name`` in particular."""
        return self.rayjob is not None and self.rayjob in (name, f"{namespace}/{name}")

    def describe(self) -> str:
        """``Complete``, ``Failed with reason DeadlineExceeded``."""
        return self.status.value + (f" with reason {self.reason.value}" if self.reason is not None else "")


DEFAULT: Final = Expectation(JobDeploymentStatus.COMPLETE)


def _choose(text: str, options: Sequence[str], what: str, flag: str) -> str:
    """The option ``text`` names (case-insensitively), or InputError with a did-you-mean and the choices."""
    by_folded = {option.lower(): option for option in options}
    if text.lower() in by_folded:
        return by_folded[text.lower()]
    close = difflib.get_close_matches(text.lower(), list(by_folded), n=1)
    meant = f"did you mean {by_folded[close[0]]}? " if close else ""
    raise InputError(f"{flag} {what}={text!r} is not one KubeRay 1.7 sets",
                     hint=f"{meant}{what}s: {', '.join(options)}")


def parse_expectation(text: str, *, flag: str = "--expect") -> Expectation:
    """``[RAYJOB=]STATUS[:REASON]`` as an :class:`Expectation`; InputError with a hint for anything else."""
    rayjob, sep, rest = text.partition("=")
    if not sep:
        rayjob, rest = "", text
    status_text, _, reason_text = rest.partition(":")
    if (sep and not rayjob.strip()) or not status_text.strip():
        raise InputError(f"{flag} value={text!r} is not {SYNTAX}",
                         hint=f"e.g. {flag} Complete, {flag} Failed:DeadlineExceeded or {flag} my-job=Suspended")
    status = JobDeploymentStatus(_choose(status_text.strip(), [s.value for s in EXPECTABLE], "status", flag))
    reason = None
    if reason_text.strip():
        reason = JobFailedReason(_choose(reason_text.strip(), [r.value for r in REASONS], "reason", flag))
        if status not in _WITH_REASON:
            raise InputError(f"{flag} {text!r}: a RayJob that is {status.value} has no reason (status.reason is "
                             "empty)", hint="a reason goes with Failed, Complete or ValidationFailed")
    return Expectation(status, reason, rayjob.strip() or None)


def expectations_for(texts: Iterable[str], rayjobs: Sequence[tuple[str, str]], *,
                     flag: str = "--expect") -> list[Expectation]:
    """Every ``--expect`` value parsed and checked against the RayJobs of the run ((namespace, name) pairs):
    at most one for all RayJobs, at most one per RayJob, and none naming a RayJob that is not there."""
    parsed = [parse_expectation(text, flag=flag) for text in texts]
    general = [e for e in parsed if e.rayjob is None]
    if len(general) > 1:
        raise InputError(f"{flag} is given {len(general)} times for every RayJob "
                         f"({', '.join(e.describe() for e in general)})",
                         hint=f"give one, and name a RayJob for the others: {flag} my-job=Failed")
    known = ", ".join(f"{ns}/{name}" for ns, name in rayjobs) or "none"
    for expectation in parsed:
        if expectation.rayjob is None:
            continue
        named = [(ns, name) for ns, name in rayjobs if expectation.names(ns, name)]
        if not named:
            raise InputError(f"{flag} names RayJob {expectation.rayjob!r}, which the manifests do not define",
                             hint=f"RayJobs in the manifests: {known}")
        others = [e for e in parsed if e is not expectation and e.rayjob is not None
                  and any(e.names(ns, name) for ns, name in named)]
        if others:
            raise InputError(f"{flag} gives RayJob {expectation.rayjob!r} two outcomes "
                             f"({expectation.describe()}, {others[0].describe()})", hint="give one per RayJob")
    return parsed


@dataclass(frozen=True)
class RayJobOutcome:
    """Where one RayJob ended, as last observed."""

    namespace: str
    name: str
    deployment: JobDeploymentStatus
    job_status: str  # Ray's job status, "" before the operator has read one
    reason: str  # status.reason as written (a string: a backend may run a release with reasons this one lacks)
    message: str
    succeeded: int
    failed: int
    since: float  # when the deployment status was reached (backend time)
    previous: JobDeploymentStatus | None  # the deployment status before it, if any
    deleted_at: float | None = None  # the RayJob itself was deleted then (its last status is from the journal)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


def _deployment(value: Any) -> JobDeploymentStatus:
    try:
        return JobDeploymentStatus(value or "")
    except ValueError:
        return JobDeploymentStatus.NEW


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _last_status(journal: Journal, namespace: str, name: str) -> tuple[dict[str, Any], float | None]:
    """The RayJob's ``status.*`` fields as last recorded by the journal (flattened), and when it was deleted."""
    fields: dict[str, Any] = {}
    deleted_at = None
    for entry in journal.select(kind="RayJob", namespace=namespace, name=name):
        if entry.type == "DELETED":
            deleted_at = entry.t
            continue
        if entry.type == "ADDED":
            fields, deleted_at = {}, None
        for path, (_, new) in entry.changes.items():
            if path.startswith("status."):
                fields[path.removeprefix("status.")] = new
    return fields, deleted_at


def outcome_of(journal: Journal, namespace: str, name: str, current: Mapping[str, Any] | None) -> RayJobOutcome:
    """The outcome of one RayJob: its current status when it exists (``current``), else the journal's last."""
    if current is not None:
        status: Mapping[str, Any] = current.get("status") or {}
        deleted_at = None
    else:
        status, deleted_at = _last_status(journal, namespace, name)
    states = journal.values("status.jobDeploymentStatus", kind="RayJob", namespace=namespace, name=name)
    return RayJobOutcome(
        namespace=namespace, name=name, deployment=_deployment(status.get("jobDeploymentStatus")),
        job_status=str(status.get("jobStatus") or ""), reason=str(status.get("reason") or ""),
        message=str(status.get("message") or ""), succeeded=_count(status.get("succeeded")),
        failed=_count(status.get("failed")), since=states[-1][0] if states else 0.0,
        previous=_deployment(states[-2][1]) if len(states) >= 2 else None, deleted_at=deleted_at)


def rayjobs_seen(journal: Journal) -> list[tuple[str, str]]:
    """Every RayJob the journal saw created, (namespace, name), in order of creation."""
    return list(dict.fromkeys((e.namespace, e.name) for e in journal.select(kind="RayJob", types=("ADDED",))))


@dataclass(frozen=True)
class Verdict:
    outcome: RayJobOutcome
    expected: Expectation

    @property
    def met(self) -> bool:
        if self.outcome.deployment is not self.expected.status:
            return False
        return self.expected.reason is None or self.outcome.reason == self.expected.reason.value


def expectation_for(outcome: RayJobOutcome, expectations: Sequence[Expectation]) -> Expectation:
    """The expectation naming the RayJob, else the one for every RayJob, else :data:`DEFAULT` (Complete)."""
    named = [e for e in expectations if e.names(outcome.namespace, outcome.name)]
    general = [e for e in expectations if e.rayjob is None]
    return (named or general or [DEFAULT])[0]


def judge(outcomes: Iterable[RayJobOutcome], expectations: Sequence[Expectation]) -> list[Verdict]:
    """One verdict per RayJob: did it end as expected?"""
    return [Verdict(outcome, expectation_for(outcome, expectations)) for outcome in outcomes]
